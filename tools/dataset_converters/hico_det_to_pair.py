"""Convert HICO-DET annotations (QPIC/CDN json layout) to the PaIR format.

    python tools/dataset_converters/hico_det_to_pair.py \
        --qpic-json data/hico_20160224_det/annotations/trainval_hico.json \
        --img-dir data/hico_20160224_det/images/train2015 --out-dir data/hico_pair \
        --split train --hot-mask-dir data/HOT/HOT-Annotated/annotations

file_name is written relative to --img-dir, which the dataset config names as its image
root (the summary prints the config lines); with --copy-images or --link-images the images
go to <out-dir>/images/<split>/ and the set is self-contained. HOT masks, if given, are
validated and copied to <out-dir>/masks/<split>/. Prints what was merged, clipped and
skipped, then checks the result; exits 1 if the result has problems.
Rules: docs/dataset.md, "Converting HICO-DET, V-COCO and HOT".
"""
import sys

from pair_plugin.datasets.converters import convert_hico_det
from pair_plugin.datasets.converters.command_line import run_converter


def main(argv=None) -> int:
    return run_converter(convert_hico_det, __doc__.split('\n')[0], argv)


if __name__ == '__main__':
    sys.exit(main())
