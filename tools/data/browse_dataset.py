"""Draw a PaIR dataset's ground truth to PNG files.

    python tools/data/browse_dataset.py data/synthetic/annotations/train.json \
        --out-dir work_dirs/browse
    python tools/data/browse_dataset.py configs/pairnet_r18_synthetic.py \
        --split train --out-dir work_dirs/browse_aug   # after the training pipeline

One PNG per image, named after its file_name (path separators become "_"), in --out-dir.
Human boxes in red, object boxes in green, action and object names at the human box,
contact parts in their PART_PALETTE colours with a legend (PaIRVisualizer). From an
annotation file the images are drawn at their original size; from a config, the
chosen split's pipeline runs first, so its augmentations (flip, resize, crop, colour)
show.
"""
import argparse
import os
import os.path as osp

import mmcv
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

from pair_plugin.progress import track_progress
from pair_plugin.registry import DATASETS, VISUALIZERS

#: the pipeline of an annotation file: the original image and its ground truth
PLAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPaIRAnnotations'),
    dict(type='PackPaIRInputs')
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'source',
        help='an annotation JSON, or a config (.py) to browse '
        'its --split after the pipeline')
    parser.add_argument('--out-dir', required=True, help='where to write PNGs')
    parser.add_argument(
        '--split',
        default='train',
        choices=['train', 'val', 'test'],
        help='with a config: which dataloader (default: train)')
    parser.add_argument(
        '--data-root',
        default=None,
        help='with an annotation file: the folder its paths are '
        'relative to (default: the parent of its folder)')
    parser.add_argument(
        '--img-prefix',
        default=None,
        help='with an annotation file: the folder its file_names '
        'are relative to, when not the data root (the '
        "data_prefix img_path of a converter's config lines)")
    parser.add_argument(
        '--max-images',
        type=int,
        default=20,
        help='draw at most this many images (default: 20; '
        '0 = all)')
    parser.add_argument(
        '--max-draw-size',
        type=int,
        default=None,
        help='scale images whose longer side exceeds this down')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as tools/train.py')
    return parser.parse_args(argv)


def build_dataset(args):
    init_default_scope('pair_plugin')
    if args.source.endswith('.py'):
        cfg = Config.fromfile(args.source)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        dataset_cfg = cfg[f'{args.split}_dataloader'].dataset
        return DATASETS.build(dataset_cfg)
    data_prefix = dict(img_path=args.img_prefix or '', seg_map_path='')
    return DATASETS.build(
        dict(
            type='PaIRDataset',
            ann_file=args.source,
            data_root=args.data_root or '',
            data_prefix=data_prefix,
            pipeline=PLAIN_PIPELINE))


def output_stem(file_name: str, taken: set) -> str:
    """A visible file name stem for an image: its path parts joined by ``_``.

    Leading dots of each part are removed and ``.``, ``..`` and empty parts dropped, so
    no output is a hidden file; a stem already ``taken`` gets ``_2``, ``_3``, ... appended.

    >>> output_stem('images/train/000001.jpg', set())
    'images_train_000001'
    >>> output_stem('../../coco/.hidden.jpg', set())
    'coco_hidden'
    """
    parts = [p.lstrip('.') for p in file_name.replace('\\', '/').split('/')]
    stem = osp.splitext('_'.join(p for p in parts if p))[0] or 'image'
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f'{stem}_{n}'
    taken.add(candidate)
    return candidate


def sample_image(inputs, data_sample) -> np.ndarray:
    """The RGB image the ground truth is drawn on.

    The packed image when the ground truth is at its size (training pipelines), else
    the original image file (test pipelines load the ground truth after the resize).
    """
    if tuple(data_sample.gt_sem_seg.sem_seg.shape[-2:]) == tuple(inputs.shape[-2:]):
        return inputs.permute(1, 2, 0).numpy()[..., ::-1].copy()
    return mmcv.imread(data_sample.img_path, channel_order='rgb')


def main(argv=None):
    args = parse_args(argv)
    dataset = build_dataset(args)
    visualizer = VISUALIZERS.build(
        dict(type='PaIRVisualizer', name='browse_dataset', max_draw_size=args.max_draw_size))
    visualizer.dataset_meta = dataset.metainfo
    out_dir = osp.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    count = len(dataset) if args.max_images <= 0 else min(args.max_images, len(dataset))
    written, taken = [], set()
    for idx in track_progress(range(count), title='drawing'):
        item = dataset[idx]
        sample = item['data_samples']
        stem = output_stem(sample.file_name, taken)
        out_file = osp.join(out_dir, f'{stem}.png')
        if 'gt_pairs' in sample and len(sample.gt_pairs) == 0:
            # no interaction: the visualizer then draws every instance's box
            del sample.gt_pairs
        visualizer.add_datasample(
            stem,
            sample_image(item['inputs'], sample),
            sample,
            draw_gt=True,
            draw_pred=False,
            out_file=out_file)
        written.append(out_file)
    print(f'wrote {len(written)} images to {out_dir}')
    return written


if __name__ == '__main__':
    main()
