"""The PaIR-Net detector."""
from .pairnet import PaIRNet

__all__ = ['PaIRNet']
