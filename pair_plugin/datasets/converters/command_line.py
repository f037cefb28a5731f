"""The command line shared by the QPIC-layout converters (``tools/dataset_converters/``)."""
import argparse
from typing import Callable, List, Optional

from .qpic_layout import format_report


def parse_converter_args(description: str, argv: Optional[List[str]] = None):
    """The arguments of a converter script: the QPIC file, the folders, the split."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--qpic-json', required=True, help='the QPIC/CDN annotation file')
    parser.add_argument(
        '--img-dir', required=True, help='the folder its file_names are relative to')
    parser.add_argument('--out-dir', required=True, help='the PaIR data root')
    parser.add_argument(
        '--split', required=True, help='split name: writes <out-dir>/annotations/<split>.json')
    parser.add_argument(
        '--hot-mask-dir',
        default=None,
        help="HOT's annotations folder (part-label PNGs), joined by file name")
    place = parser.add_mutually_exclusive_group()
    place.add_argument(
        '--copy-images',
        dest='images',
        action='store_const',
        const='copy',
        default='in_place',
        help='copy the images to <out-dir>/images/<split>/')
    place.add_argument(
        '--link-images',
        dest='images',
        action='store_const',
        const='link',
        help='symlink them there instead')
    parser.add_argument('--quiet', action='store_true', help='no progress display')
    return parser.parse_args(argv)


def run_converter(convert: Callable, description: str, argv: Optional[List[str]] = None) -> int:
    """Parse the arguments, run ``convert`` (``convert_hico_det`` or ``convert_vcoco``) and
    print its report.

    Returns:
        int: the exit status, 1 when the converted set has problems.
    """
    args = parse_converter_args(description, argv)
    report = convert(
        args.qpic_json,
        args.img_dir,
        args.out_dir,
        args.split,
        hot_mask_dir=args.hot_mask_dir,
        progress=not args.quiet,
        images=args.images)
    print(format_report(report))
    return 1 if report['problems'] else 0
