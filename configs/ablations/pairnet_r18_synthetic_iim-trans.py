# Table 5, row "Trans", at the synthetic scale (configs/pairnet_r18_synthetic.py's backbone,
# schedule and recipe): the IIM replaced by QPIC's interaction detector, DETR's transformer
# as narrow as the small IIM (128 channels, 4 heads, FFN 256, no dropout, 2 encoder layers)
# with 3 decoder layers (the small IIM's 3 stages), 8 queries, each a whole (human box,
# object box, object class, actions) triplet, and the IIM's 3 query groups in training
# (Group DETR); the action classifier reads [decoder output; F_M] (Eq. 15). CPAM, PGCS, the
# H-O RoI Enhancer, the Mask-Guided RoI Feature, L_match's terms and Eq. 18 unchanged.
# Results over seeds: docs/benchmarks.md, "The paper's claims on the synthetic set".
_base_ = ['../pairnet_r18_synthetic.py']

_attn = dict(embed_dims=128, num_heads=4, dropout=0.0, batch_first=True)
_ffn = dict(
    embed_dims=128,
    feedforward_channels=256,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    interaction_head=dict(
        _delete_=True,
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
        # PaIR-Net's L_match terms (configs/_base_/models/pairnet_r50.py): only the IIM is
        # replaced
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
