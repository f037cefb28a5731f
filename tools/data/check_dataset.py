"""Check a PaIR-format annotation file against its images and contact masks.

    python tools/data/check_dataset.py data/synthetic/annotations/train.json
    python tools/data/check_dataset.py ann.json --data-root data/hico --no-decode

Lists every problem as `file: field: message` and exits with status 1 if there is any
(0 when the dataset is valid). The same checks run when PaIRDataset loads a file.
"""
import argparse
import sys

from pair_plugin.datasets.annotation_checks import check_dataset, default_data_root


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='the annotation JSON')
    parser.add_argument(
        '--data-root',
        default=None,
        help='folder the image and mask paths are relative to '
        '(default: the parent of the annotation file\'s folder)')
    parser.add_argument(
        '--img-prefix',
        default=None,
        help='folder the image paths are relative to, when it is not '
        'the data root (a converted set whose images stayed in place: '
        'the data_prefix img_path its conversion printed)')
    parser.add_argument(
        '--mask-prefix',
        default=None,
        help='folder the contact mask paths are relative to, when it is not the data root '
        '(the dataset config\'s data_prefix seg_map_path)')
    parser.add_argument(
        '--no-files', action='store_true', help='check the JSON only, not the image and mask files')
    parser.add_argument(
        '--no-decode',
        action='store_true',
        help='read image headers and file ends only, not every pixel (much faster; finds '
        'empty, cut and non-image files, misses damage inside a file of the right length)')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    data_root = args.data_root or default_data_root(args.ann_file)
    problems = check_dataset(
        args.ann_file,
        data_root,
        check_files=not args.no_files,
        decode_images=not args.no_decode,
        progress=not args.quiet,
        img_prefix=args.img_prefix,
        mask_prefix=args.mask_prefix)
    for problem in problems:
        print(problem)
    if problems:
        print(f'{len(problems)} problem(s) in {args.ann_file}', file=sys.stderr)
        return 1
    print(f'{args.ann_file}: OK (data root {data_root})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
