"""A metric that writes the model's predictions as a PaIR predictions file."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from pair_plugin.registry import METRICS
from pair_plugin.structures import to_numpy
from .predictions_file import (DEFAULT_MASKS_DIR, prediction_mask_path, write_prediction_mask,
                               write_predictions_file)


@METRICS.register_module()
class DumpPaIRPredictions(BaseMetric):
    """Write every test image's predictions to a predictions file (as mmengine's
    ``DumpResults``, in the PaIR format of :mod:`.predictions_file`), for
    ``tools/analysis/eval_predictions.py`` or any other consumer.

    Each rank writes the contact masks of its images as PNGs while testing
    (``<dir of out_file>/<masks_dir>/<file_name without extension>.png``, so that only
    paths travel between ranks); rank 0 writes the JSON at the end. With several
    machines the directory must be shared. Returns no metric.

    Reads ``file_name``, ``pred_hois`` (``subject_bboxes``, ``object_bboxes`` (K, 4),
    ``object_labels``, ``action_labels``, ``scores`` (K,); absent for a contact-only
    model, whose entries get ``"hois": []``) and, when present,
    ``pred_sem_seg.sem_seg`` (1, H, W) and ``pred_parts`` (17,) of each data sample.

    Args:
        out_file (str): the ``.json`` file to write.
        masks_dir (str): folder of the mask PNGs, relative to the file's directory.
        collect_device (str): device used to collect results across ranks ('cpu').
        prefix (str, optional): unused (no metric is returned).
    """
    default_prefix = 'dump'

    def __init__(self,
                 out_file: str,
                 masks_dir: str = DEFAULT_MASKS_DIR,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not out_file.endswith('.json'):
            raise ValueError(f'DumpPaIRPredictions: out_file must be a .json file, '
                             f'got {out_file}')
        self.out_file = out_file
        self.masks_dir = masks_dir

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Write the masks of the batch; keep one small record per sample."""
        root = osp.dirname(osp.abspath(self.out_file))
        for sample in data_samples:
            if 'file_name' not in sample:
                raise KeyError('DumpPaIRPredictions: the data sample has no file_name '
                               f'metainfo (has {sorted(sample)})')
            # a contact-only model predicts no triplets: "hois": []
            hois = sample.get('pred_hois')
            record = dict(
                file_name=sample['file_name'],
                pred_hois=None if hois is None else {
                    key: to_numpy(hois[key])
                    for key in ('subject_bboxes', 'object_bboxes', 'object_labels', 'action_labels',
                                'scores')
                },
                contact_mask=None)
            if 'pred_sem_seg' in sample:
                record['contact_mask'] = prediction_mask_path(sample['file_name'], self.masks_dir)
                mask = to_numpy(sample['pred_sem_seg']['sem_seg'], np.int64)
                write_prediction_mask(
                    osp.join(root, record['contact_mask']), mask.reshape(mask.shape[-2:]))
            if sample.get('pred_parts') is not None:
                record['part_scores'] = to_numpy(sample['pred_parts'], np.float64)
            self.results.append(record)

    def compute_metrics(self, results: list) -> dict:
        write_predictions_file(self.out_file, results)
        print_log(
            f'DumpPaIRPredictions: predictions of {len(results)} images written '
            f'to {self.out_file}',
            logger='current')
        return {}
