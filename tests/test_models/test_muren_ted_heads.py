"""RCLTrans (MUREN) and DisTrans (TED-Net): their pieces, their configs and their parameter
counts beside the paper's Table 1 (the head contract itself: test_head_interfaces.py)."""
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.cnn.bricks.transformer import MultiheadAttention
from mmengine.config import Config
from muren_ted_cases import ATTN, FFN, small_head_cfg
from pairnet_cases import (NUM_ACTIONS, build_model, preprocess, small_hoi_detector_cfg,
                           small_model_cfg, small_resnet18_cfg, two_synthetic_samples)

import pair_plugin.models  # noqa: F401
from pair_plugin.models.heads import MURE, DispersalAttention, TEDHead
from pair_plugin.models.heads.dispersal_attention import gaussian_kernel
from pair_plugin.registry import MODELS
from tests.helpers import (CONFIGS, load_tool, make_tiny_dataset, train_and_test_in_process,
                           write_tiny_config)

count_tool = load_tool('tools/analysis/count_params.py')

#: ResNet-50 without its classifier, as in every detector here
RESNET50 = 23_508_032


def normal_cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_gaussian_kernel_is_ted_nets_window():
    # get_kernel(3, 1): bins [-1.5, -0.5, 0.5, 1.5]; the window is sqrt(outer(w, w)) / sum
    w = [normal_cdf(b) - normal_cdf(a) for a, b in ((-1.5, -0.5), (-0.5, 0.5), (0.5, 1.5))]
    s = np.sqrt(w)
    expected = np.outer(s, s) / np.outer(s, s).sum()
    np.testing.assert_allclose(gaussian_kernel(3, 1.0).numpy(), expected, rtol=1e-6)
    kernel = gaussian_kernel(7, 2.0)
    assert kernel.shape == (7, 7) and abs(kernel.sum().item() - 1) < 1e-6
    assert kernel.argmax() == 24 and torch.equal(kernel, kernel.T)


def one_head_attention(kernel_size=7, sigma=2.0):
    """2-d, 1 head, every projection the identity, no bias: the logit of key j is
    q . k_j / sqrt(2) and the output adds the attended values to the query."""
    attn = DispersalAttention(
        kernel_size=kernel_size, sigma=sigma, embed_dims=2, num_heads=1, batch_first=True)
    with torch.no_grad():
        attn.attn.in_proj_weight.copy_(torch.eye(2).repeat(3, 1))
        attn.attn.in_proj_bias.zero_()
        attn.attn.out_proj.weight.copy_(torch.eye(2))
        attn.attn.out_proj.bias.zero_()
    return attn.eval()


def test_dispersal_spreads_one_positive_logit_over_the_gaussian_window():
    """On a 5x5 map with logit 1 at (2, 2) and 0 elsewhere, the dispersed weights are the
    7x7 window centred there, cut to the map and renormalised; cell (2, 3) gets
    K[3, 4] / (sum of the window's 5x5 centre)."""
    attn = one_head_attention()
    query = torch.tensor([[[1.0, 0.0]]])
    logits = torch.zeros(25)
    logits[12] = 1.0
    value = torch.zeros(1, 25, 2)
    value[0, 13, 0] = 1.0  # reads the weight of cell (2, 3)
    key = torch.zeros(1, 25, 2)
    key[0, :, 0] = logits * math.sqrt(2)
    out, dispersed = attn(query, key, value, spatial_shape=(5, 5))
    kernel = gaussian_kernel(7, 2.0)
    expected = kernel[3, 4] / (kernel[1:6, 1:6].sum() + 1e-5)
    assert dispersed[0, 0, 0].item() == pytest.approx(1 + expected.item(), rel=1e-5)
    # the usual output: softmax of the same logits
    softmax = logits.softmax(0)[13]
    assert out[0, 0, 0].item() == pytest.approx(1 + softmax.item(), rel=1e-5)

    # padding (the last two columns) takes no weight and the rest is renormalised
    padding = torch.zeros(1, 5, 5, dtype=torch.bool)
    padding[:, :, 3:] = True
    value = torch.zeros(1, 25, 2)
    value[0, 11, 0] = 1.0  # cell (2, 1)
    value[0, 14, 1] = 1.0  # cell (2, 4), in the padding
    _, dispersed = attn(
        query, key, value, key_padding_mask=padding.flatten(1), spatial_shape=(5, 5))
    expected = kernel[3, 2] / (kernel[1:6, 1:4].sum() + 1e-5)
    assert dispersed[0, 0, 0].item() == pytest.approx(1 + expected.item(), rel=1e-5)
    assert dispersed[0, 0, 1].item() == 0


def test_dispersal_attention_gives_mmcvs_attention_beside_the_dispersed_output():
    torch.manual_seed(0)
    attn = DispersalAttention(embed_dims=16, num_heads=2, batch_first=True).eval()
    query, query_pos = torch.randn(2, 5, 16), torch.randn(2, 5, 16)
    key, key_pos = torch.randn(2, 12, 16), torch.randn(2, 12, 16)
    padding = torch.zeros(2, 12, dtype=torch.bool)
    padding[1, 8:] = True
    out, dispersed = attn(
        query,
        key,
        query_pos=query_pos,
        key_pos=key_pos,
        key_padding_mask=padding,
        spatial_shape=(3, 4))
    expected = MultiheadAttention.forward(
        attn, query, key, query_pos=query_pos, key_pos=key_pos, key_padding_mask=padding)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
    assert dispersed.shape == out.shape and not torch.allclose(dispersed, out)
    with pytest.raises(ValueError, match='3x5 map'):
        attn(query, key, spatial_shape=(3, 5))


def test_mure_gives_each_triplet_its_own_context():
    """The unary, ternary and pairwise attention run within one query's triplet: changing
    query 1's human features changes query 1's context only."""
    torch.manual_seed(0)
    mure = MURE(
        self_attn_layer=dict(self_attn_cfg=ATTN, ffn_cfg=FFN),
        cross_attn_layer=dict(cross_attn_cfg=ATTN, ffn_cfg=FFN)).eval()
    human, obj, interaction = torch.randn(3, 2, 4, 16)
    memory, pos = torch.randn(2, 6, 16), torch.randn(2, 6, 16)
    context = mure(human, obj, interaction, memory, pos)
    changed = human.clone()
    changed[:, 1] += 1
    other = mure(changed, obj, interaction, memory, pos)
    assert context.shape == (2, 4, 16)
    torch.testing.assert_close(other[:, [0, 2, 3]], context[:, [0, 2, 3]])
    assert not torch.allclose(other[:, 1], context[:, 1])


def test_muren_fusion_per_stage_or_shared():
    per_stage = MODELS.build(small_head_cfg('MURENHead')).transformer
    shared = MODELS.build(
        small_head_cfg(
            'MURENHead',
            transformer=dict(small_head_cfg('MURENHead')['transformer'],
                             share_fusion=True))).transformer
    assert [len(f) for f in per_stage.fusions.values()] == [2, 2, 2]
    assert [len(f) for f in shared.fusions.values()] == [1, 1, 1]
    shared.init_weights()
    human, obj, interaction = shared(torch.randn(1, 32, 2, 3))
    assert human.shape == obj.shape == interaction.shape == (2, 1, 5, 16)


def test_ted_pair_layout_by_hand():
    human = torch.tensor([[0.5, 0.5, 0.2, 0.4]])  # x 0.4-0.6, y 0.3-0.7
    obj = torch.tensor([[0.5, 0.4, 0.2, 0.2]])  # x 0.4-0.6, y 0.3-0.5: half the human box
    layout = TEDHead.pair_layout(human, obj)
    expected = [0.0, 0.1, 0.5, 2.0, 0.5, 0.5, 0.2, 0.4, 0.5, 0.4, 0.2, 0.2]
    torch.testing.assert_close(layout, torch.tensor([expected]), rtol=1e-4, atol=1e-6)


def test_ted_interaction_features_read_the_dispersed_copies():
    """The Gaussian changes only the interaction decoder's input (through the dispersed
    copies): with another sigma the human and object features stay, the interaction
    features change."""
    feat = torch.randn(2, 32, 3, 4)
    outputs = []
    for sigma in (1.0, 3.0):
        cfg = small_head_cfg('TEDHead')
        cfg['transformer']['instance_decoder_layer']['cross_attn_cfg']['sigma'] = sigma
        torch.manual_seed(0)
        head = MODELS.build(cfg)
        head.init_weights()
        with torch.no_grad():
            outputs.append(head.eval().transformer(feat))
    (h1, o1, i1), (h2, o2, i2) = outputs
    torch.testing.assert_close(h1, h2)
    torch.testing.assert_close(o1, o2)
    assert not torch.allclose(i1, i2)


def test_ted_classifiers_from_text_embeddings(tmp_path):
    rng = np.random.default_rng(0)
    objects = rng.normal(size=(5, 8)).astype(np.float32)
    actions = rng.normal(size=(3, 8)).astype(np.float32)
    np.save(tmp_path / 'objects.npy', objects)
    np.save(tmp_path / 'actions.npy', actions)
    head = MODELS.build(
        small_head_cfg(
            'TEDHead',
            text_embeddings=dict(
                objects=str(tmp_path / 'objects.npy'), actions=str(tmp_path / 'actions.npy'))))
    head.init_weights()
    for layer, rows in ((head.object_cls, objects), (head.action_cls, actions)):
        expected = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        np.testing.assert_allclose(layer.weight.detach().numpy(), expected, rtol=1e-5)

    np.save(tmp_path / 'wrong.npy', actions[:2])
    head = MODELS.build(
        small_head_cfg('TEDHead', text_embeddings=dict(actions=str(tmp_path / 'wrong.npy'))))
    with pytest.raises(
            ValueError, match=r'text_embeddings.actions: .*wrong.npy .*\(2, 8\).*\(3, 8\)'):
        head.init_weights()
    head = MODELS.build(
        small_head_cfg('TEDHead', text_embeddings=dict(objects=str(tmp_path / 'no.npy'))))
    with pytest.raises(FileNotFoundError, match='text_embeddings.objects: no file .*no.npy'):
        head.init_weights()
    with pytest.raises(ValueError, match="got \\['verbs'\\]"):
        MODELS.build(small_head_cfg('TEDHead', text_embeddings=dict(verbs='x.npy')))


@pytest.mark.parametrize('name', ['MURENHead', 'TEDHead'])
def test_pairnet_with_the_head_trains_and_predicts(name):
    """Table 5's protocol on the small model: only the interaction head replaced; one
    training step gives finite losses and a gradient on every trainable parameter, and
    prediction maps and triplets at the original size."""
    cfg = small_model_cfg()
    cfg.model.interaction_head = small_head_cfg(
        name, in_channels=512, num_object_classes=8, num_actions=NUM_ACTIONS)
    model = build_model(cfg.model).train()
    assert type(model.interaction_head).__name__ == name
    assert model.interaction_head.mask_feat_channels == 10
    inputs, samples = two_synthetic_samples()
    losses = model(**preprocess(model, inputs, samples), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total) and {'loss_action', 'd0.loss_action'} <= set(losses)
    total.backward()
    for param_name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), param_name
    model.eval()
    with torch.no_grad():
        results = model(**preprocess(model, inputs, samples, training=False), mode='predict')
    for result in results:
        assert result.pred_sem_seg.sem_seg.shape == (1, 96, 128)
        hois = result.pred_hois
        assert 0 < len(hois) <= 100
        assert (hois.subject_bboxes[:, 0::2] <= 128).all()
        assert (hois.object_bboxes[:, 1::2] <= 96).all()


#: the paper's Table 1 (PaIR-1), the detector alone = the row minus UNet-R50's 32.5 M
PAPER_DETECTORS = {'rcltrans': ('MURENHead', 107.7 - 32.5), 'distrans': ('TEDHead', 79.8 - 32.5)}


@pytest.mark.parametrize('name', list(PAPER_DETECTORS))
def test_table5_config_replaces_only_the_interaction_head(name):
    cfg = Config.fromfile(osp.join(CONFIGS, 'ablations', f'pairnet_r50_pair1_iim-{name}.py'))
    paper = Config.fromfile(osp.join(CONFIGS, 'pairnet_r50_pair1.py'))
    head_type, expected = PAPER_DETECTORS[name]
    assert cfg.model.interaction_head.type == head_type
    for key in set(cfg.model) | set(paper.model):
        if key != 'interaction_head':
            assert cfg.model.get(key) == paper.model.get(key), key
    assert cfg.train_dataloader == paper.train_dataloader
    assert cfg.optim_wrapper == paper.optim_wrapper
    counts = count_tool.count_params(count_tool.build_model(cfg))
    # backbone + the head without its F_M columns (10 per action) = the detector alone
    detector = (counts['backbone'] + counts['interaction_head'] - 10 * 117) / 1e6
    assert abs(detector - expected) / expected < 0.05, detector


@pytest.mark.parametrize('name', list(PAPER_DETECTORS))
def test_standalone_config_is_a_resnet_50_and_the_head_near_table_1(name):
    cfg = Config.fromfile(osp.join(CONFIGS, 'two_model', f'{name}_r50_pair1.py'))
    head_type, expected = PAPER_DETECTORS[name]
    assert cfg.model.type == 'HOIDetector' and cfg.model.interaction_head.type == head_type
    assert [e.type for e in cfg.test_evaluator] == ['HOIMetric']
    counts = count_tool.count_params(count_tool.build_model(cfg))
    assert counts['backbone'] == RESNET50
    assert set(k for k in counts if '.' not in k) == {'backbone', 'interaction_head', 'total'}
    assert abs(counts['total'] / 1e6 - expected) / expected < 0.05, counts['total']


@pytest.mark.parametrize('name', ['MURENHead', 'TEDHead'])
def test_hoi_detector_with_the_head_trains_a_step_and_predicts(name):
    model = build_model(
        small_hoi_detector_cfg(
            small_head_cfg(name, in_channels=32, num_object_classes=8,
                           num_actions=NUM_ACTIONS))).train()
    inputs, samples = two_synthetic_samples()
    losses = model(**preprocess(model, inputs, samples), mode='loss')
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    for param_name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), param_name
    with torch.no_grad():
        results = model.eval()(**preprocess(model, inputs, samples, training=False), mode='predict')
    for result in results:
        assert 'pred_sem_seg' not in result and 0 < len(result.pred_hois) <= 7


def test_standalone_ted_net_trains_and_tests_through_the_tools(tmp_path):
    """tools/train.py then tools/test.py on the tiny synthetic set with a small TED-Net
    HOIDetector: a checkpoint, HOI metrics only, a predictions file of every test image
    without contact."""
    data = make_tiny_dataset(str(tmp_path / 'data'), num_train=2, num_val=2, num_test=2)
    head = small_head_cfg('TEDHead', in_channels=32, num_object_classes=80, num_actions=10)
    extra = f'''
model = dict(
    _delete_=True,
    type='HOIDetector',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=32,
                           pad_seg=True, seg_pad_value=255),
    backbone={small_resnet18_cfg()!r},
    interaction_head={head!r})
val_evaluator = [dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json')]
test_evaluator = val_evaluator
'''
    cfg = write_tiny_config(str(tmp_path / 'ted_cfg.py'), data, extra=extra)
    result = train_and_test_in_process(cfg, str(tmp_path / 'work'), str(tmp_path / 'preds.json'))
    values, preds = result['metrics'], result['predictions']
    assert 0 <= values['hoi/mAP'] <= 100 and not any(k.startswith('contact/') for k in values)
    assert len(preds) == 2 and all(0 < len(p['hois']) <= 7 for p in preds)
    assert all(p['contact_mask'] is None for p in preds)
