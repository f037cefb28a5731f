# Table 5, row "Trans": PaIR-Net R50 on PaIR-1 with its IIM replaced by QPIC's interaction
# detector (Tamura, Ohashi & Yoshinaga, CVPR 2021; code hitachi-rd-cv/qpic): DETR's
# transformer (6 + 6 layers, 100 queries), each query a whole (human box, object box, object
# class, actions) triplet; the action classifier reads [decoder output; F_M] (Eq. 15). CPAM,
# PGCS, the H-O RoI Enhancer, the Mask-Guided RoI Feature, L_match's terms and Eq. 18
# unchanged (docs/model.md, "Comparison systems").
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
        # PaIR-Net's L_match terms (configs/_base_/models/pairnet_r50.py), not QPIC's own
        # action loss (configs/two_model/trans_r50_pair1.py): only the IIM is replaced
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
