"""Convert V-COCO annotations (QPIC/CDN json layout) to the PaIR format.

    python tools/dataset_converters/vcoco_to_pair.py \
        --qpic-json data/v-coco/annotations/test_vcoco.json \
        --img-dir data/coco/images/val2014 --out-dir data/vcoco_pair --split test

file_name is written relative to --img-dir, which the dataset config names as its image
root (the summary prints the config lines); with --copy-images or --link-images the images
go to <out-dir>/images/<split>/ and the set is self-contained. HOT masks, if given, are
validated and copied to <out-dir>/masks/<split>/. Prints what was merged, clipped and
skipped, then checks the result; exits 1 if the result has problems.
Rules: docs/dataset.md, "Converting HICO-DET, V-COCO and HOT".
"""
import argparse
import sys

from pair_plugin.datasets.converters import convert_vcoco, format_report


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--qpic-json', required=True, help='the QPIC/CDN annotation file')
    parser.add_argument(
        '--img-dir', required=True, help='the folder its file_names are relative to')
    parser.add_argument('--out-dir', required=True, help='the PaIR data root')
    parser.add_argument(
        '--split', required=True, help='split name: writes <out-dir>/annotations/<split>.json')
    parser.add_argument(
        '--hot-mask-dir',
        default=None,
        help="HOT's annotations folder (part-label PNGs), joined "
        'by file name')
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


def main(argv=None) -> int:
    args = parse_args(argv)
    report = convert_vcoco(
        args.qpic_json,
        args.img_dir,
        args.out_dir,
        args.split,
        hot_mask_dir=args.hot_mask_dir,
        progress=not args.quiet,
        images=args.images)
    print(format_report(report))
    return 1 if report['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
