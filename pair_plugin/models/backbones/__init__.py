"""Backbones of the comparison systems: PIHOT's image stage around any backbone."""
from .pihot_backbone import PIHOTBackbone

__all__ = ['PIHOTBackbone']
