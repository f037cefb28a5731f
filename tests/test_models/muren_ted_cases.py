"""Small configs of the MUREN (RCLTrans) and TED-Net (DisTrans) interaction heads, shared by
the head contract test and tests/test_models/test_muren_ted_heads.py."""

#: 16-wide attention and FFN, no dropout
ATTN = dict(embed_dims=16, num_heads=2, dropout=0.0, batch_first=True)
FFN = dict(
    embed_dims=16,
    feedforward_channels=32,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))


def small_muren_cfg(in_channels=32, **kwargs):
    """A 16-wide MURENTransformer: 1 encoder layer, 5 queries per branch, 2 stages."""
    cfg = dict(
        type='MURENTransformer',
        in_channels=in_channels,
        num_queries=5,
        num_stages=2,
        positional_encoding=dict(num_feats=8, normalize=True),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=ATTN, ffn_cfg=FFN)),
        decoder_layer=dict(self_attn_cfg=ATTN, cross_attn_cfg=ATTN, ffn_cfg=FFN),
        relation=dict(
            self_attn_layer=dict(self_attn_cfg=ATTN, ffn_cfg=FFN),
            cross_attn_layer=dict(cross_attn_cfg=ATTN, ffn_cfg=FFN)))
    cfg.update(kwargs)
    return cfg


def small_ted_cfg(in_channels=32, **kwargs):
    """A 16-wide TEDTransformer: 1 encoder layer, 5 queries, 2 stages, a 3x3 Gaussian."""
    cfg = dict(
        type='TEDTransformer',
        in_channels=in_channels,
        num_queries=5,
        num_stages=2,
        positional_encoding=dict(num_feats=8, normalize=True),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=ATTN, ffn_cfg=FFN)),
        instance_decoder_layer=dict(
            self_attn_cfg=ATTN, cross_attn_cfg=dict(ATTN, kernel_size=3, sigma=1.0), ffn_cfg=FFN),
        interaction_decoder_layer=dict(self_attn_cfg=ATTN, cross_attn_cfg=ATTN, ffn_cfg=FFN))
    cfg.update(kwargs)
    return cfg


def small_head_cfg(name, in_channels=32, **kwargs):
    """MURENHead or TEDHead on ``in_channels``-channel features, 4 object classes, 3
    actions, 7 triplets per image; ``kwargs`` override it."""
    cfg = dict(
        type=name,
        in_channels=in_channels,
        num_object_classes=4,
        num_actions=3,
        test_cfg=dict(max_per_img=7))
    if name == 'MURENHead':
        cfg['transformer'] = small_muren_cfg(in_channels)
    else:
        cfg.update(transformer=small_ted_cfg(in_channels), embed_channels=8)
    cfg.update(kwargs)
    return cfg
