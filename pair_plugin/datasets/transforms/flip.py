"""Random flip that keeps body-part labels right: left and right parts are swapped."""
from mmdet.datasets.transforms import RandomFlip

from pair_plugin.registry import TRANSFORMS
from pair_plugin.structures import flip_contact_map, flip_part_vector

#: flip directions that mirror the x axis, and so exchange the body's left and right
MIRRORING_DIRECTIONS = ('horizontal', 'diagonal')


@TRANSFORMS.register_module()
class PaIRRandomFlip(RandomFlip):
    """mmdet's :class:`RandomFlip` that also swaps left and right body parts.

    mmdet flips the image, ``gt_bboxes`` and ``gt_seg_map``. A mirror image of a person
    shows their left hand where the right one was, so after a horizontal (or diagonal)
    flip this transform also relabels the left/right part pairs (4, 7), (5, 8), (6, 9),
    (12, 15), (13, 16), (14, 17) in ``gt_seg_map``, ``gt_pair_parts`` (P, 17) and
    ``gt_parts`` (17,). A vertical flip keeps the labels. Pairs index boxes, which a
    flip never reorders, so they are untouched.

    Args: as mmdet's :class:`RandomFlip` (``prob``, ``direction``).
    """

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        if results['flip_direction'] not in MIRRORING_DIRECTIONS:
            return
        if results.get('gt_seg_map', None) is not None:
            results['gt_seg_map'] = flip_contact_map(results['gt_seg_map'])
        for key in ('gt_pair_parts', 'gt_parts'):
            if results.get(key, None) is not None:
                results[key] = flip_part_vector(results[key])
