# Table 6, row "MANet": PaIR-Net R50 on PaIR-1 with PGCS replaced by MA-Net (Fan et al. 2020;
# segmentation_models_pytorch's decoder) on the backbone's four stages (out_indices extended
# to (0, 1, 2, 3); F_B, the stride-32 stage, is still the last level). CPAM (still trained),
# the IIM, the Mask-Guided RoI Feature (reading MA-Net's S) and Eq. 18 unchanged. MA-Net
# takes neither CPAM's part priors (PGCS's Body Attention has no counterpart) nor the H-O RoI
# Enhancer.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    contact_head=dict(
        _delete_=True,
        type='MANetContactHead',
        in_channels=(256, 512, 1024, 2048),
        in_index=(0, 1, 2, 3),
        decoder_channels=(256, 128, 64, 32, 16),
        pab_channels=64,
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)))
