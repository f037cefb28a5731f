"""Packing of a PaIR sample into model inputs and a :class:`PaIRDataSample`."""
import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData

from pair_plugin.registry import TRANSFORMS
from pair_plugin.structures import NUM_PARTS, PaIRDataSample

#: the image meta keys packed by default; ``instances`` are the annotation's own
#: instances (original image, the file's numbers), from which the HOI metrics read the
#: ground-truth boxes in float64, as mmdet's ``CocoMetric`` reads them
PAIR_META_KEYS = ('img_id', 'img_path', 'file_name', 'ori_shape', 'img_shape', 'scale_factor',
                  'flip', 'flip_direction', 'contact_annotated', 'instances')


@TRANSFORMS.register_module()
class PackPaIRInputs(PackDetInputs):
    """Pack a PaIR sample: ``inputs`` and a :class:`PaIRDataSample`.

    Output (N instances, P pairs, A actions; shapes of the transformed image unless the
    ground truth was loaded after the resize, as test pipelines do):

    - ``inputs``: (3, H, W) uint8 tensor. A float image (after mmdet's
      ``PhotoMetricDistortion``, which leaves float32 values outside [0, 255]) is
      clipped to [0, 255] and rounded, so that every batch has one dtype.
    - ``data_samples``: :class:`PaIRDataSample` with ``gt_instances`` (``bboxes``
      (N, 4) float32 tensor x1y1x2y2, ``labels`` (N,) int64), ``gt_pairs``
      (``subject_ids``, ``object_ids`` (P,) int64, ``actions`` (P, A) float32,
      ``contact_parts`` (P, 17) float32), ``gt_parts`` (17,) float32,
      ``gt_sem_seg.sem_seg`` (1, H, W) int64 (255 ignored), and the ``meta_keys``
      (``img_id``, ``img_path``, ``file_name``, ``ori_shape``, ``img_shape``,
      ``scale_factor``, ``flip``, ``flip_direction``, ``contact_annotated``,
      ``instances``).

    Keys that were not loaded are left out of the data sample (an image-only pipeline
    packs only ``inputs`` and the meta keys). The values were validated by the dataset
    and are packed as they are.

    Args:
        meta_keys (tuple[str]): the keys copied into the data sample's metainfo.
    """

    def __init__(self, meta_keys=PAIR_META_KEYS):
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack ``results`` (see the class docstring)."""
        img = results.get('img')
        if img is not None and img.dtype != np.uint8:
            results['img'] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        packed = super().transform(results)
        det_sample = packed['data_samples']
        sample = PaIRDataSample(metainfo=det_sample.metainfo)
        if 'gt_bboxes' in results:
            gt_instances = InstanceData()
            gt_instances.bboxes = get_box_tensor(results['gt_bboxes']).float().reshape(-1, 4)
            gt_instances.labels = torch.as_tensor(results['gt_bboxes_labels'], dtype=torch.int64)
            sample.gt_instances = gt_instances
        if 'gt_seg_map' in results:
            sem_seg = det_sample.gt_sem_seg
            sem_seg.sem_seg = sem_seg.sem_seg.long()
            sample.gt_sem_seg = sem_seg
        if 'gt_pair_subject_ids' in results:
            gt_pairs = InstanceData()
            gt_pairs.subject_ids = torch.as_tensor(
                results['gt_pair_subject_ids'], dtype=torch.int64)
            gt_pairs.object_ids = torch.as_tensor(results['gt_pair_object_ids'], dtype=torch.int64)
            gt_pairs.actions = torch.as_tensor(results['gt_pair_actions'], dtype=torch.float32)
            gt_pairs.contact_parts = torch.as_tensor(
                results['gt_pair_parts'], dtype=torch.float32).reshape(-1, NUM_PARTS)
            sample.gt_pairs = gt_pairs
        if 'gt_parts' in results:
            sample.gt_parts = torch.as_tensor(results['gt_parts'], dtype=torch.float32)
        packed['data_samples'] = sample
        return packed
