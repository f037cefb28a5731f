"""The PaIR-Net detector, a standalone HOI detector (no contact) and a standalone contact
segmenter (no interactions)."""
from .contact_segmenter import ContactSegmenter
from .hoi_detector import HOIDetector
from .pairnet import PaIRNet
from .two_model_pipeline import TwoModelPipeline

__all__ = ['ContactSegmenter', 'HOIDetector', 'PaIRNet', 'TwoModelPipeline']
