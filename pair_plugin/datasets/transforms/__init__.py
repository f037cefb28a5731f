"""PaIR data transforms (registered in ``pair_plugin.registry.TRANSFORMS``).

Resize and photometric distortion reuse mmdet's ``Resize``, ``RandomResize``,
``RandomChoiceResize`` and ``PhotoMetricDistortion`` directly: they already keep boxes and
``gt_seg_map`` consistent, and pairs and part labels do not change under them.
"""
from .crop import PaIRRandomCrop
from .flip import PaIRRandomFlip
from .formatting import PackPaIRInputs
from .loading import LoadPaIRAnnotations, image_parts, parts_in_contact_map

__all__ = [
    'LoadPaIRAnnotations', 'PaIRRandomFlip', 'PaIRRandomCrop', 'PackPaIRInputs', 'image_parts',
    'parts_in_contact_map'
]
