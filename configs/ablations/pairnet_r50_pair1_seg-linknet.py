# Table 6, row "LinkNet": PaIR-Net R50 on PaIR-1 with PGCS replaced by LinkNet (Chaurasia &
# Culurciello 2017; segmentation_models_pytorch's decoder) on the backbone's four stages
# (out_indices extended to (0, 1, 2, 3); F_B, the stride-32 stage, is still the last level).
# CPAM (still trained), the IIM, the Mask-Guided RoI Feature (reading LinkNet's S) and
# Eq. 18 unchanged. LinkNet takes neither CPAM's part priors (PGCS's Body Attention has no
# counterpart) nor the H-O RoI Enhancer.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    contact_head=dict(
        _delete_=True,
        type='LinkNetContactHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),
        prefinal_channels=32,
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)))
