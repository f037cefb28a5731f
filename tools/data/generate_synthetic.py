"""Generate the synthetic PaIR-format dataset (deterministic by seed).

    python tools/data/generate_synthetic.py --out data/synthetic
    python tools/data/generate_synthetic.py --out data/synthetic --num-train 2000 \
        --img-size 320 --seed 1

Writes <out>/images/{train,val,test}/*.jpg, <out>/masks/{split}/*.png and
<out>/annotations/{split}.json (format: docs/dataset.md).
"""
import argparse
import time

from pair_plugin.datasets.synthetic import generate_synthetic_dataset
from pair_plugin.datasets.synthetic.scene import CONTACT_BAND


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--out', default='data/synthetic', help='the data root to write (default: data/synthetic)')
    parser.add_argument('--num-train', type=int, default=1200)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--num-test', type=int, default=100)
    parser.add_argument(
        '--img-size',
        type=int,
        default=256,
        help='image width in pixels; heights are 3/4 to 5/4 of it')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--contact-band',
        type=float,
        default=CONTACT_BAND,
        help='contact band width as a fraction of a standing '
        f'person\'s height (default: {CONTACT_BAND}, 8-18 px at 256 px)')
    args = parser.parse_args(argv)
    for name in ('num_train', 'num_val', 'num_test'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")} must be >= 0')
    if args.img_size < 64:
        parser.error('--img-size must be at least 64 pixels')
    if not args.contact_band > 0:
        parser.error('--contact-band must be > 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    files = generate_synthetic_dataset(
        args.out,
        num_train=args.num_train,
        num_val=args.num_val,
        num_test=args.num_test,
        img_size=args.img_size,
        seed=args.seed,
        contact_band=args.contact_band)
    for split, path in files.items():
        print(f'{split}: {path}')
    print(f'done in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
