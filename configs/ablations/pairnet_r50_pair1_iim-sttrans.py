# Table 5, row "STTrans": PaIR-Net R50 on PaIR-1 with its IIM replaced by STIP (Zhang et al.,
# CVPR 2022; code zyong812/STIP), in one model: DETR (6 + 6 layers, 100 instance queries),
# 32 interaction proposals from (person, instance) pairs, the structure-aware transformer
# (6 layers); the action classifier reads [decoder output; F_M] (Eq. 15). CPAM, PGCS, the
# H-O RoI Enhancer (on the proposals' boxes), the Mask-Guided RoI Feature and Eq. 18
# unchanged. STIP has no pair set loss to keep: alpha weighs its own losses (DETR's on the
# instances, interactiveness, actions), and model.train_cfg is DETR's instance matcher
# (docs/model.md, "Comparison systems").
_base_ = ['../pairnet_r50_pair1.py']

_attn = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
_ffn = dict(
    embed_dims=256,
    feedforward_channels=2048,
    num_fcs=2,
    ffn_drop=0.1,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    interaction_head=dict(
        _delete_=True,
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
        loss_proposal=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
        loss_action=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5,
                         loss_weight=2.0)),
    # DETR's instance matcher instead of the pair matcher
    train_cfg=dict(
        _delete_=True,
        assigner=dict(
            type='HungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.0),
                dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
                dict(type='IoUCost', iou_mode='giou', weight=2.0)
            ])))
