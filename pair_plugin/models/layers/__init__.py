"""Layers that PaIR-Net's heads are built from."""
from .fused_attention import WeightlessMultiheadAttention, fuse_attention
from .winograd_conv import WinogradConv2d, winograd_conv3x3, winograd_weight

__all__ = [
    'WeightlessMultiheadAttention', 'fuse_attention', 'WinogradConv2d',
    'winograd_conv3x3', 'winograd_weight'
]
