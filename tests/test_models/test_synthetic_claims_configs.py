"""The comparison systems at the synthetic scale (issue 37's claims table in
docs/benchmarks.md): each config is configs/pairnet_r18_synthetic.py with only the part the
paper's table changes, and each trains a step and predicts."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from pairnet_cases import NUM_ACTIONS, build_model, preprocess, two_synthetic_samples

from tests.helpers import CONFIGS

SMALL = 'pairnet_r18_synthetic.py'
ABLATIONS = {
    'baseline': 'ablations/pairnet_r18_synthetic_baseline.py',
    'seg-unet': 'ablations/pairnet_r18_synthetic_seg-unet.py',
    'iim-trans': 'ablations/pairnet_r18_synthetic_iim-trans.py',
}
HALVES = {
    'trans': 'two_model/trans_r18_synthetic.py',
    'unet': 'two_model/unet_r18_synthetic.py',
}
#: what every run shares with the small PaIR-Net: data, schedule, EMA, seed, runtime
RECIPE = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'optim_wrapper',
          'param_scheduler', 'train_cfg', 'custom_hooks', 'randomness', 'default_hooks')


def load(path):
    return Config.fromfile(osp.join(CONFIGS, path))


def model_without(cfg, *keys):
    return {k: v for k, v in cfg.model.to_dict().items() if k not in keys}


@pytest.mark.parametrize('path', list(ABLATIONS.values()) + list(HALVES.values()))
def test_same_recipe_as_the_small_pairnet(path):
    small, cfg = load(SMALL), load(path)
    for key in RECIPE:
        assert cfg[key] == small[key], key


def test_each_ablation_changes_only_its_part():
    small = load(SMALL)
    baseline = load(ABLATIONS['baseline']).model
    assert baseline.cpam is None and baseline.mask_guided_feature is None
    assert baseline.contact_head.roi_enhancer is None
    assert baseline.contact_head.body_attention is None
    assert model_without(
        load(ABLATIONS['baseline']), 'cpam', 'mask_guided_feature',
        'contact_head') == model_without(small, 'cpam', 'mask_guided_feature', 'contact_head')
    unet = load(ABLATIONS['seg-unet'])
    assert unet.model.backbone.out_indices == (0, 1, 2)
    assert unet.model.contact_head.type == 'UNetContactHead'
    # PGCS's class weight and background prior of the synthetic recipe
    assert unet.model.contact_head.loss.class_weight == small.model.contact_head.loss.class_weight
    assert unet.model.contact_head.background_prior == small.model.contact_head.background_prior
    assert model_without(unet, 'backbone',
                         'contact_head') == model_without(small, 'backbone', 'contact_head')
    trans = load(ABLATIONS['iim-trans'])
    head, iim = trans.model.interaction_head, small.model.interaction_head
    assert head.type == 'QPICHead' and head.transformer.type == 'DETRTransformer'
    assert head.transformer.num_queries == iim.transformer.num_queries
    assert head.transformer.num_groups == iim.transformer.num_groups
    for loss in ('loss_object_cls', 'loss_action', 'loss_bbox', 'loss_iou'):
        assert head[loss] == iim[loss], loss
    assert model_without(trans, 'interaction_head') == model_without(small, 'interaction_head')


def test_the_halves_have_the_small_pairnets_backbone():
    small = load(SMALL).model.backbone.to_dict()
    for name, path in HALVES.items():
        backbone = load(path).model.backbone.to_dict()
        out_indices = backbone.pop('out_indices')
        assert out_indices == ((2, ) if name == 'trans' else (0, 1, 2))
        assert {
            k: backbone[k]
            for k in small if k != 'out_indices'
        } == {
            k: v
            for k, v in small.items() if k != 'out_indices'
        }, name


@pytest.mark.parametrize('path', list(ABLATIONS.values()) + list(HALVES.values()))
def test_trains_a_step_and_predicts_at_the_input_size(path):
    cfg = load(path)
    if 'interaction_head' in cfg.model:
        cfg.model.interaction_head.num_actions = NUM_ACTIONS  # the samples' actions
    model = build_model(cfg.model).train()
    inputs, samples = two_synthetic_samples()
    data = preprocess(model, inputs, samples)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert losses and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    model.eval()
    data = preprocess(model, inputs, samples, training=False)
    with torch.no_grad():
        (result, *_) = model.predict(data['inputs'], data['data_samples'])
    h, w = samples[0].ori_shape
    if 'contact_head' in model._modules:
        assert result.pred_sem_seg.sem_seg.shape[-2:] == (h, w)
    if 'interaction_head' in model._modules:
        assert len(result.pred_hois) > 0


def test_pipeline_config_joins_the_two_halves():
    cfg = load('two_model/trans+unet_r18_synthetic.py')
    assert cfg.model.type == 'TwoModelPipeline'
    assert cfg.model.hoi_detector.config == 'configs/' + HALVES['trans']
    assert cfg.model.contact_segmenter.config == 'configs/' + HALVES['unet']
    assert cfg.test_dataloader == load(SMALL).test_dataloader
