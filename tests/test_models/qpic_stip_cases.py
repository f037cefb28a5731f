"""Small QPIC and STIP head configs for the model tests (32 channels, 2 decoder layers)."""

_ATTN = dict(embed_dims=32, num_heads=4, dropout=0.0, batch_first=True)
_FFN = dict(
    embed_dims=32,
    feedforward_channels=64,
    num_fcs=2,
    ffn_drop=0.0,
    act_cfg=dict(type='ReLU', inplace=True))


def small_detr_transformer_cfg(num_queries=10) -> dict:
    """A 32-channel DETR transformer: 1 encoder and 2 decoder layers."""
    return dict(
        type='DETRTransformer',
        num_queries=num_queries,
        positional_encoding=dict(num_feats=16, normalize=True),
        encoder=dict(num_layers=1, layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
        decoder=dict(
            num_layers=2,
            layer_cfg=dict(self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
            return_intermediate=True))


def small_qpic_cfg(in_channels=32, num_queries=10, **kwargs) -> dict:
    """QPICHead on ``in_channels`` features with :func:`small_detr_transformer_cfg`."""
    return dict(
        dict(
            type='QPICHead',
            in_channels=in_channels,
            transformer=small_detr_transformer_cfg(num_queries),
            num_object_classes=4,
            num_actions=3), **kwargs)


def small_stip_cfg(in_channels=32, num_queries=10, num_proposals=4, **kwargs) -> dict:
    """STIPHead on ``in_channels`` features: the small DETR, 32-wide proposal features and
    a 2-layer structure-aware decoder."""
    return dict(
        dict(
            type='STIPHead',
            in_channels=in_channels,
            instance_transformer=small_detr_transformer_cfg(num_queries),
            interaction_decoder=dict(
                type='StructureAwareDecoder',
                num_layers=2,
                layer_cfg=dict(embed_dims=32, num_heads=4, feedforward_channels=64, dropout=0.0)),
            num_proposals=num_proposals,
            pair_channels=32,
            spatial_channels=8,
            semantic_channels=8,
            num_object_classes=4,
            num_actions=3), **kwargs)
