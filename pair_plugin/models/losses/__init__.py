"""Losses that PaIR-Net's heads compute in their own way."""
from .upsampled_cross_entropy import upsampled_cross_entropy

__all__ = ['upsampled_cross_entropy']
