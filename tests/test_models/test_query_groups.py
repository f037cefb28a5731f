"""IIM query groups (Group DETR): isolation of the groups, their losses, inference."""
import pytest
import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.structures import InstanceData
from pairnet_cases import small_iim, small_iim_head

Q, GROUPS = 5, 3


def grouped_iim(**kwargs):
    torch.manual_seed(0)
    return small_iim(num_groups=GROUPS, **kwargs)


def test_training_decodes_every_group_inference_the_first():
    iim = grouped_iim()
    feat = torch.randn(2, 16, 2, 3)
    iim.train()
    outs = iim(feat)
    assert [o.shape for o in outs] == [(3, 2, GROUPS * Q, 32)] * 3
    iim.eval()
    with torch.no_grad():
        first = iim(feat)
    assert [o.shape for o in first] == [(3, 2, Q, 32)] * 3
    # in training, the first group is decoded exactly as inference decodes it alone
    for grouped, alone in zip(outs, first):
        torch.testing.assert_close(grouped[:, :, :Q], alone, atol=1e-5, rtol=1e-5)
    # and a model without groups, with the same weights, gives the same predictions
    plain = small_iim()
    missing, unexpected = plain.load_state_dict(iim.state_dict(), strict=False)
    assert not missing
    assert sorted(unexpected) == [
        'group_human_query_embedding.weight', 'group_object_query_embedding.weight'
    ]
    plain.eval()
    with torch.no_grad():
        for a, b in zip(plain(feat), first):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_groups_do_not_see_each_other():
    """Changing group 1's query embeddings changes group 1's outputs only."""
    iim = grouped_iim()
    iim.train()
    feat = torch.randn(2, 16, 2, 3)
    before = iim(feat)
    with torch.no_grad():
        iim.group_human_query_embedding.weight[:Q] += 1.0  # group 1 (of 0, 1, 2)
        iim.group_object_query_embedding.weight[:Q] -= 1.0
    after = iim(feat)
    for b, a in zip(before, after):
        for queries in (slice(0, Q), slice(2 * Q, 3 * Q)):
            torch.testing.assert_close(a[:, :, queries], b[:, :, queries], atol=1e-5, rtol=1e-5)
        assert not torch.allclose(a[:, :, Q:2 * Q], b[:, :, Q:2 * Q])


def _gt(img_w, img_h, human, obj, label, actions):
    gt = InstanceData(
        labels=torch.tensor(label),
        actions=torch.tensor(actions),
        human_bboxes=torch.tensor(human),
        object_bboxes=torch.tensor(obj))
    factor = torch.tensor([img_w, img_h, img_w, img_h], dtype=torch.float32)
    gt.human_pixels = bbox_cxcywh_to_xyxy(gt.human_bboxes) * factor
    gt.object_pixels = bbox_cxcywh_to_xyxy(gt.object_bboxes) * factor
    return gt


def test_group_losses_are_the_mean_of_each_groups_own():
    """The grouped loss equals the mean of the losses each group's queries get when
    they are the model's only queries, every group matched on its own."""
    head = small_iim_head()
    torch.manual_seed(1)
    gts = [
        _gt(96, 64, [[0.3, 0.5, 0.3, 0.6], [0.7, 0.5, 0.2, 0.8]],
            [[0.5, 0.6, 0.2, 0.2], [0.8, 0.3, 0.1, 0.1]], [2, 1], [[0., 1., 0.], [1., 0., 1.]]),
        _gt(80, 64, [[0.5, 0.5, 0.4, 0.9]], [[0.2, 0.7, 0.2, 0.3]], [3], [[0., 0., 1.]])
    ]
    img_sizes = torch.tensor([[64, 96], [64, 80]])
    outs = [
        torch.rand(3, 2, GROUPS * Q, 4) * 0.5 + 0.25,
        torch.rand(3, 2, GROUPS * Q, 4) * 0.5 + 0.25,
        torch.randn(3, 2, GROUPS * Q, 5),
        torch.randn(3, 2, GROUPS * Q, 3)
    ]
    keys = ('human_boxes', 'object_boxes', 'object_logits', 'action_logits')
    grouped = head.loss_by_pairs(dict(zip(keys, outs)), gts, img_sizes, num_groups=GROUPS)
    per_group = []
    for g in range(GROUPS):
        queries = slice(g * Q, (g + 1) * Q)
        per_group.append(
            head.loss_by_pairs(dict(zip(keys, [o[:, :, queries] for o in outs])), gts, img_sizes))
    assert set(grouped) == set(per_group[0])
    for key, value in grouped.items():
        mean = sum(losses[key] for losses in per_group) / GROUPS
        assert value.item() == pytest.approx(mean.item(), rel=1e-5), key
    # the groups really differ, so the mean is not one group's loss
    assert per_group[0]['loss_sub_bbox'] != pytest.approx(
        per_group[1]['loss_sub_bbox'].item(), rel=1e-3)


def test_the_head_knows_its_groups_and_gives_the_enhancer_the_first():
    """IIMHead: in training the outputs hold the groups, and the pairs handed to the H-O
    RoI Enhancer are the first group's of the last stage; in eval there is one group."""
    torch.manual_seed(0)
    head = small_iim_head(transformer=dict(num_groups=GROUPS)).train()
    outs = head(torch.randn(2, 16, 2, 3))
    assert outs['object_logits'].shape[2] == GROUPS * Q
    assert head.query_groups(outs) == GROUPS
    human, obj, scores = head.interaction_pairs(outs)
    assert human.shape == obj.shape == (2, Q, 4) and scores.shape == (2, Q)
    assert torch.equal(human, outs['human_boxes'][-1, :, :Q])
    assert torch.equal(obj, outs['object_boxes'][-1, :, :Q])
    probs = outs['object_logits'][-1, :, :Q].softmax(-1)
    torch.testing.assert_close(scores, probs[..., :-1].amax(-1))
    assert not human.requires_grad and not scores.requires_grad
    head.eval()
    with torch.no_grad():
        outs = head(torch.randn(2, 16, 2, 3))
    assert outs['object_logits'].shape[2] == Q and head.query_groups(outs) == 1


def test_num_groups_must_be_positive():
    with pytest.raises(ValueError, match='num_groups must be >= 1'):
        small_iim(num_groups=0)


# ------------------------------------------------------ DETR's transformer (QPIC's) with groups
def grouped_detr(num_groups=GROUPS):
    from qpic_stip_cases import small_detr_transformer_cfg

    from pair_plugin.registry import MODELS
    torch.manual_seed(0)
    detr = MODELS.build(
        dict(small_detr_transformer_cfg(num_queries=Q), in_channels=16, num_groups=num_groups))
    detr.init_weights()
    return detr


def test_detr_transformer_groups_as_the_iims():
    """Training decodes every group, inference the first; the first group alone is what
    a transformer without groups and the same weights decodes; groups do not see each
    other; a QPIC head on it trains with the grouped losses."""
    detr = grouped_detr()
    feat = torch.randn(2, 16, 2, 3)
    detr.train()
    hidden = detr(feat)[0]
    assert hidden.shape == (2, 2, GROUPS * Q, 32)
    detr.eval()
    with torch.no_grad():
        first = detr(feat)[0]
    assert first.shape == (2, 2, Q, 32)
    torch.testing.assert_close(hidden[:, :, :Q], first, atol=1e-5, rtol=1e-5)
    plain = grouped_detr(num_groups=1)
    _, unexpected = plain.load_state_dict(detr.state_dict(), strict=False)
    assert unexpected == ['group_query_embedding.weight']
    plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(plain(feat)[0], first, atol=1e-6, rtol=1e-6)
    detr.train()
    with torch.no_grad():
        detr.group_query_embedding.weight[:Q] += 1.0  # group 1 (of 0, 1, 2)
        after = detr(feat)[0]
    for queries in (slice(0, Q), slice(2 * Q, 3 * Q)):
        torch.testing.assert_close(after[:, :, queries], hidden[:, :, queries].detach())
    assert not torch.allclose(after[:, :, Q:2 * Q], hidden[:, :, Q:2 * Q])


def test_detr_transformer_refuses_no_groups_and_stip_refuses_groups():
    from qpic_stip_cases import small_stip_cfg

    from pair_plugin.registry import MODELS
    with pytest.raises(ValueError, match='num_groups must be >= 1'):
        grouped_detr(num_groups=0)
    cfg = small_stip_cfg()
    cfg['instance_transformer'] = dict(cfg['instance_transformer'], num_groups=2)
    with pytest.raises(ValueError, match='STIPHead: its instance detector decodes one query'):
        MODELS.build(cfg)
