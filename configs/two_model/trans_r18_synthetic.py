# "Trans" on its own at the synthetic scale: the first half of the Trans + UNet pipeline of
# configs/two_model/trans+unet_r18_synthetic.py. QPIC's interaction detector (DETR's
# transformer, each query a whole triplet; QPIC's set loss and matcher) on its own
# quarter-width ResNet-18 (the three stages of configs/pairnet_r18_synthetic.py, F_B at
# stride 16), as narrow as the small IIM: 128 channels, 4 heads, FFN 256, 2 encoder and 3
# decoder layers, 8 queries and 3 query groups in training (Group DETR, the small PaIR-Net's
# recipe). Data, schedule, EMA, seed and runtime: configs/pairnet_r18_synthetic.py's.
# HOI metrics only: the model predicts no contact.
_base_ = ['../pairnet_r18_synthetic.py']

_attn = dict(embed_dims=128, num_heads=4, dropout=0.0, batch_first=True)
_ffn = dict(
    embed_dims=128,
    feedforward_channels=256,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    _delete_=True,
    type='HOIDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_seg=True,
        seg_pad_value=255),
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=3,
        out_indices=(2, ),
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=None,
    interaction_head=dict(
        type='QPICHead',
        in_channels=64,
        num_object_classes=80,
        num_actions=10,
        num_reg_fcs=2,
        transformer=dict(
            type='DETRTransformer',
            num_queries=8,
            num_groups=3,
            positional_encoding=dict(num_feats=64, normalize=True),
            encoder=dict(num_layers=2, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            decoder=dict(
                num_layers=3,
                layer_cfg=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
                return_intermediate=True)),
        loss_object_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            bg_cls_weight=0.1,
            class_weight=1.0,
            loss_weight=1.0),
        # QPIC's verb loss (configs/two_model/trans_r50_pair1.py)
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
            ])),
    test_cfg=dict(max_per_img=100))

# an HOI-only model: the HOI metric only
data_root = 'data/synthetic/'
val_evaluator = [dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json')]
test_evaluator = val_evaluator
