# Table 5, row "RCLTrans": PaIR-Net R50 on PaIR-1 with its IIM replaced by MUREN (Kim, Jung
# & Cho, CVPR 2023; code OreoChocolate/MUREN) as its code builds it on HICO-DET: DETR encoder
# (6 layers), 64 queries in each of three branches (human, object, interaction) of 6 DETR
# decoder layers, the multiplex relation embedding (MURE, shared by the stages) and the
# attentive fusion (one per stage and branch). The interaction branch's features, with F_M,
# feed the action classifier (Eq. 15). CPAM, PGCS, the H-O RoI Enhancer, the Mask-Guided RoI
# Feature, L_match's terms and Eq. 18 unchanged (docs/model.md, "Comparison systems").
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
        loss_action=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=2.5),
        loss_iou=dict(type='GIoULoss', loss_weight=1.0)))
