# A standalone HOI detector (HOIDetector) on its own ResNet-50: the first half of the paper's
# two-model rows (Tables 1-2, "Trans + UNet"). The same backbone and data preprocessor as
# PaIR-Net R50 (pairnet_r50.py); a config built on it adds its model.interaction_head (with
# in_channels=2048) and, where the head's default differs, model.train_cfg.
model = dict(
    type='HOIDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_seg=True,
        seg_pad_value=255),
    # F_B = the last stage (stride 32, 2048 channels)
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
    test_cfg=dict(max_per_img=100))
