# PaIR-Net with a ResNet-50 backbone, as the paper (55.6 M parameters; see docs/model.md).
# Modules and config keys: docs/model.md. Backbone weights: torchvision's ImageNet ResNet-50,
# downloaded once into torch's hub cache; offline, see docs/model.md, "Pretrained weights".
_attn = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
_ffn = dict(
    embed_dims=256,
    feedforward_channels=2048,
    num_fcs=2,
    ffn_drop=0.1,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    type='PaIRNet',
    # pads images and contact maps alike (255 = ignored in the padding)
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_seg=True,
        seg_pad_value=255),
    # F_B = the last stage (stride 32, C = 2048: the in_channels of CPAM, both heads and
    # the Mask-Guided RoI Feature)
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=None,
    # CPAM (Eq. 1): GAP -> FCB(2048->1024) -> FCB(1024->512) -> FC(512->17)
    cpam=dict(
        type='CPAM',
        in_channels=2048,
        hidden_channels=(1024, 512),
        dropout=0.5,
        norm_cfg=dict(type='BN1d'),
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    # the contact head, PGCS (Eq. 2-9): H-O RoI Enhancer -> 3x3 conv/BN/ReLU/2x stages
    # 2048->512->256->128->64 (stride 32 -> 2) -> Body Attention (17->64->64) -> 1x1 conv
    # -> 2x -> 18-way S at the input size; cross-entropy on S, 255 ignored
    contact_head=dict(
        type='PGCS',
        in_channels=2048,
        channels=(512, 256, 128, 64),
        kernel_size=3,
        # E_b from the ground-truth pairs in training ('gt', or 'pred'), from the
        # predicted pairs whose object score > score_thr in inference
        roi_enhancer=dict(type='HORoIEnhancer', init_delta=1.0, train_boxes='gt', score_thr=0.5),
        body_attention=dict(type='BodyAttention', hidden_channels=64),
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)),
    # the interaction head, the IIM (Eq. 10-17): its transformer (DETR encoder, 64 human
    # + 64 object queries, 3 stages of (instance decoder layer -> (D_h + D_o)/2 -> action
    # decoder layer)) and its branches: human/object boxes (FC1), object classes (FC2),
    # actions from [D_a; F_M]; L_match terms as GEN-VLKT / CDN
    interaction_head=dict(
        type='IIMHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        num_reg_fcs=2,
        transformer=dict(
            type='IIM',
            num_queries=64,
            num_stages=3,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            instance_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
            action_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn)),
        loss_object_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            bg_cls_weight=0.1,
            class_weight=1.0,
            loss_weight=1.0),
        loss_action=dict(
            type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=2.5),
        loss_iou=dict(type='GIoULoss', loss_weight=1.0)),
    # Mask-Guided RoI Feature (Eq. 14-15): 10-d F_M concatenated to D_a, from the
    # predicted S ('pred', or 'gt' in training)
    mask_guided_feature=dict(
        type='MaskGuidedRoIFeature', in_channels=2048, out_channels=10, train_mask='pred'),
    # Eq. 18: alpha * L_match + beta * (L_BCE + L_CE)
    match_loss_weight=0.1,
    contact_loss_weight=0.5,
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
