"""One-to-one matching of predicted and ground-truth interaction pairs (Eq. 16)."""
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.models.task_modules import HungarianAssigner
from mmengine import ConfigDict
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from pair_plugin.registry import TASK_UTILS


@TASK_UTILS.register_module()
class HOIHungarianAssigner(HungarianAssigner):
    """Hungarian matching of pair queries to ground-truth pairs, as GEN-VLKT / CDN.

    The cost of a (query, pair) match is the sum of the configured match costs, by default
    ``1·object class + 1·action + 2.5·max(L1_h, L1_o) + 1·max(-GIoU_h, -GIoU_o)``.

    Instances (boxes normalised cxcywh, see :mod:`.hoi_match_costs`):

    - predictions: ``scores`` (n, num_object_classes + 1) object logits,
      ``action_scores`` (n, A) action logits, ``human_bboxes``, ``object_bboxes`` (n, 4);
    - ground truth: ``labels`` (m,) object classes, ``actions`` (m, A) multi-hot,
      ``human_bboxes``, ``object_bboxes`` (m, 4).

    :meth:`assign` (inherited from mmdet) matches one image. :meth:`match_batch` builds one
    cost matrix for the whole batch and runs one ``linear_sum_assignment`` per image on its
    block, as DETR's official matcher does.

    Args:
        match_costs (list[dict] | dict): configs of the match costs (TASK_UTILS).
    """

    def __init__(self, match_costs: Union[List[Union[dict, ConfigDict]], dict, ConfigDict]) -> None:
        if isinstance(match_costs, dict):
            match_costs = [match_costs]
        if len(match_costs) == 0:
            raise ValueError('HOIHungarianAssigner: match_costs must not be empty')
        # built from pair_plugin's registry, a child of mmdet's: both scopes resolve
        self.match_costs = [TASK_UTILS.build(cost) for cost in match_costs]

    def cost_matrix(self, pred_instances: InstanceData, gt_instances: InstanceData) -> Tensor:
        """Sum of the match costs.

        Args:
            pred_instances (InstanceData): n predictions.
            gt_instances (InstanceData): m ground-truth pairs.

        Returns:
            Tensor: (n, m) total cost.
        """
        costs = [
            cost(pred_instances=pred_instances, gt_instances=gt_instances)
            for cost in self.match_costs
        ]
        return torch.stack(costs).sum(0)

    @staticmethod
    def pack_gt_instances(
            batch_gt_instances: Sequence[InstanceData]) -> Tuple[InstanceData, List[int]]:
        """The ``gt_instances`` and ``gt_sizes`` of :meth:`match_batch`.

        Args:
            batch_gt_instances (list[InstanceData]): per image, its m_i pairs.

        Returns:
            tuple[InstanceData, list[int]]: the pairs of all images concatenated in image
            order (an empty InstanceData when no image has one), and each image's m_i.
        """
        sizes = [len(gt) for gt in batch_gt_instances]
        nonempty = [gt for gt in batch_gt_instances if len(gt) > 0]
        return (InstanceData.cat(nonempty) if nonempty else InstanceData()), sizes

    def match_batch(self, pred_instances: InstanceData, gt_instances: InstanceData, num_imgs: int,
                    gt_sizes: Sequence[int]) -> Tuple[Tensor, Tensor]:
        """Match every image of a batch, given as flat instance sets.

        One cost matrix for the whole batch, one ``linear_sum_assignment`` per image on its
        block, as DETR's official matcher does; the matches come back as two flat index
        tensors, with no per-image tensor built.

        Args:
            pred_instances (InstanceData): ``num_imgs * n`` predictions, image-major (the
                n predictions of image 0, then those of image 1, ...).
            gt_instances (InstanceData): the images' ground-truth pairs concatenated in
                image order, ``sum(gt_sizes)`` of them (:meth:`pack_gt_instances`).
            num_imgs (int): B, the number of images.
            gt_sizes (Sequence[int]): m_i, the number of ground-truth pairs of each image.

        Returns:
            tuple[Tensor, Tensor]: ``pred_inds`` and ``gt_inds``, (K,) int64 on the
            predictions' device, K = sum_i min(n, m_i): prediction ``pred_inds[k]`` (an
            index into ``pred_instances``) is matched to ground-truth pair ``gt_inds[k]``
            (an index into ``gt_instances``), ordered by image.
        """
        device = pred_instances.scores.device
        num_preds = len(pred_instances) // max(num_imgs, 1)
        if len(gt_sizes) != num_imgs or num_preds * num_imgs != len(pred_instances):
            raise ValueError(f'HOIHungarianAssigner: {len(pred_instances)} predictions and '
                             f'{len(gt_sizes)} ground-truth sizes for {num_imgs} images (expected '
                             'the same number of predictions per image and one size per image)')
        pred_inds, gt_inds = [], []
        if sum(gt_sizes) > 0:
            cost = self.cost_matrix(pred_instances, gt_instances)
            cost = cost.detach().float().view(num_imgs, num_preds, -1).cpu().numpy()
            start = 0
            for img_id, size in enumerate(gt_sizes):
                if size > 0:
                    rows, cols = linear_sum_assignment(cost[img_id, :, start:start + size])
                    pred_inds.append(rows + img_id * num_preds)
                    gt_inds.append(cols + start)
                    start += size
        if not pred_inds:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty.clone()
        return (torch.from_numpy(np.concatenate(pred_inds)).to(device),
                torch.from_numpy(np.concatenate(gt_inds)).to(device))
