"""The tiny PaIR-Net of the deployment tests.

The model is the small synthetic config shrunk (:func:`tests.helpers.shrink_small_model`)
with random weights, set so that the H-O RoI Enhancer and the Mask-Guided RoI Feature act
on the test batch (:func:`make_branches_act`).
"""
import os.path as osp
import sys

import torch
from mmengine.config import Config

from pair_plugin.datasets import config_with_data_root
from tests.helpers import CONFIGS, load_tool, shrink_small_model

#: the traced example's size, and the sizes the graph is compared at
EXAMPLE_SIZE = (96, 128)
OTHER_SIZES = [(64, 96), (128, 160)]
#: the test pipeline's resize target (w, h)
INPUT_SCALE = (128, 96)


def tiny_deploy_config(data_root: str) -> Config:
    """The small synthetic config shrunk, with one decoder stage (the exporter's time
    grows with the graph: this keeps the session's one export near 20 s), reading
    ``data_root``, testing at 128 x 96, two images per batch."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py'))
    shrink_small_model(cfg.model, num_object_classes=80, num_actions=10)
    cfg.model.interaction_head.transformer.num_stages = 1
    cfg = config_with_data_root(cfg, data_root)
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        for step in cfg[loader].dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = INPUT_SCALE
    return cfg


def padded_batch():
    """Three images of different sizes padded into one (128, 160) batch: a flat grey
    (zero after normalisation) picture with a textured patch at the top left of each, zero
    padding.

    Returns:
        tuple[Tensor, Tensor]: inputs (3, 3, 128, 160), img_sizes (3, 2).
    """
    img_sizes = torch.tensor([[128, 160], [96, 96], [64, 128]])
    inputs = torch.zeros(3, 3, 128, 160)
    generator = torch.Generator().manual_seed(5)
    inputs[:, :, 16:48, 24:72] = 2 * torch.randn(3, 3, 32, 48, generator=generator)
    return inputs, img_sizes


def make_branches_act(model) -> None:
    """Set the random model so that its enhancer and mask-guided feature act on
    :func:`padded_batch`: Δ = 1.5; the enhancer's threshold at the median object score of
    the batch's pairs (half count, half do not); the background bias of the contact
    classifier such that the 2 % of the pixels most likely in contact are predicted so
    (they lie in the textured patches)."""
    inputs, img_sizes = padded_batch()
    with torch.no_grad():
        outs = model.forward_heads(inputs, img_sizes, padded=True)
        scores, _ = model.interaction_head.object_scores(outs['object_logits'][-1])
        enhancer = model.contact_head.roi_enhancer
        enhancer.delta.fill_(1.5)
        enhancer.score_thr = midway(scores, 0.5)
        seg = outs['seg_logits']
        margin = seg[:, 0] - seg[:, 1:].amax(dim=1)  # < 0: contact
        model.contact_head.conv_seg.bias[0] -= midway(margin, 0.02)


def midway(values, share: float) -> float:
    """A threshold with ``share`` of ``values`` below it, halfway between two of them, so
    that float rounding (eager against the graph) cannot move a value across it."""
    ordered = values.flatten().sort().values
    index = max(1, int(share * len(ordered)))
    return float(ordered[index - 1] + ordered[index]) / 2


def run_tool(relative_path: str, *args) -> int:
    """Run a script under ``tools/`` in this process with ``args`` as its command line."""
    tool = load_tool(relative_path)
    old = sys.argv
    sys.argv = [relative_path, *map(str, args)]
    try:
        return tool.main()
    finally:
        sys.argv = old
