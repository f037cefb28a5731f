"""Loading of PaIR annotations: boxes, interaction pairs, part labels and contact maps."""
from typing import Optional

import numpy as np
from mmdet.datasets.transforms import LoadAnnotations

from pair_plugin.registry import TRANSFORMS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from pair_plugin.structures.format_error import describe_image
from ..annotation_checks import check_image_size, read_contact_mask


def parts_in_contact_map(contact_map: np.ndarray) -> np.ndarray:
    """The multi-hot (17,) float32 vector of the part ids present in a uint8 contact
    map."""
    counts = np.bincount(contact_map.ravel(), minlength=IGNORE_INDEX + 1)
    return (counts[1:NUM_PARTS + 1] > 0).astype(np.float32)


def _image_reference(results: dict) -> str:
    """``"image (id 17, file_name 'images/0017.jpg')"``: the image being loaded."""
    image = dict(id=results.get('img_id'), file_name=results.get('file_name'))
    return f'image ({describe_image(image)})'


def image_parts(pair_parts: np.ndarray, contact_map: Optional[np.ndarray]) -> np.ndarray:
    """``gt_parts``: the union of the pairs' parts and the parts in the contact map.

    Args:
        pair_parts (np.ndarray): (P, 17) multi-hot parts of each pair.
        contact_map (np.ndarray, optional): (H, W) uint8 map, or None (not loaded or not
            annotated; only the pairs count then).

    Returns:
        np.ndarray: (17,) float32 multi-hot.
    """
    parts = (pair_parts.max(
        axis=0) if len(pair_parts) else np.zeros(NUM_PARTS, dtype=np.float32)).astype(np.float32)
    if contact_map is not None:
        parts = np.maximum(parts, parts_in_contact_map(contact_map))
    return parts


@TRANSFORMS.register_module()
class LoadPaIRAnnotations(LoadAnnotations):
    """Load a PaIR image's boxes, interaction pairs, part labels and contact map.

    Boxes and labels are loaded by mmdet's :class:`LoadAnnotations`; the contact map is
    read and validated here (single-channel 8-bit, the image's size, values 0..17 and
    255), and the pairs are added. In test pipelines put it **after** ``Resize`` so that
    the ground truth stays at the original image size for the metrics.

    Required keys: ``instances``, ``interactions``, ``seg_map_path``,
    ``contact_annotated``, ``height``, ``width``, ``num_actions`` (added by
    :class:`~pair_plugin.datasets.PaIRDataset`); ``ori_shape`` and ``img_path`` if
    an image was loaded (its size is checked against ``height``/``width``).

    Added keys (N instances, P pairs, A actions):

    - ``gt_bboxes`` (HorizontalBoxes (N, 4) float32), ``gt_bboxes_labels`` (N,) int64,
      ``gt_ignore_flags`` (N,) bool
    - ``gt_seg_map`` (H, W) uint8 at the original size: 0 none, 1..17 part, 255
      ignored; all 255 when the image has no contact annotation
    - ``gt_pair_subject_ids``, ``gt_pair_object_ids`` (P,) int64 (index ``gt_bboxes``)
    - ``gt_pair_actions`` (P, A) float32 multi-hot
    - ``gt_pair_parts`` (P, 17) float32 multi-hot
    - ``gt_parts`` (17,) float32: union of the pairs' parts and the map's parts
    - ``contact_annotated`` (bool), ``ignore_index`` (255)

    Args:
        with_seg (bool): load the contact map. Defaults to True.
        box_type (str): mmdet box type of ``gt_bboxes``. Defaults to ``'hbox'``.
        backend_args (dict, optional): mmengine file backend arguments.

    Raises:
        PaIRFormatError: a missing or bad contact mask, or an image whose size differs
            from its annotation; the message names the file.
    """

    def __init__(self,
                 with_seg: bool = True,
                 box_type: str = 'hbox',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            with_bbox=True,
            with_label=True,
            with_mask=False,
            with_seg=with_seg,
            box_type=box_type,
            backend_args=backend_args)

    def _load_seg_map(self, results: dict) -> None:
        """Read and validate the contact map (all 255 when not annotated)."""
        height, width = results['height'], results['width']
        path = results.get('seg_map_path')
        if path is None:
            results['gt_seg_map'] = np.full((height, width), IGNORE_INDEX, dtype=np.uint8)
        else:
            results['gt_seg_map'] = read_contact_mask(
                path, (height, width), self.backend_args, referenced_by=_image_reference(results))
        results['ignore_index'] = IGNORE_INDEX

    def _load_pairs(self, results: dict) -> None:
        if 'num_actions' not in results:
            raise KeyError('LoadPaIRAnnotations needs results["num_actions"], which '
                           'PaIRDataset.get_data_info adds; use it with a PaIRDataset')
        num_actions = results['num_actions']
        interactions = results.get('interactions', [])
        num_pairs = len(interactions)
        subjects = np.zeros(num_pairs, dtype=np.int64)
        objects = np.zeros(num_pairs, dtype=np.int64)
        actions = np.zeros((num_pairs, num_actions), dtype=np.float32)
        parts = np.zeros((num_pairs, NUM_PARTS), dtype=np.float32)
        for i, inter in enumerate(interactions):
            subjects[i] = inter['subject_id']
            objects[i] = inter['object_id']
            actions[i, inter['action_ids']] = 1
            if inter['contact_parts']:
                parts[i, np.asarray(inter['contact_parts']) - 1] = 1
        results['gt_pair_subject_ids'] = subjects
        results['gt_pair_object_ids'] = objects
        results['gt_pair_actions'] = actions
        results['gt_pair_parts'] = parts

    def transform(self, results: dict) -> dict:
        """Load everything listed in the class docstring."""
        if 'ori_shape' in results:
            check_image_size(
                results.get('img_path', '(image)'), results['ori_shape'],
                (results['height'], results['width']), _image_reference(results))
        results = super().transform(results)
        self._load_pairs(results)
        annotated = bool(results.get('contact_annotated', results.get('seg_map_path') is not None))
        results['contact_annotated'] = annotated
        contact_map = results.get('gt_seg_map') if annotated else None
        results['gt_parts'] = image_parts(results['gt_pair_parts'], contact_map)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(with_seg={self.with_seg}, '
                f'box_type={self.box_type!r}, backend_args={self.backend_args})')
