from .body_parts import (BODY_PARTS, FLIP_PAIRS, IGNORE_INDEX, NUM_PARTS,
                         PART_PALETTE, contact_map_ids, flip_contact_map,
                         flip_part_ids, flip_part_vector)
from .format_error import PaIRFormatError
from .pair_data_sample import PaIRDataSample

__all__ = [
    'BODY_PARTS', 'FLIP_PAIRS', 'IGNORE_INDEX', 'NUM_PARTS', 'PART_PALETTE',
    'contact_map_ids', 'flip_contact_map', 'flip_part_ids', 'flip_part_vector',
    'PaIRDataSample', 'PaIRFormatError'
]
