# The contact map from the argmax at S's resolution against the exact resize and argmax.
"""The test metrics of a checkpoint with the contact map of ``predict_by_feat`` and with
the exact resize-and-argmax, and how many pixels differ.

    python tools/benchmarks/contact_map_check.py configs/pairnet_r18_synthetic.py \\
        work_dirs/main_job/epoch_26.pth --data-root data/synthetic

``predict_by_feat`` gives the labels of the argmax of the resized logits up to float
rounding (:mod:`pair_plugin.models.heads.contact_labels`): a pixel whose two best
interpolated scores lie within rounding of each other may go either way. This runs the
config's test split twice through mmengine's test loop, once as the model predicts and
once with every contact map from the exact path (one class plane resized at a time, a
running maximum: ``torch.argmax``'s labels), counts the pixels whose labels differ and
prints both metric sets and their differences.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from pair_plugin.datasets import config_with_data_root
from pair_plugin.models.heads import base_contact_head, contact_labels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', help="the config's dataset at this root")
    parser.add_argument(
        '--work-dir',
        default='work_dirs/contact_map_check',
        help='where the two test runs write their logs')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def test_metrics(cfg: Config, checkpoint: str, work_dir: str, exact: bool, counts: dict) -> dict:
    """The test loop's metrics; with ``exact``, every contact map from the exact path,
    and in both runs the pixels counted where the two paths differ."""
    fast = contact_labels.resized_argmax

    def both(logits, size=None):
        ours = fast(logits, size)
        reference = contact_labels._argmax_by_planes(
            logits.float(),
            None if size is None or tuple(size) == tuple(logits.shape[-2:]) else tuple(size))
        if not exact:
            counts['pixels'] += ours.numel()
            counts['differ'] += int((ours != reference).sum())
        return reference if exact else ours

    base_contact_head.resized_argmax = both
    try:
        run_cfg = cfg.copy()
        run_cfg.work_dir, run_cfg.load_from = work_dir, checkpoint
        # a visualizer of its own: mmengine keeps one instance per name in the process
        run_cfg.visualizer.name = f'contact_map_check_{"exact" if exact else "model"}'
        return Runner.from_cfg(run_cfg).test()
    finally:
        base_contact_head.resized_argmax = fast


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.data_root:
        cfg = config_with_data_root(cfg, args.data_root)
    cfg.merge_from_dict(args.cfg_options)
    counts = dict(pixels=0, differ=0)
    ours = test_metrics(cfg, args.checkpoint, args.work_dir, exact=False, counts=counts)
    exact = test_metrics(cfg, args.checkpoint, args.work_dir, exact=True, counts=counts)
    lines = [
        '| metric | predict_by_feat | exact resize + argmax | difference |',
        '| --- | ---: | ---: | ---: |'
    ]
    for key in sorted(ours):
        if isinstance(ours[key], (int, float)) and key in exact:
            lines.append(f'| {key} | {ours[key]:.4f} | {exact[key]:.4f} | '
                         f'{ours[key] - exact[key]:+.4f} |')
    print('\n'.join(lines))
    print(f'\n{osp.basename(args.checkpoint)}: {counts["differ"]} of {counts["pixels"]} '
          'contact-map pixels differ between the two paths.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
