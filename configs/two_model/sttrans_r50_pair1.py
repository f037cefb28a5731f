# "STTrans" on its own (Tables 1-2, the first half of "STTrans + UNet"): STIP (Zhang et al.,
# CVPR 2022; code zyong812/STIP) on its own ResNet-50, PaIR-1, in one model. DETR (6 + 6
# layers, 100 instance queries) detects people and objects; the 32 most interactive
# (person, instance) pairs become interaction proposals (the ground-truth pairs first in
# training, STIP's hard negative mining); STIP's structure-aware transformer (6 layers, the
# proposals' semantic structure in the self-attention, their spatial layout in the
# cross-attention) classifies their actions. Losses: DETR's set loss on every instance layer
# (class 1, L1 5, GIoU 2, no-object 0.1), the interactiveness and every layer's actions (each
# CornerNet's focal loss). STIP trains on a frozen COCO-trained DETR, then fine-tunes both with
# DETR's losses x 0.1: here all parts train together from the start (docs/model.md,
# "Comparison systems"). HOI metrics only: the model predicts no contact.
# Same data, schedule and runtime as configs/pairnet_r50_pair1.py.
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
        type='STIPHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        instance_transformer=dict(
            type='DETRTransformer',
            num_queries=100,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            decoder=dict(
                num_layers=6,
                layer_cfg=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
                return_intermediate=True)),
        # mmdet's DETR head: class and box branches, DETR's set loss
        instance_head=dict(
            type='DETRHead',
            num_reg_fcs=2,
            loss_cls=dict(
                type='CrossEntropyLoss',
                bg_cls_weight=0.1,
                use_sigmoid=False,
                loss_weight=1.0,
                class_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=5.0),
            loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
        num_proposals=32,
        pair_channels=1024,
        spatial_channels=64,
        semantic_channels=300,
        human_score_thr=0.5,
        nms_iou_thr=0.7,
        interaction_decoder=dict(
            type='StructureAwareDecoder',
            num_layers=6,
            layer_cfg=dict(embed_dims=256, num_heads=8, feedforward_channels=2048, dropout=0.1)),
        # STIP's proposal and action losses: CornerNet's focal loss (gamma 2, no alpha) x 1
        # = mmdet's FocalLoss with alpha 0.5 x 2
        loss_proposal=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
        loss_action=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5,
                         loss_weight=2.0)),
    # DETR's instance matcher (STIP's ground-truth pairs and the DETR loss use it)
    train_cfg=dict(
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])))

train_dataloader = dict(batch_size=4)

# an HOI-only model: the HOI metric (rare/non-rare from the training split), no contact metric
data_root = 'data/pair1/'
val_evaluator = [dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json')]
test_evaluator = val_evaluator
