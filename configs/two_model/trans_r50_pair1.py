# "Trans" on its own (Tables 1-2, the first half of "Trans + UNet"): QPIC (Tamura, Ohashi &
# Yoshinaga, CVPR 2021; code hitachi-rd-cv/qpic) on its own ResNet-50, PaIR-1. DETR's
# transformer (6 + 6 layers, 256 channels, 8 heads, FFN 2048, 100 queries), each query
# decoded into a (human box, object box, object class, actions) triplet; QPIC's set loss and
# matcher (object class 1, actions 1, L1 2.5, GIoU 1; CornerNet focal loss on the actions)
# on every decoder layer. HOI metrics only: the model predicts no contact.
# Same data, schedule and runtime as configs/pairnet_r50_pair1.py (QPIC's own recipe: 150
# epochs, lr drop at 100, 2 images x 8 GPUs, from a COCO-trained DETR).
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
        type='QPICHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        num_reg_fcs=2,
        transformer=dict(
            type='DETRTransformer',
            num_queries=100,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            decoder=dict(
                num_layers=6,
                layer_cfg=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
                return_intermediate=True)),
        loss_object_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            bg_cls_weight=0.1,
            class_weight=1.0,
            loss_weight=1.0),
        # QPIC's verb loss: CornerNet's focal loss (gamma 2, no alpha) x 1 = mmdet's
        # FocalLoss with alpha 0.5 x 2
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
