"""Layers that PaIR-Net's heads are built from."""
from .fused_attention import WeightlessMultiheadAttention, fuse_attention

__all__ = ['WeightlessMultiheadAttention', 'fuse_attention']
