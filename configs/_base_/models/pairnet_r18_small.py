# A small PaIR-Net for CPUs: ResNet-18 trained from scratch, a narrow IIM (2 encoder layers,
# 128 channels, 16 + 16 queries, still 3 decoder stages), narrow CPAM and PGCS. Same modules,
# losses and switches as the paper's model (pairnet_r50.py); only widths and depths differ.
_base_ = ['./pairnet_r50.py']

_attn = dict(embed_dims=128, num_heads=4, dropout=0.0, batch_first=True)
_ffn = dict(
    embed_dims=128,
    feedforward_channels=256,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    # F_B = ResNet-18's last stage, 512 channels
    backbone=dict(
        depth=18,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    cpam=dict(in_channels=512, hidden_channels=(128, 64), dropout=0.0),
    contact_head=dict(
        in_channels=512,
        channels=(128, 64, 32, 32),
        body_attention=dict(type='BodyAttention', hidden_channels=32)),
    interaction_head=dict(
        in_channels=512,
        transformer=dict(
            num_queries=16,
            positional_encoding=dict(num_feats=64, normalize=True),
            encoder=dict(num_layers=2, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            instance_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn),
            action_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn, ffn_cfg=_ffn))),
    mask_guided_feature=dict(in_channels=512))
