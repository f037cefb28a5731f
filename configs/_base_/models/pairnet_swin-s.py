# PaIR-Net with a Swin-S backbone (73.6 M parameters in the paper). F_B = Swin's last stage
# (stride 32, C = 768). Weights: the official Swin-S ImageNet-1k release (the URL of mmdet's
# Swin configs), downloaded once into torch's hub cache, converted on load (convert_weights).
_base_ = ['./pairnet_r50.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=224,
        embed_dims=96,
        depths=[2, 2, 18, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(3, ),
        with_cp=False,
        convert_weights=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/SwinTransformer/storage/releases/download/'
            'v1.0.0/swin_small_patch4_window7_224.pth')),
    cpam=dict(in_channels=768),
    interaction_head=dict(in_channels=768),
    contact_head=dict(in_channels=768),
    mask_guided_feature=dict(in_channels=768))
