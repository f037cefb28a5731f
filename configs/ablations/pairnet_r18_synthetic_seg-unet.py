# Table 6, row "UNet", at the synthetic scale (configs/pairnet_r18_synthetic.py's backbone,
# schedule and recipe): PGCS replaced by UNet (smp's decoder) on the backbone's three stages
# (out_indices (0, 1, 2): 16, 32 and 64 channels at strides 4, 8 and 16; F_B, stage 3, is
# still the last level). Its four blocks (64, 32, 16, 16 channels, stride 16 -> 1) end as
# wide as PGCS's last stage here (16); the cross-entropy's background weight and the
# classifier's background prior are PGCS's of the synthetic recipe. CPAM (still trained), the
# IIM, the Mask-Guided RoI Feature (reading UNet's S) and Eq. 18 unchanged. Results over
# seeds: docs/benchmarks.md, "The paper's claims on the synthetic set".
_base_ = ['../pairnet_r18_synthetic.py']

model = dict(
    backbone=dict(out_indices=(0, 1, 2)),
    contact_head=dict(
        _delete_=True,
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
