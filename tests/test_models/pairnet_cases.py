"""Hand-made PaIR data samples and small model configs for the model tests.

The data samples follow docs/contracts.md (what PackPaIRInputs produces), built by hand so
that the model tests do not depend on the dataset code.
"""
import os.path as osp
from typing import List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from pair_plugin.structures import NUM_PARTS, PaIRDataSample
from tests.helpers import CONFIGS

NUM_ACTIONS = 5


def make_sample(img_shape,
                boxes=(),
                labels=(),
                pairs=(),
                seg=None,
                contact_annotated=True,
                ori_shape=None,
                scale_factor=(1.0, 1.0),
                num_actions=NUM_ACTIONS) -> PaIRDataSample:
    """One data sample.

    Args:
        img_shape (tuple): (h, w) of the (resized) image.
        boxes (Sequence): x1y1x2y2 per instance, input pixels.
        labels (Sequence): object class per instance (0 = person).
        pairs (Sequence): ``(subject, object, [action ids], [part ids])`` per pair.
        seg (np.ndarray, optional): (h, w) contact map; all 255 when not annotated,
            all 0 when None and annotated.
    """
    h, w = img_shape
    sample = PaIRDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=tuple(ori_shape or (h, w)),
            scale_factor=tuple(scale_factor),
            contact_annotated=contact_annotated,
            flip=False,
            flip_direction=None))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long).reshape(-1))
    actions = torch.zeros(len(pairs), num_actions)
    parts = torch.zeros(len(pairs), NUM_PARTS)
    for i, (_, _, acts, prts) in enumerate(pairs):
        actions[i, list(acts)] = 1
        parts[i, [p - 1 for p in prts]] = 1
    sample.gt_pairs = InstanceData(
        subject_ids=torch.tensor([p[0] for p in pairs], dtype=torch.long),
        object_ids=torch.tensor([p[1] for p in pairs], dtype=torch.long),
        actions=actions,
        contact_parts=parts)
    if seg is None:
        seg = np.full((h, w), 0 if contact_annotated else 255, dtype=np.uint8)
    gt_parts = torch.zeros(NUM_PARTS)
    present = [int(v) for v in np.unique(seg) if 0 < v < 255]
    for part in present:
        gt_parts[part - 1] = 1
    gt_parts = torch.maximum(gt_parts, parts.amax(0) if len(pairs) else gt_parts)
    sample.gt_parts = gt_parts
    sample.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(seg.astype(np.int64))[None])
    return sample


def synthetic_image(h, w, boxes, seed=0) -> torch.Tensor:
    """(3, h, w) uint8 image: noise with each box filled by a flat colour."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, size=(3, h, w), dtype=np.uint8)
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        for c in range(3):
            img[c, int(y1):int(y2), int(x1):int(x2)] = colours[i % len(colours)][c]
    return torch.from_numpy(img)


def two_synthetic_samples():
    """Two 96x128 images: a person holding an object, with the hand in contact."""
    specs = [
        dict(
            boxes=[(10, 8, 50, 90), (40, 40, 100, 80)],
            labels=[0, 3],
            actions=[1, 3],
            part=6,
            contact=(40, 45, 50, 60)),
        dict(
            boxes=[(70, 4, 120, 92), (16, 20, 76, 60)],
            labels=[0, 7],
            actions=[0],
            part=9,
            contact=(70, 25, 78, 40)),
    ]
    inputs, samples = [], []
    for i, spec in enumerate(specs):
        seg = np.zeros((96, 128), dtype=np.uint8)
        x1, y1, x2, y2 = spec['contact']
        seg[y1:y2, x1:x2] = spec['part']
        inputs.append(synthetic_image(96, 128, spec['boxes'], seed=i))
        samples.append(
            make_sample((96, 128),
                        spec['boxes'],
                        spec['labels'], [(0, 1, spec['actions'], [spec['part']])],
                        seg=seg))
    return inputs, samples


def small_model_cfg(**overrides) -> Config:
    """The small CPU model (configs/_base_/models/pairnet_r18_small.py) for NUM_ACTIONS."""
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_/models/pairnet_r18_small.py'))
    cfg.model.interaction_head.num_actions = NUM_ACTIONS
    cfg.merge_from_dict(overrides)
    return cfg


def small_iim_cfg(**kwargs) -> dict:
    """A 32-channel IIM (1 encoder layer, 5 + 5 queries, 3 stages) on 16-channel features;
    ``kwargs`` override it."""
    attn = dict(embed_dims=32, num_heads=4, dropout=0.0, batch_first=True)
    ffn = dict(
        embed_dims=32,
        feedforward_channels=64,
        num_fcs=2,
        ffn_drop=0.0,
        act_cfg=dict(type='ReLU', inplace=True))
    cfg = dict(
        type='IIM',
        in_channels=16,
        num_queries=5,
        positional_encoding=dict(num_feats=16, normalize=True),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=attn, ffn_cfg=ffn)),
        instance_decoder_layer=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn),
        action_decoder_layer=dict(self_attn_cfg=attn, cross_attn_cfg=attn, ffn_cfg=ffn))
    cfg.update(kwargs)
    return cfg


def small_resnet18_cfg(**kwargs) -> dict:
    """ResNet-18 at 8 base channels, its first three stages, the last one F_B (32 channels,
    stride 16), no pretrained weights; ``kwargs`` add to it."""
    return dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=8,
        num_stages=3,
        out_indices=(2, ),
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        init_cfg=None,
        **kwargs)


def small_hoi_detector_cfg(interaction_head: dict, **kwargs) -> dict:
    """An HOIDetector: :func:`small_resnet18_cfg` (BatchNorm trained) and
    ``interaction_head``; ``kwargs`` add to it."""
    return dict(
        type='HOIDetector',
        data_preprocessor=dict(
            type='DetDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_size_divisor=32),
        backbone=small_resnet18_cfg(norm_eval=False),
        interaction_head=interaction_head,
        **kwargs)


def small_iim(**kwargs):
    """The IIM of :func:`small_iim_cfg`, initialised."""
    from pair_plugin.registry import MODELS
    iim = MODELS.build(small_iim_cfg(**kwargs))
    iim.init_weights()
    return iim


def small_iim_head(transformer=None, **kwargs):
    """IIMHead on 16-channel features with the IIM of :func:`small_iim_cfg` (updated by
    ``transformer``): 4 object classes, 3 actions, initialised; ``kwargs`` override its
    config."""
    from pair_plugin.registry import MODELS
    cfg = dict(
        type='IIMHead',
        in_channels=16,
        transformer=small_iim_cfg(**(transformer or {})),
        num_object_classes=4,
        num_actions=3)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def build_model(model_cfg):
    import pair_plugin.models  # noqa: F401
    from pair_plugin.registry import MODELS
    init_default_scope('pair_plugin')
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def preprocess(model, inputs: List[torch.Tensor], samples: Sequence, training: bool = True) -> dict:
    """Run the model's data preprocessor as the runner does."""
    return model.data_preprocessor(dict(inputs=inputs, data_samples=list(samples)), training)
