# Table 1, "DisTrans + HOT" (contact half): HOT (Chen et al., CVPR 2023; code yixchen/HOT) on
# its own on PaIR-1, a contact-only model (ContactSegmenter), as its code builds it: a dilated
# ResNet-50 (stride 8: stages 3-4 dilated 2 and 4, the first block of each at half the
# dilation; mmseg's ResNetV1c, whose deep stem is 32-32-64 where HOT's is 64-64-128) and the
# part-attention decoder on its last stage (HOTContactHead; its part branch learns from the
# parts PaIR's labels give, as PaIR has no body-part segmentation). 50.10 M parameters;
# the paper's row implies 97.5 - 47.3 = 50.2 M (docs/model.md, "Comparison systems").
# Same data, schedule (AdamW; HOT trains with SGD lr 0.02, poly) and runtime as
# configs/pairnet_r50_pair1.py.
_base_ = ['./unet_r50_pair1.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        contract_dilation=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    contact_head=dict(
        _delete_=True,
        type='HOTContactHead',
        in_channels=2048,
        in_index=-1,
        channels=512,
        roi_enhancer=None,
        part_loss_weight=0.1,
        background_outside_people=True,
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            class_weight=[0.02] + [1.0] * 17,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)))
