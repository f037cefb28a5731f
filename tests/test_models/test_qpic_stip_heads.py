"""Trans (QPIC) and STTrans (STIP): their pieces by hand, in PaIR-Net and alone, their configs."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from pairnet_cases import (NUM_ACTIONS, build_model, make_sample, preprocess,
                           small_hoi_detector_cfg, small_model_cfg, two_synthetic_samples)
from qpic_stip_cases import small_qpic_cfg, small_stip_cfg

import pair_plugin.models  # noqa: F401
from pair_plugin.models.heads.stip_head import (pair_spatial_layout, proposal_layouts,
                                                proposal_relations)
from pair_plugin.models.heads.structure_aware_transformer import StructureAwareAttention
from pair_plugin.registry import MODELS
from tests.helpers import CONFIGS, load_tool

init_default_scope('pair_plugin')
count_tool = load_tool('tools/analysis/count_params.py')


def test_structure_aware_attention_adds_q_dot_r_over_d_to_the_logits():
    torch.manual_seed(0)
    attn = StructureAwareAttention(embed_dims=8, num_heads=2).eval()
    attn.init_weights()
    query, key, value = torch.randn(1, 3, 8), torch.randn(1, 4, 8), torch.randn(1, 4, 8)
    structure = torch.randn(1, 3, 4, 8)
    padding = torch.tensor([[False, False, False, True]])
    out = attn(query, key, value, structure=structure, key_padding_mask=padding)

    w, b = attn.in_proj.weight, attn.in_proj.bias
    expected = []
    for h in range(2):  # head h reads channels 4h..4h+3 of q, k, v and r
        rows = slice(4 * h, 4 * h + 4)
        q = query[0] @ w[rows].t() + b[rows]
        k = key[0] @ w[8:16][rows].t() + b[8:16][rows]
        v = value[0] @ w[16:][rows].t() + b[16:][rows]
        r = structure[0, :, :, rows]
        logits = q @ k.t() / 2 + (q[:, None] * r).sum(-1) / 4  # d = 4
        logits[:, 3] = -math.inf
        expected.append(logits.softmax(-1) @ v)
    expected = attn.out_proj(torch.cat(expected, dim=-1))
    torch.testing.assert_close(out[0], expected)


def test_pair_spatial_layout_by_hand():
    human = torch.tensor([[0.0, 0.0, 0.5, 1.0]])
    obj = torch.tensor([[0.25, 0.5, 1.0, 1.0]])
    dx, dy = 0.25 - 0.625, 0.5 - 0.75
    expected = [
        dx, dy,
        math.hypot(dx, dy),
        math.atan2(dy, dx) / math.pi, 0.25 * 0.5, 1.0, 0.5, 0.75 * 0.5
    ]
    torch.testing.assert_close(pair_spatial_layout(human, obj)[0], torch.tensor(expected))


def test_proposal_relations_by_hand():
    # proposals (human, object): (0, 1), (0, 2), (3, 1), (1, 0)
    pairs = torch.tensor([[[0, 1], [0, 2], [3, 1], [1, 0]]])
    expected = [[5, 1, 2, 4], [1, 5, 0, 3], [2, 0, 5, 4], [4, 4, 3, 5]]
    assert proposal_relations(pairs)[0].tolist() == expected


def test_proposal_layouts_by_hand():
    # 4 x 6 cells, the last column padding: the boxes scale to 5 x 4 cells
    in_image = torch.ones(1, 4, 6, dtype=torch.bool)
    in_image[:, :, 5] = False
    # human x1y1x2y2 (0, 0, 0.4, 0.5) -> cells x 0..2, y 0..2; object (0.4, 0.5, 1, 1) ->
    # x 2..4 (5 kept inside), y 2..3; their union covers the image
    xyxy = torch.tensor([[0.0, 0.0, 0.4, 0.5], [0.4, 0.5, 1.0, 1.0]])
    cxcywh = torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], dim=1)
    layout = proposal_layouts(torch.tensor([[[0, 1]]]), cxcywh[None], in_image)
    assert layout[0, 0].tolist() == [[3, 3, 3, 2, 2, 0], [3, 3, 3, 2, 2, 0], [3, 3, 5, 4, 4, 0],
                                     [2, 2, 4, 4, 4, 0]]


def stip_samples():
    """Two 64x96 images: a person with two objects, one interacting with actions 0 and
    2, and one with a second person interacting with the first (action 1)."""
    samples = [
        make_sample((64, 96),
                    boxes=[(4, 4, 40, 60), (30, 20, 90, 50), (60, 2, 70, 12)],
                    labels=[0, 2, 3],
                    pairs=[(0, 1, [0, 2], [])],
                    num_actions=3),
        make_sample((64, 96),
                    boxes=[(40, 2, 78, 46), (2, 10, 44, 60)],
                    labels=[0, 0],
                    pairs=[(1, 0, [1], [])],
                    num_actions=3),
    ]
    feat = torch.randn(2, 32, 2, 3, generator=torch.Generator().manual_seed(0))
    return feat, samples


def build_head(cfg):
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def test_training_proposals_start_with_the_ground_truth_pairs_and_carry_their_actions():
    feat, samples = stip_samples()
    head = build_head(small_stip_cfg(num_proposals=5)).train()
    outs = head(feat, None, batch_data_samples=samples)
    pairs, gt_ids = outs['proposal_pairs'], outs['instance_gt_ids']
    assert pairs.shape == (2, 5, 2) and (pairs[..., 0] != pairs[..., 1]).all()
    for img_id, (human, obj) in enumerate([(0, 1), (1, 0)]):
        # every ground-truth instance found a query; the pair's queries come first
        assert sorted(gt_ids[img_id][gt_ids[img_id] >= 0].tolist()) == list(
            range(len(samples[img_id].gt_instances.labels)))
        assert gt_ids[img_id][pairs[img_id, 0]].tolist() == [human, obj]
        assert len(set(map(tuple, pairs[img_id].tolist()))) == 5
    targets = head.proposal_targets(pairs, gt_ids, samples)
    assert targets[0, 0].tolist() == [1, 0, 1] and targets[1, 0].tolist() == [0, 1, 0]
    assert targets[:, 1:].sum() == 0
    outs['action_logits'] = head.forward_actions(outs)
    losses = head.loss_by_feat(outs, samples, None)
    # DETR's losses on both instance layers, interactiveness, actions on both decoder layers
    assert set(losses) == {
        'loss_inst_cls', 'loss_inst_bbox', 'loss_inst_iou', 'd0.loss_inst_cls', 'd0.loss_inst_bbox',
        'd0.loss_inst_iou', 'loss_proposal', 'loss_action', 'd0.loss_action'
    }
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())


def test_inference_proposals_are_the_most_interactive_person_pairs():
    feat, samples = stip_samples()
    head = build_head(small_stip_cfg(num_proposals=4)).eval()
    with torch.no_grad():
        outs = head(feat, None, batch_data_samples=samples)  # no ground truth at inference
        probs = outs['instance_logits'][-1].softmax(-1)
    assert 'instance_gt_ids' not in outs
    logits = outs['proposal_logits']
    assert (logits[:, :-1] >= logits[:, 1:]).all()
    for img_id in range(2):
        pairs = outs['proposal_pairs'][img_id]
        assert (pairs[:, 0] != pairs[:, 1]).all()
        # humans: people above the threshold, or (none here, untrained) the most person-like
        humans = set(pairs[:, 0].tolist())
        assert humans == {int(probs[img_id, :, 0].argmax())}
        # the interface's boxes and object logits are the proposals' instances'
        torch.testing.assert_close(outs['human_boxes'][-1, img_id],
                                   outs['instance_boxes'][-1, img_id, pairs[:, 0]])
        torch.testing.assert_close(outs['object_logits'][0, img_id],
                                   outs['instance_logits'][-1, img_id, pairs[:, 1]])


def test_stip_refuses_the_pair_matcher_and_too_many_proposals():
    hoi_assigner = dict(assigner=dict(type='HOIHungarianAssigner', match_costs=[]))
    with pytest.raises(ValueError, match="DETR's instance matcher"):
        MODELS.build(small_stip_cfg(train_cfg=hoi_assigner))
    with pytest.raises(ValueError, match='num_proposals'):
        MODELS.build(small_stip_cfg(num_queries=10, num_proposals=10))


def test_qpic_action_loss_is_cornernets_focal_loss():
    """QPIC's verb loss: -(sum over positives of log(p)(1-p)^2 + over negatives of
    log(1-p)p^2) / #positives."""
    head = MODELS.build(small_qpic_cfg())
    logits = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.0, 1.0]])
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    p = logits.sigmoid()
    expected = -((torch.log(p) * (1 - p)**2 * targets).sum() + (torch.log(1 - p) * p**2 *
                                                                (1 - targets)).sum()) / 2
    torch.testing.assert_close(head.loss_action(logits, targets, avg_factor=2.0), expected)


@pytest.mark.parametrize('cfg', [small_qpic_cfg, small_stip_cfg])
def test_pairnet_with_the_head_trains_and_predicts(cfg):
    """Table 5's protocol on the small model: only the interaction head replaced."""
    model_cfg = small_model_cfg()
    model_cfg.model.interaction_head = cfg(
        in_channels=512, num_object_classes=8, num_actions=NUM_ACTIONS)
    if cfg is small_stip_cfg:
        model_cfg.model.train_cfg = None  # STIP's own: DETR's instance matcher
    model = build_model(model_cfg.model).train()
    assert model.interaction_head.mask_feat_channels == 10
    inputs, samples = two_synthetic_samples()
    losses = model(**preprocess(model, inputs, samples), mode='loss')
    total = sum(losses.values())
    assert torch.isfinite(total) and {'loss_action', 'd0.loss_action'} <= set(losses)
    total.backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name
    with torch.no_grad():
        results = model.eval()(**preprocess(model, inputs, samples, training=False), mode='predict')
    for result in results:
        assert result.pred_sem_seg.sem_seg.shape == (1, 96, 128)
        assert 0 < len(result.pred_hois) <= 100
        assert (result.pred_hois.subject_bboxes[:, 0::2] <= 128).all()


def test_hoi_detector_with_stip_trains_a_step_with_the_ground_truth_pairs():
    model = build_model(
        small_hoi_detector_cfg(small_stip_cfg(num_object_classes=8,
                                              num_actions=NUM_ACTIONS))).train()
    inputs, samples = two_synthetic_samples()
    calls = []
    model.interaction_head.register_forward_hook(
        lambda module, args, kwargs, out: calls.append(kwargs.get('batch_data_samples')),
        with_kwargs=True)
    losses = model(**preprocess(model, inputs, samples), mode='loss')
    assert calls[0] is not None and losses['loss_proposal'] > 0
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), name


#: Table 1 (PaIR-1), the detector alone = the row minus UNet-R50's 32.5 M
PAPER_DETECTORS = {'trans': ('QPICHead', 74.0 - 32.5), 'sttrans': ('STIPHead', 87.2 - 32.5)}


@pytest.mark.parametrize('name', list(PAPER_DETECTORS))
def test_standalone_config_is_near_table_1(name):
    cfg = Config.fromfile(osp.join(CONFIGS, 'two_model', f'{name}_r50_pair1.py'))
    head_type, expected = PAPER_DETECTORS[name]
    assert cfg.model.type == 'HOIDetector' and cfg.model.interaction_head.type == head_type
    assert [e.type for e in cfg.test_evaluator] == ['HOIMetric']
    counts = count_tool.count_params(count_tool.build_model(cfg))
    assert set(k for k in counts if '.' not in k) == {'backbone', 'interaction_head', 'total'}
    assert abs(counts['total'] / 1e6 - expected) / expected < 0.05, counts['total']


@pytest.mark.parametrize('name', list(PAPER_DETECTORS))
def test_table5_config_replaces_only_the_interaction_head(name):
    cfg = Config.fromfile(osp.join(CONFIGS, 'ablations', f'pairnet_r50_pair1_iim-{name}.py'))
    paper = Config.fromfile(osp.join(CONFIGS, 'pairnet_r50_pair1.py'))
    assert cfg.model.interaction_head.type == PAPER_DETECTORS[name][0]
    # STIP matches instances, not pairs: its train_cfg is DETR's matcher
    changed = {'interaction_head'} | ({'train_cfg'} if name == 'sttrans' else set())
    for key in set(cfg.model) | set(paper.model):
        if key not in changed:
            assert cfg.model.get(key) == paper.model.get(key), key
    assert cfg.train_dataloader == paper.train_dataloader
    assert cfg.optim_wrapper == paper.optim_wrapper
    model = count_tool.build_model(cfg)
    assert type(model.interaction_head).__name__ == PAPER_DETECTORS[name][0]
    assert model.interaction_head.mask_feat_channels == 10
