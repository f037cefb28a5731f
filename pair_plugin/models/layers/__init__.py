"""Layers that PaIR-Net's heads are built from."""
from .winograd_conv import WinogradConv2d, winograd_conv3x3, winograd_weight

__all__ = ['WinogradConv2d', 'winograd_conv3x3', 'winograd_weight']
