"""The configs: parameter counts against the paper, ablation switches, inheritance."""
import os.path as osp

import pytest
from mmengine.config import Config
from pairnet_cases import build_model

from tests.helpers import CONFIGS, load_tool

count_tool = load_tool('tools/analysis/count_params.py')

# the paper's Table 1 (PaIR-1) counts, in millions
PAPER_PARAMS = {
    'pairnet_r50': 55.6,
    'pairnet_r101': 74.6,
    'pairnet_swin-s': 73.6,
    'pairnet_swin-l': 224.2,
}


@pytest.mark.parametrize('name', list(PAPER_PARAMS))
def test_parameter_count_within_3_percent_of_the_paper(name):
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', f'{name}.py'))
    counts = count_tool.count_params(count_tool.build_model(cfg))
    total = counts['total'] / 1e6
    assert abs(total - PAPER_PARAMS[name]) / PAPER_PARAMS[name] < 0.03, (name, total)
    # the components add up, and the head widths are the documented ones
    parts = [v for k, v in counts.items() if '.' not in k and k != 'total']
    assert sum(parts) == counts['total']
    # DETR layers at 256 channels, 8 heads, FFN 2048, counted by hand: an attention is four
    # 256 x 256 projections with biases, the FFN 256 -> 2048 -> 256, a LayerNorm 2 x 256
    attention = 4 * (256 * 256 + 256)
    ffn = (256 * 2048 + 2048) + (2048 * 256 + 256)
    norm = 2 * 256
    encoder_layer = attention + ffn + 2 * norm
    decoder_layer = 2 * attention + ffn + 3 * norm
    assert counts['interaction_head.transformer.encoder'] == 6 * encoder_layer
    assert counts['interaction_head.transformer.instance_decoder'] == 3 * decoder_layer
    assert counts['interaction_head.transformer.action_decoder'] == 3 * decoder_layer
    assert counts['contact_head.roi_enhancer'] == 1  # Δ
    table = count_tool.format_counts(counts, PAPER_PARAMS[name])
    assert 'total' in table and 'difference' in table


def test_count_params_command_line(monkeypatch, capsys):
    config = osp.join(CONFIGS, '_base_/models/pairnet_r50.py')
    monkeypatch.setattr('sys.argv', ['count_params.py', config, '--expected', '55.6'])
    count_tool.main()
    out = capsys.readouterr().out
    assert 'contact_head.decoder' in out and 'interaction_head.transformer.encoder' in out
    # the total it prints is the model's trainable and frozen parameters, and the difference
    # is taken from it
    model = count_tool.build_model(Config.fromfile(config))
    total = sum(p.numel() for p in model.parameters())
    assert f'{total:,}' in out
    assert f'paper: 55.6 M, difference {(total / 55.6e6 - 1) * 100:+.2f} %' in out


def test_model_base_configs_follow_the_paper():
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_/models/pairnet_r50.py')).model
    assert cfg.match_loss_weight == 0.1 and cfg.contact_loss_weight == 0.5
    transformer = cfg.interaction_head.transformer
    assert transformer.num_queries == 64 and transformer.num_stages == 3
    assert transformer.encoder.num_layers == 6
    assert cfg.mask_guided_feature.out_channels == 10
    assert cfg.contact_head.roi_enhancer.init_delta == 1.0
    assert cfg.data_preprocessor.pad_seg and cfg.data_preprocessor.seg_pad_value == 255
    assert cfg.backbone.init_cfg.checkpoint == 'torchvision://resnet50'
    costs = {c.type: c.weight for c in cfg.train_cfg.assigner.match_costs}
    assert costs == {
        'ClassificationCost': 1.0,
        'HOIActionCost': 1.0,
        'PairBBoxL1Cost': 2.5,
        'PairIoUCost': 1.0
    }
    assert cfg.interaction_head.loss_object_cls.bg_cls_weight == 0.1
    assert cfg.interaction_head.loss_action.loss_weight == 2.0
    assert cfg.interaction_head.loss_bbox.loss_weight == 2.5
    assert cfg.interaction_head.loss_iou.loss_weight == 1.0
    for name in ('pairnet_swin-s', 'pairnet_swin-l'):
        swin = Config.fromfile(osp.join(CONFIGS, f'_base_/models/{name}.py')).model
        assert swin.backbone.type == 'SwinTransformer' and 'depth' not in swin.backbone


@pytest.mark.parametrize('name', list(PAPER_PARAMS))
def test_configs_state_the_channels_of_the_backbones_last_stage(name):
    """F_B's channels as each backbone has them: ResNet-50/101's last stage 512 x 4
    (bottleneck), Swin's 8 x its embedding width (768 for Swin-S, 1536 for Swin-L)."""
    model = Config.fromfile(osp.join(CONFIGS, '_base_', 'models', f'{name}.py')).model
    backbone = model.backbone
    expected = 2048 if backbone.type == 'ResNet' else 8 * backbone.embed_dims
    for key in ('cpam', 'interaction_head', 'contact_head', 'mask_guided_feature'):
        assert model[key].in_channels == expected, key


ABLATIONS = {
    # (CPAM, Body Attention, H-O enhancer, M-G feature)
    'baseline': (False, False, False, False),
    'cpam': (True, True, False, False),
    'ho': (True, True, True, False),
    'mg': (True, True, True, True),
}

NEEDED_BASES = [
    '_base_/datasets/pair1.py', '_base_/datasets/pair2.py', '_base_/datasets/synthetic_pair.py',
    '_base_/schedules/schedule_90e.py', '_base_/schedules/schedule_synthetic.py',
    '_base_/default_runtime.py'
]


def _missing_bases():
    return [b for b in NEEDED_BASES if not osp.isfile(osp.join(CONFIGS, b))]


@pytest.mark.skipif(
    bool(_missing_bases()), reason=f'base configs not written yet: '
    f'{_missing_bases()}')
@pytest.mark.parametrize('row', list(ABLATIONS))
def test_table3_ablation_configs(row):
    cfg = Config.fromfile(osp.join(CONFIGS, 'ablations', f'pairnet_r50_pair1_{row}.py'))
    model = cfg.model
    cpam, body, enhancer, mg = ABLATIONS[row]
    assert bool(model.cpam) == cpam
    assert bool(model.contact_head.body_attention) == body
    assert bool(model.contact_head.roi_enhancer) == enhancer
    assert bool(model.mask_guided_feature) == mg
    assert cfg.default_scope == 'pair_plugin'


@pytest.mark.skipif(
    bool(_missing_bases()), reason=f'base configs not written yet: '
    f'{_missing_bases()}')
def test_paper_configs_recipe():
    for name in ('pairnet_r50_pair1', 'pairnet_r50_pair2', 'pairnet_r101_pair1',
                 'pairnet_swin-s_pair1', 'pairnet_swin-l_pair1'):
        cfg = Config.fromfile(osp.join(CONFIGS, f'{name}.py'))
        assert cfg.default_scope == 'pair_plugin'
        assert cfg.train_dataloader.batch_size == 4
        optim = cfg.optim_wrapper
        assert optim.optimizer.type == 'AdamW' and optim.optimizer.lr == 1e-4
        assert optim.optimizer.weight_decay == 1e-4
        assert optim.clip_grad.max_norm == 0.1
        assert optim.paramwise_cfg.custom_keys['backbone'].lr_mult == 0.1
        assert cfg.model.type == 'PaIRNet'
    small = Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py'))
    assert small.model.backbone.depth == 18 and small.model.backbone.init_cfg is None


def test_pair2_differs_from_pair1_only_in_its_data():
    one = Config.fromfile(osp.join(CONFIGS, 'pairnet_r50_pair1.py'))
    two = Config.fromfile(osp.join(CONFIGS, 'pairnet_r50_pair2.py'))
    for cfg, root in ((one, 'data/pair1/'), (two, 'data/pair2/')):
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[loader].dataset.data_root == root
        for evaluator in cfg.val_evaluator + cfg.test_evaluator:
            assert evaluator.train_ann_file == root + 'annotations/train.json'
    assert one.train_dataloader.dataset.pipeline == \
        two.train_dataloader.dataset.pipeline


@pytest.mark.parametrize('name, epochs', [('pairnet_r18_synthetic_4e.py', 4),
                                          ('pairnet_r18_synthetic_40e.py', 40)])
def test_synthetic_schedules_are_the_small_config_shortened_or_lengthened(name, epochs):
    full = Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py'))
    other = Config.fromfile(osp.join(CONFIGS, name))
    assert other.model == full.model
    assert other.train_dataloader == full.train_dataloader
    assert other.optim_wrapper == full.optim_wrapper
    assert other.randomness == full.randomness
    assert other.train_cfg.max_epochs == epochs and full.train_cfg.max_epochs == 26
    # the lr steps down for the last epoch of each, after the same warm-up
    for cfg in (full, other):
        warmup, step = cfg.param_scheduler
        assert warmup == full.param_scheduler[0]
        assert step.type == 'MultiStepLR' and step.end == cfg.train_cfg.max_epochs
        assert step.milestones == [cfg.train_cfg.max_epochs - 1]


def test_small_config_reads_its_features_at_stride_16():
    """configs/pairnet_r18_synthetic.py: F_B is ResNet-18's third stage (64 channels at
    a quarter width) at stride 16, the PGCS decoder's 3 stages bring it to stride 2 and
    S to the input size."""
    import torch

    cfg = Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py'))
    model = build_model(cfg.model).eval()
    inputs = torch.randn(1, 3, 224, 288)
    with torch.no_grad():
        feat = model.extract_feat(inputs)[-1]
        decoded = model.contact_head.decoder(feat)
        outs = model.forward_heads(inputs, torch.tensor([[224, 288]]), padded=False)
    assert feat.shape == (1, 64, 14, 18)
    assert decoded.shape == (1, 16, 112, 144)
    assert outs['seg_logits'].shape == (1, 18, 224, 288)
    # the test pipeline fits images in 288 x 224, training draws short sides 192-224
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (288, 224)
    assert cfg.train_dataloader.dataset.pipeline[3].scale == [(288, 192), (288, 224)]
