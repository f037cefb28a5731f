# "RCLTrans" on its own (Tables 1-2, the first half of "RCLTrans + UNet"): MUREN (Kim, Jung &
# Cho, CVPR 2023; code OreoChocolate/MUREN) on its own ResNet-50, PaIR-1, as its code builds
# it on HICO-DET: DETR encoder (6 layers), three branches (human, object, interaction) of 6
# DETR decoder layers with 64 queries each, the multiplex relation embedding (MURE, shared by
# the stages) and the attentive fusion (one per stage and branch). CDN's set loss and matcher
# as MUREN's (object class 1, actions 1, L1 2.5, GIoU 1; focal loss alpha 0.5 on the actions)
# on every stage. HOI metrics only: the model predicts no contact.
# Same data, schedule and runtime as configs/pairnet_r50_pair1.py (MUREN's own recipe: 100
# epochs, lr drop at 60, 4 images x 4 GPUs, from a COCO-trained DETR).
_base_ = [
    '../_base_/models/hoi_detector_r50.py', '../_base_/datasets/pair1.py',
    '../_base_/schedules/schedule_90e.py', '../_base_/default_runtime.py'
]

_attn = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
_ffn = dict(
    embed_dims=256,
    feedforward_channels=2048,
    num_fcs=2,
    ffn_drop=0.1,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    interaction_head=dict(
        type='MURENHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        num_reg_fcs=2,
        transformer=dict(
            type='MURENTransformer',
            num_queries=64,
            num_stages=6,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
            relation=dict(
                self_attn_layer=dict(self_attn_cfg=_attn, ffn_cfg=_ffn),
                cross_attn_layer=dict(cross_attn_cfg=_attn, ffn_cfg=_ffn)),
            # MUREN's HICO-DET setting (its V-COCO one shares the fusion modules)
            share_fusion=False),
        loss_object_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            bg_cls_weight=0.1,
            class_weight=1.0,
            loss_weight=1.0),
        # MUREN's verb loss: CornerNet's focal loss with alpha 0.5 (its --alpha) x 2
        loss_action=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=2.5),
        loss_iou=dict(type='GIoULoss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='HOIHungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.0),
                dict(type='HOIActionCost', weight=1.0),
                dict(type='PairBBoxL1Cost', weight=2.5),
                dict(type='PairIoUCost', iou_mode='giou', weight=1.0)
            ])))

train_dataloader = dict(batch_size=4)

# an HOI-only model: the HOI metric (rare/non-rare from the training split), no contact metric
data_root = 'data/pair1/'
val_evaluator = [dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json')]
test_evaluator = val_evaluator
