"""PaIR data: the dataset, its transforms, validation, statistics and generators."""
from .annotation_checks import (check_annotation_content, check_dataset, load_annotation_file,
                                read_contact_mask)
from .annotation_stats import count_hoi_instances, count_part_images
from .data_root import config_with_data_root
from .pair_dataset import PaIRDataset
from .transforms import LoadPaIRAnnotations, PackPaIRInputs, PaIRRandomCrop, PaIRRandomFlip

__all__ = [
    'PaIRDataset', 'LoadPaIRAnnotations', 'PaIRRandomFlip', 'PaIRRandomCrop', 'PackPaIRInputs',
    'check_annotation_content', 'check_dataset', 'load_annotation_file', 'read_contact_mask',
    'count_hoi_instances', 'count_part_images', 'config_with_data_root'
]
