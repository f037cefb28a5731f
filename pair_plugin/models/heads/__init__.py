"""PaIR-Net's branches: CPAM, PGCS (H-O RoI Enhancer, Body Attention), IIM, M-G feature."""
from .body_attention import BodyAttention
from .cpam import CPAM
from .ho_roi_enhancer import HORoIEnhancer, box_cell_mask
from .iim import IIM
from .mask_guided_roi_feature import MaskGuidedRoIFeature, contact_enclosing_boxes
from .pgcs import PGCS

__all__ = [
    'BodyAttention', 'CPAM', 'HORoIEnhancer', 'box_cell_mask', 'IIM',
    'MaskGuidedRoIFeature', 'contact_enclosing_boxes', 'PGCS'
]
