"""One-to-one matching of predicted and ground-truth interaction pairs (Eq. 16)."""
from typing import List, Optional, Sequence, Union

import torch
from mmdet.models.task_modules import AssignResult, HungarianAssigner
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

    :meth:`assign` (inherited from mmdet) matches one image. :meth:`assign_batch` builds one
    cost matrix for the whole batch and runs one ``linear_sum_assignment`` per image on its
    block, as DETR's official matcher does.

    Args:
        match_costs (list[dict] | dict): configs of the match costs (TASK_UTILS).
    """

    def __init__(self, match_costs: Union[List[Union[dict, ConfigDict]], dict,
                                          ConfigDict]) -> None:
        if isinstance(match_costs, dict):
            match_costs = [match_costs]
        if len(match_costs) == 0:
            raise ValueError('HOIHungarianAssigner: match_costs must not be empty')
        # built from pair_plugin's registry, a child of mmdet's: both scopes resolve
        self.match_costs = [TASK_UTILS.build(cost) for cost in match_costs]

    def cost_matrix(self, pred_instances: InstanceData,
                    gt_instances: InstanceData) -> Tensor:
        """Sum of the match costs.

        Args:
            pred_instances (InstanceData): n predictions.
            gt_instances (InstanceData): m ground-truth pairs.

        Returns:
            Tensor: (n, m) total cost.
        """
        costs = [cost(pred_instances=pred_instances, gt_instances=gt_instances)
                 for cost in self.match_costs]
        return torch.stack(costs).sum(0)

    def assign_batch(self, batch_pred_instances: Sequence[InstanceData],
                     batch_gt_instances: Sequence[InstanceData],
                     batch_img_metas: Optional[Sequence[dict]] = None
                     ) -> List[AssignResult]:
        """Match every image of a batch with one batched cost computation.

        Args:
            batch_pred_instances (list[InstanceData]): per image, n predictions (the same
                n for every image).
            batch_gt_instances (list[InstanceData]): per image, its m_i ground-truth pairs.
            batch_img_metas (list[dict], optional): unused (boxes are normalised).

        Returns:
            list[AssignResult]: per image, ``gt_inds`` (n,) with 0 for unmatched
            predictions and ``j + 1`` for a prediction matched to pair ``j``; ``labels``
            the matched object class or -1.
        """
        num_imgs = len(batch_pred_instances)
        num_preds = len(batch_pred_instances[0])
        sizes = [len(gt) for gt in batch_gt_instances]
        device = batch_pred_instances[0].scores.device
        results = []
        gt_nonempty = [gt for gt in batch_gt_instances if len(gt) > 0]
        if gt_nonempty:
            cost = self.cost_matrix(
                InstanceData.cat(list(batch_pred_instances)),
                InstanceData.cat(gt_nonempty))
            cost = cost.detach().float().view(num_imgs, num_preds, -1).cpu()
        start = 0
        for img_id, (gt, size) in enumerate(zip(batch_gt_instances, sizes)):
            gt_inds = torch.zeros(num_preds, dtype=torch.long, device=device)
            labels = torch.full((num_preds, ), -1, dtype=torch.long, device=device)
            if size > 0:
                block = cost[img_id, :, start:start + size]
                rows, cols = linear_sum_assignment(block.numpy())
                rows = torch.from_numpy(rows).to(device)
                cols = torch.from_numpy(cols).to(device)
                gt_inds[rows] = cols + 1
                labels[rows] = gt.labels[cols]
                start += size
            results.append(
                AssignResult(num_gts=size, gt_inds=gt_inds, max_overlaps=None,
                             labels=labels))
        return results
