"""Random crop that keeps interaction pairs consistent with the boxes that survive it."""
from typing import Tuple, Union

import numpy as np
from mmdet.datasets.transforms import RandomCrop

from pair_plugin.registry import TRANSFORMS
from .loading import image_parts

#: the per-pair keys, all indexed by pair along their first axis
PAIR_KEYS = ('gt_pair_subject_ids', 'gt_pair_object_ids', 'gt_pair_actions', 'gt_pair_parts')


@TRANSFORMS.register_module()
class PaIRRandomCrop(RandomCrop):
    """mmdet's :class:`RandomCrop` that also drops and re-indexes interaction pairs.

    mmdet crops the image, ``gt_seg_map`` and the boxes, and drops the boxes left
    outside the crop (with their labels and ignore flags). This transform then drops
    every pair whose subject or object box was dropped, and re-indexes the remaining
    pairs' ``gt_pair_subject_ids``/``gt_pair_object_ids`` to the surviving boxes.

    ``gt_parts`` is recomputed with the rule of :class:`LoadPaIRAnnotations`: the union
    of the remaining pairs' parts and of the parts still present in the cropped contact
    map (only the pairs' parts when the image has no contact annotation). A pair keeps
    its own ``gt_pair_parts`` even if its contact pixels fell outside the crop: they
    describe the pair, not the visible pixels.

    Args: as mmdet's :class:`RandomCrop` (``crop_size``, ``crop_type``,
        ``allow_negative_crop``, ``recompute_bbox``, ``bbox_clip_border``).
    """

    def _crop_data(self, results: dict, crop_size: Tuple[int, int],
                   allow_negative_crop: bool) -> Union[dict, None]:
        if results.get('gt_bboxes', None) is None:
            return super()._crop_data(results, crop_size, allow_negative_crop)
        # mmdet filters ``gt_instances_ids`` with the surviving boxes: borrow it to
        # learn which boxes survive, and restore the caller's ids (MOT) afterwards.
        outer_ids = results.pop('gt_instances_ids', None)
        num_boxes = len(results['gt_bboxes'])
        results['gt_instances_ids'] = np.arange(num_boxes)
        results = super()._crop_data(results, crop_size, allow_negative_crop)
        if results is None:
            return None
        kept = results.pop('gt_instances_ids')
        if outer_ids is not None:
            results['gt_instances_ids'] = outer_ids[kept]
        if 'gt_pair_subject_ids' in results:
            self._reindex_pairs(results, kept, num_boxes)
        return results

    @staticmethod
    def _reindex_pairs(results: dict, kept: np.ndarray, num_boxes: int) -> None:
        """Keep the pairs whose two boxes survived; index the surviving boxes.

        Args:
            results (dict): the transform's results, boxes already cropped.
            kept (np.ndarray): (N',) indices, among the ``num_boxes`` boxes before the
                crop, of the boxes that survived, in their new order.
            num_boxes (int): the number of boxes before the crop.
        """
        new_index = np.full(num_boxes, -1, dtype=np.int64)
        new_index[kept] = np.arange(len(kept))
        subjects = new_index[results['gt_pair_subject_ids']]
        objects = new_index[results['gt_pair_object_ids']]
        valid = (subjects >= 0) & (objects >= 0)
        for key in PAIR_KEYS:
            results[key] = results[key][valid]
        results['gt_pair_subject_ids'] = subjects[valid]
        results['gt_pair_object_ids'] = objects[valid]
        if 'gt_parts' in results:
            annotated = results.get('contact_annotated', True)
            contact_map = results.get('gt_seg_map') if annotated else None
            results['gt_parts'] = image_parts(results['gt_pair_parts'], contact_map)
