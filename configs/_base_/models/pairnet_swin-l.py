# PaIR-Net with a Swin-L backbone (224.2 M parameters in the paper). F_B = Swin's last stage
# (stride 32, C = 1536). Weights: the official Swin-L ImageNet-22k 384x384 release (the URL
# of mmdet's Swin-L configs), downloaded once into torch's hub cache, converted on load.
_base_ = ['./pairnet_swin-s.py']

model = dict(
    backbone=dict(
        pretrain_img_size=384,
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=12,
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/SwinTransformer/storage/releases/download/'
            'v1.0.0/swin_large_patch4_window12_384_22k.pth')),
    cpam=dict(in_channels=1536),
    interaction_head=dict(in_channels=1536),
    contact_head=dict(in_channels=1536),
    mask_guided_feature=dict(in_channels=1536))
