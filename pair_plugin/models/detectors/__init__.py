"""The PaIR-Net detector, a standalone HOI detector (no contact) and a standalone contact
segmenter (no interactions)."""
from .contact_segmenter import ContactSegmenter
from .hoi_detector import HOIDetector
from .pairnet import PaIRNet

__all__ = ['ContactSegmenter', 'HOIDetector', 'PaIRNet']
