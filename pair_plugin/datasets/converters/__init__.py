"""Converters from public HOI annotations (HICO-DET, V-COCO, HOT masks) to PaIR."""
from .hico_det import convert_hico_det, hico_det_metainfo
from .hot_masks import HOTMaskIndex, join_key
from .qpic_layout import (IMAGE_MODES, config_lines, convert_qpic, format_report, load_qpic_file,
                          pair_contact_parts)
from .vcoco import convert_vcoco, vcoco_metainfo

__all__ = [
    'convert_hico_det', 'convert_vcoco', 'convert_qpic', 'hico_det_metainfo', 'vcoco_metainfo',
    'HOTMaskIndex', 'join_key', 'format_report', 'load_qpic_file', 'pair_contact_parts',
    'config_lines', 'IMAGE_MODES'
]
