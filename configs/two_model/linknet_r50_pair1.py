# Table 1, "DisTrans + LinkNet" (contact half): LinkNet-R50 on its own on PaIR-1, as
# configs/two_model/unet_r50_pair1.py with the LinkNet head (Chaurasia & Culurciello 2017;
# segmentation_models_pytorch's decoder, 32 pre-final channels). Parameters: docs/model.md,
# "Comparison systems" (the paper's row implies a larger model than LinkNet-R50).
_base_ = ['./unet_r50_pair1.py']

model = dict(
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
