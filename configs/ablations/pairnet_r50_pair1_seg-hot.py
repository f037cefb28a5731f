# Table 6, row "HOT": PaIR-Net R50 on PaIR-1 with PGCS replaced by HOT's contact detector
# (Chen et al., CVPR 2023; code yixchen/HOT) as its code builds it: 3x3 conv/BN branches
# 2048->512 for contact and parts, the part logits' softmax attending the contact features
# part by part (18 x 3x3 conv/BN/ReLU 512->64), a 1x1 conv to the 18-way logits, upsampled
# to S. HOT's loss: class weights 0.02 (no contact) / 1 (parts), plus 0.1 x the part
# loss; PaIR has no body-part segmentation, so the part branch learns from the parts that
# PaIR's labels give (contact pixels; annotated pixels outside every person box are no part:
# HOTContactHead.part_labels). HOT reads F_B here (stride 32: PaIR-Net's backbone; HOT's
# own is a dilated ResNet-50 at stride 8). It takes no CPAM priors (its attention is its
# own part branch) and, as in Table 6, no H-O RoI Enhancer (roi_enhancer=dict(
# type='HORoIEnhancer') would apply it to F_B). CPAM, the IIM, the Mask-Guided RoI Feature
# and Eq. 18 unchanged.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(
    contact_head=dict(
        _delete_=True,
        type='HOTContactHead',
        in_channels=2048,
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
