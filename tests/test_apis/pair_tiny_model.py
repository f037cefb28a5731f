"""A tiny PaIR-Net built from the synthetic config, for the inference API tests."""
import json
import os
import os.path as osp

from mmengine.config import Config

from tests.helpers import CONFIGS, REAL_DATA, shrink_small_model

CONFIG = osp.join(CONFIGS, 'pairnet_r18_synthetic.py')
REAL_IMAGES = osp.join(REAL_DATA, 'unannotated_real', 'images')

OBJECTS = ('person', 'umbrella', 'bicycle')
ACTIONS = ('hold', 'ride', 'carry')
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
