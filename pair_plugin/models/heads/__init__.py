"""PaIR-Net's branches: CPAM; the interaction head interface and IIMHead (the IIM
transformer and its branches); the contact head interface and PGCS (H-O RoI Enhancer, Body
Attention); the Mask-Guided RoI Feature."""
from .base_contact_head import BaseContactHead, stack_contact_maps
from .base_interaction_head import BaseInteractionHead
from .body_attention import BodyAttention
from .cpam import CPAM
from .detr_encoder import DETREncoderTransformer
from .detr_transformer import DETRTransformer
from .dispersal_attention import DispersalAttention, DispersalDecoderLayer
from .ho_roi_enhancer import HORoIEnhancer, box_cell_mask
from .hot_contact_head import HOTContactHead
from .iim import IIM
from .iim_head import IIMHead
from .mask_guided_roi_feature import MaskGuidedRoIFeature, contact_enclosing_boxes
from .muren import MURE, AttentiveFusion, CrossAttentionLayer, MURENTransformer
from .muren_head import MURENHead
from .pgcs import PGCS
from .pihot_contact_head import PIHOTContactHead
from .qpic_head import QPICHead
from .smp_contact_heads import (LinkNetContactHead, MANetContactHead, SMPDecoderContactHead,
                                UNetContactHead)
from .stip_head import STIPHead
from .structure_aware_transformer import StructureAwareDecoder
from .ted import TEDTransformer
from .ted_head import TEDHead

__all__ = [
    'BaseContactHead', 'stack_contact_maps', 'BaseInteractionHead', 'BodyAttention', 'CPAM',
    'HORoIEnhancer', 'box_cell_mask', 'IIM', 'IIMHead', 'MaskGuidedRoIFeature',
    'contact_enclosing_boxes', 'PGCS', 'DETREncoderTransformer', 'DETRTransformer', 'QPICHead',
    'STIPHead', 'StructureAwareDecoder', 'DispersalAttention', 'DispersalDecoderLayer', 'MURE',
    'AttentiveFusion', 'CrossAttentionLayer', 'MURENTransformer', 'MURENHead', 'TEDTransformer',
    'TEDHead', 'SMPDecoderContactHead', 'UNetContactHead', 'LinkNetContactHead', 'MANetContactHead',
    'HOTContactHead', 'PIHOTContactHead'
]
