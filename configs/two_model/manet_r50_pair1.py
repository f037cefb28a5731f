# Table 1, "DisTrans + MANet" (contact half): MA-Net-R50 on its own on PaIR-1, as
# configs/two_model/unet_r50_pair1.py with the MANet head (Fan et al. 2020;
# segmentation_models_pytorch's decoder: position-wise attention on the stride-32 level,
# multi-scale fusion attention blocks). Parameters: docs/model.md, "Comparison systems"
# (the paper's row implies a larger model than MANet-R50).
_base_ = ['./unet_r50_pair1.py']

model = dict(
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
