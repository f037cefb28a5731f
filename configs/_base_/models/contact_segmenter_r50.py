# The standalone contact model of the paper's two-model rows (Tables 1-2, "DisTrans + UNet"):
# a ResNet-50 and a contact head, no interaction branch (ContactSegmenter; docs/model.md,
# "Comparison systems"). The head here is UNet (segmentation_models_pytorch's decoder); the
# configs of configs/two_model/ replace it. The backbone trains whole, BatchNorm included,
# as smp's models train their encoder; its ImageNet weights are torchvision's ResNet-50,
# those of smp's 'imagenet' resnet50 encoder, downloaded once into torch's hub cache.
model = dict(
    type='ContactSegmenter',
    # pads images and contact maps alike (255 = ignored in the padding)
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,
        pad_seg=True,
        seg_pad_value=255),
    # the four stages (strides 4, 8, 16, 32), which the decoders read by in_index
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=None,
    # UNet (Ronneberger et al. 2015): smp's decoder with its default channels; S at the
    # input size; cross-entropy on S, 255 ignored
    contact_head=dict(
        type='UNetContactHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),
        decoder_channels=(256, 128, 64, 32, 16),
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)))
