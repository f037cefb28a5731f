from .body_parts import (BODY_PARTS, FLIP_PAIRS, IGNORE_INDEX, NUM_PARTS, PART_PALETTE,
                         flip_contact_map, flip_part_ids, flip_part_vector)
from .format_error import PaIRFormatError
from .metainfo import VOCABULARY_KEYS, objects_key, with_object_alias
from .pair_data_sample import PaIRDataSample
from .sample_arrays import to_numpy

__all__ = [
    'BODY_PARTS', 'FLIP_PAIRS', 'IGNORE_INDEX', 'NUM_PARTS', 'PART_PALETTE', 'flip_contact_map',
    'flip_part_ids', 'flip_part_vector', 'PaIRDataSample', 'PaIRFormatError', 'VOCABULARY_KEYS',
    'objects_key', 'with_object_alias', 'to_numpy'
]
