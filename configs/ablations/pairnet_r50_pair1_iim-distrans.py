# Table 5, row "DisTrans": PaIR-Net R50 on PaIR-1 with its IIM replaced by TED-Net (Wang, Liu
# & Lei, TCSVT 2024; code YuxiaoWang-AI/TED-Net) as its code builds it on HICO-DET: DETR
# encoder (6 layers), 64 pair queries, human and object decoders (3 layers each) with
# dispersal attention (a fixed 7x7 Gaussian, sigma 2), an interaction decoder (3 layers)
# guided by their dispersed copies, cosine object and action classifiers in a 512-d space.
# The action classifier reads [pair layout; object class; interaction features; F_M]
# (Eq. 15). CPAM, PGCS, the H-O RoI Enhancer, the Mask-Guided RoI Feature, L_match's terms
# and Eq. 18 unchanged. TED-Net's CLIP parts are not built in: see docs/model.md,
# "Comparison systems" (classifier weights from CLIP text embeddings: text_embeddings).
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
        type='TEDHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        num_reg_fcs=2,
        embed_channels=512,
        logit_scale=1 / 0.07,
        # e.g. dict(objects='clip_objects.npy', actions='clip_actions.npy')
        text_embeddings=dict(),  # objects=, actions=: .npy files (docs/model.md)
        transformer=dict(
            type='TEDTransformer',
            num_queries=64,
            num_stages=3,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            instance_decoder_layer=dict(
                self_attn_cfg=_attn,
                cross_attn_cfg=dict(_attn, kernel_size=7, sigma=2.0),
                ffn_cfg=_ffn),
            interaction_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn,
                                           ffn_cfg=_ffn)),
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
