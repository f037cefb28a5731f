"""The sync-free target building of IIM keeps the losses of the per-image indexing version.

The expected numbers were computed on this fixed input by the previous implementation
(``torch.nonzero`` per image, boolean indexing, ``.item()`` avg factors), before it was
replaced (issue 7: no host-device synchronisation beyond the assignment).
"""
import pytest
import torch
from mmdet.structures.bbox import bbox_xyxy_to_cxcywh
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from pair_plugin.registry import MODELS

BEFORE = {
    'loss_obj_cls': 2.1616223, 'loss_action': 1.8323386,
    'loss_sub_bbox': 4.2919254, 'loss_sub_iou': 0.8981051,
    'loss_obj_bbox': 4.1619124, 'loss_obj_iou': 0.6473413
}


def _fixed_case():
    init_default_scope('pair_plugin')
    torch.manual_seed(0)
    attn = dict(embed_dims=16, num_heads=2, batch_first=True)
    ffn = dict(embed_dims=16, feedforward_channels=16)
    iim = MODELS.build(dict(
        type='IIM', in_channels=8, num_object_classes=4, num_actions=3,
        num_queries=5, num_stages=1,
        positional_encoding=dict(num_feats=8, normalize=True),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=attn, ffn_cfg=ffn)),
        instance_decoder_layer=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                                    ffn_cfg=ffn),
        action_decoder_layer=dict(self_attn_cfg=attn, cross_attn_cfg=attn,
                                  ffn_cfg=ffn)))
    num_imgs, num_queries = 3, 5
    human = torch.rand(num_imgs, num_queries, 4) * 0.5 + 0.25
    obj = torch.rand(num_imgs, num_queries, 4) * 0.5 + 0.25
    obj_logits = torch.randn(num_imgs, num_queries, 5)
    act_logits = torch.randn(num_imgs, num_queries, 3)
    metas = [dict(img_shape=(60, 80)), dict(img_shape=(64, 64)),
             dict(img_shape=(50, 70))]
    gts = []
    for i, n in enumerate((2, 0, 7)):  # no pair, and more pairs than queries
        h, w = metas[i]['img_shape']
        f = torch.tensor([w, h, w, h], dtype=torch.float)

        def boxes():
            xy = torch.sort(torch.rand(n, 2, 2), dim=1).values
            return xy.permute(0, 2, 1).reshape(n, 4) * f

        hp, op = boxes(), boxes()
        gts.append(InstanceData(
            labels=torch.randint(0, 4, (n, )),
            actions=(torch.rand(n, 3) > 0.5).float(),
            human_bboxes=bbox_xyxy_to_cxcywh(hp / f),
            object_bboxes=bbox_xyxy_to_cxcywh(op / f),
            human_pixels=hp, object_pixels=op))
    gt_pairs, gt_sizes = iim.assigner.pack_gt_instances(gts)
    return iim.loss_by_feat_single(human, obj, obj_logits, act_logits, gt_pairs, gt_sizes,
                                   metas)


def test_iim_losses_equal_the_previous_implementation():
    losses = _fixed_case()
    assert set(losses) == set(BEFORE)
    for key, value in BEFORE.items():
        assert float(losses[key]) == pytest.approx(value, abs=2e-6), key
