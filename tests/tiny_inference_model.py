"""The tiny PaIR-Net of the inference tests and the docs' snippet tests: the synthetic
config shrunk, saved once per session as a config file and a checkpoint
(``tiny_checkpoint`` in ``tests/conftest.py``)."""
import copy
import json
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmengine.runner.checkpoint import weights_to_cpu

from tests.helpers import CONFIGS, shrink_small_model

CONFIG = osp.join(CONFIGS, 'pairnet_r18_synthetic.py')

OBJECTS = ('person', 'umbrella', 'bicycle')
ACTIONS = ('hold', 'ride', 'carry')
#: the checkpoint's ``meta.dataset_meta``, as the training runner writes it
META = dict(objects=OBJECTS, classes=OBJECTS, actions=ACTIONS, hoi_categories=None)
#: the test pipeline's resize target (w, h)
INPUT_SCALE = (128, 96)


def tiny_config(data_root: str) -> Config:
    """``configs/pairnet_r18_synthetic.py`` shrunk: ResNet-18 at 16 base channels, 4 + 4
    queries, one encoder layer, 3 object and 3 action classes, 128 x 96 input, a test
    dataset in ``data_root`` (``annotations/test.json``)."""
    cfg = Config.fromfile(CONFIG)
    shrink_small_model(cfg.model, len(OBJECTS), len(ACTIONS))
    for loader in ('val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = data_root
        for step in dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = INPUT_SCALE
    return cfg


def save_tiny_checkpoint(cfg: Config, checkpoint: str, seed: int = 0) -> dict:
    """Build the model of ``cfg`` with seeded random weights (each moved by a little
    noise, so that no two layers are alike) and save it with :data:`META`, as the
    training runner would at epoch 1.

    Returns:
        dict: the saved state dict.
    """
    from pair_plugin.apis import build_detector
    torch.manual_seed(seed)
    model = build_detector(copy.deepcopy(cfg))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    state = weights_to_cpu(model.state_dict())
    save_checkpoint(dict(meta=dict(dataset_meta=META, epoch=1), state_dict=state), checkpoint)
    return state


def write_annotation_file(data_root: str) -> str:
    """An annotation file holding only the vocabularies and one bare image."""
    path = osp.join(data_root, 'annotations', 'test.json')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(
            dict(
                metainfo=dict(objects=list(OBJECTS), actions=list(ACTIONS)),
                images=[
                    dict(
                        id=1,
                        file_name='images/0001.png',
                        width=64,
                        height=48,
                        contact_mask=None,
                        instances=[],
                        interactions=[])
                ]), f)
    return path
