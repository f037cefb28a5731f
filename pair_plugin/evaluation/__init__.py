"""Metrics (HOI mAP, HOT's contact metrics) and the PaIR predictions file."""
from .contact_metric import (HOT_PART_CONTACT_COUNTS, ContactMetric, contact_confusion_matrix,
                             contact_scores, normalise_part_weights)
from .dump_predictions import DumpPaIRPredictions
from .hoi_error_analysis import HOI_ERROR_OUTCOMES, HOIErrorAnalysis, triplet_outcomes
from .hoi_matching import (hoi_box_iou, match_image_predictions, select_image_predictions,
                           triplet_nms)
from .hoi_metric import HOIMetric, eleven_point_ap
from .predictions_file import (prediction_mask_path, read_prediction_mask, read_predictions_file,
                               write_prediction_mask, write_predictions_file)

__all__ = [
    'HOIMetric', 'ContactMetric', 'HOT_PART_CONTACT_COUNTS', 'DumpPaIRPredictions',
    'eleven_point_ap', 'HOIErrorAnalysis', 'HOI_ERROR_OUTCOMES', 'triplet_outcomes', 'hoi_box_iou',
    'match_image_predictions', 'select_image_predictions', 'triplet_nms',
    'contact_confusion_matrix', 'contact_scores', 'normalise_part_weights', 'prediction_mask_path',
    'read_prediction_mask', 'read_predictions_file', 'write_prediction_mask',
    'write_predictions_file'
]
