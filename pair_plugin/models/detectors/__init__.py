"""The PaIR-Net detector, and a standalone HOI detector (no contact)."""
from .hoi_detector import HOIDetector
from .pairnet import PaIRNet

__all__ = ['HOIDetector', 'PaIRNet']
