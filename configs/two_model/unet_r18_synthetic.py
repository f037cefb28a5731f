# UNet on its own at the synthetic scale: the contact half of the Trans + UNet pipeline of
# configs/two_model/trans+unet_r18_synthetic.py. A contact-only model (ContactSegmenter): the
# quarter-width ResNet-18's three stages (16, 32, 64 channels at strides 4, 8, 16) and the
# UNet head of configs/ablations/pairnet_r18_synthetic_seg-unet.py (64, 32, 16, 16 channels,
# PGCS's background weight and prior of the synthetic recipe). Data, schedule, EMA, seed and
# runtime: configs/pairnet_r18_synthetic.py's. HOIMetric says in one log line that this
# model predicts no triplets; ContactMetric gives SC-Acc., C-Acc., mIoU and wIoU.
_base_ = ['../pairnet_r18_synthetic.py']

model = dict(
    _delete_=True,
    type='ContactSegmenter',
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
        out_indices=(0, 1, 2),
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=None,
    contact_head=dict(
        type='UNetContactHead',
        in_channels=(16, 32, 64),
        in_index=(0, 1, 2),
        decoder_channels=(64, 32, 16, 16),
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            ignore_index=255,
            avg_non_ignore=True,
            class_weight=[0.1] + [1.0] * 17,
            loss_weight=1.0),
        background_prior=0.9))
