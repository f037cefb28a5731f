"""PaIRInferencer on the paper's standalone comparison models: a contact-only model
(ContactSegmenter) writes entries without triplets, an HOI-only one (HOIDetector) entries
without a contact mask, and both draw."""
import copy
import json
import os

import numpy as np
import pytest
from PIL import Image

from pair_plugin.apis import PaIRInferencer, init_model
from pair_plugin.evaluation.predictions_file import read_predictions_file

_PREPROCESSOR = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32,
    pad_seg=True,
    seg_pad_value=255)


def _resnet18(out_indices):
    return dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=8,
        out_indices=out_indices,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None)


CONTACT_ONLY = dict(
    type='ContactSegmenter',
    data_preprocessor=_PREPROCESSOR,
    backbone=_resnet18((0, 1, 2, 3)),
    contact_head=dict(
        type='UNetContactHead', in_channels=(8, 16, 32, 64), decoder_channels=(16, 8, 8, 4, 4)))


def hoi_only(tiny_cfg):
    """An HOIDetector holding the tiny PaIR-Net's interaction head (3 objects, 3 actions)."""
    return dict(
        type='HOIDetector',
        data_preprocessor=_PREPROCESSOR,
        backbone=_resnet18((3, )),
        interaction_head=dict(copy.deepcopy(tiny_cfg.model.interaction_head), in_channels=64),
        test_cfg=dict(max_per_img=5))


def photos(n):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (60, 80, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize('kind', ['contact-only', 'hoi-only'])
def test_standalone_models_write_their_half_of_the_predictions_file(kind, tiny_checkpoint,
                                                                    tmp_path):
    cfg = copy.deepcopy(tiny_checkpoint['cfg'])
    cfg.model = CONTACT_ONLY if kind == 'contact-only' else hoi_only(cfg)
    model = init_model(cfg)
    model.dataset_meta = dict(
        objects=('person', 'umbrella', 'bicycle'),
        classes=('person', 'umbrella', 'bicycle'),
        actions=('hold', 'ride', 'carry'),
        hoi_categories=None)
    out_dir = tmp_path / 'out'
    inferencer = PaIRInferencer(model, show_progress=False)
    result = inferencer(photos(2), out_dir=str(out_dir), pred_score_thr=0)
    assert result['failed'] == []
    entries = json.load(open(out_dir / 'predictions.json'))
    assert [e['file_name'] for e in entries] == ['array_0', 'array_1']
    records = read_predictions_file(str(out_dir / 'predictions.json'))
    if kind == 'contact-only':
        assert all(e['hois'] == [] for e in entries)
        assert all(len(e['part_scores']) == 17 for e in entries)
        assert sorted(os.listdir(out_dir / 'pred_masks')) == ['array_0.png', 'array_1.png']
        assert all(Image.open(out_dir / e['contact_mask']).size == (80, 60) for e in entries)
        assert [len(r['pred_hois']['scores']) for r in records] == [0, 0]
    else:
        assert all(len(e['hois']) == 5 for e in entries)  # max_per_img, none cut at 0
        assert all(e['contact_mask'] is None and 'part_scores' not in e for e in entries)
        assert not (out_dir / 'pred_masks').exists()
    assert sorted(os.listdir(out_dir / 'vis')) == ['array_0.png', 'array_1.png']
