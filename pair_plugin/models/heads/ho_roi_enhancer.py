"""H-O RoI Enhancer (Eq. 2-7): amplify the features of the interaction region."""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS


def box_cell_mask(boxes: Tensor, feat_size: Tuple[int, int], input_size: Tuple[int, int]) -> Tensor:
    """The cells of a feature map that a box (in input pixels) overlaps.

    With the input of size (H, W) and the map of size (h, w), cell ``(i, j)`` covers the
    input pixels ``[j·W/w, (j+1)·W/w) × [i·H/h, (i+1)·H/h)``; it is inside when it overlaps
    the box: ``floor(x1·w/W) <= j < ceil(x2·w/W)`` and likewise for ``i``. An empty box
    (``x2 <= x1`` or ``y2 <= y1``) covers no cell.

    Args:
        boxes (Tensor): (B, 4) x1y1x2y2 in input pixels.
        feat_size (tuple[int, int]): (h, w) of the feature map.
        input_size (tuple[int, int]): (H, W) of the input the boxes refer to.

    Returns:
        Tensor: (B, h, w) bool.
    """
    h, w = feat_size
    input_h, input_w = input_size
    x1 = torch.floor(boxes[:, 0] * w / input_w)
    y1 = torch.floor(boxes[:, 1] * h / input_h)
    x2 = torch.ceil(boxes[:, 2] * w / input_w)
    y2 = torch.ceil(boxes[:, 3] * h / input_h)
    cols = torch.arange(w, device=boxes.device, dtype=boxes.dtype)
    rows = torch.arange(h, device=boxes.device, dtype=boxes.dtype)
    inside_x = (cols[None] >= x1[:, None]) & (cols[None] < x2[:, None])  # (B, w)
    inside_y = (rows[None] >= y1[:, None]) & (rows[None] < y2[:, None])  # (B, h)
    non_empty = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return inside_y[:, :, None] & inside_x[:, None, :] & non_empty[:, None, None]


@MODELS.register_module()
class HORoIEnhancer(BaseModule):
    """Multiply the features inside the interaction region by a learnable Δ.

    The region E_b of an image is the enclosing rectangle of all its human and object boxes
    (Eq. 2-6, :meth:`interaction_regions`); scaled to the grid of F_B, every cell it
    overlaps is multiplied by Δ (Eq. 7). The boxes are the ground-truth pairs' in training
    (``train_boxes='gt'``, the default: predictions are noise early on) and otherwise the
    predicted pairs whose object score exceeds ``score_thr``; an image without any such
    pair is enhanced as a whole.

    Args:
        init_delta (float): initial Δ. Defaults to 1.0 (the paper's).
        train_boxes (str): ``'gt'`` or ``'pred'``, the boxes of the region in training.
        score_thr (float): object score (largest non-no-object probability) above which a
            predicted pair counts. Defaults to 0.5.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 init_delta: float = 1.0,
                 train_boxes: str = 'gt',
                 score_thr: float = 0.5,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if train_boxes not in ('gt', 'pred'):
            raise ValueError("HORoIEnhancer: train_boxes must be 'gt' or 'pred', "
                             f'not {train_boxes!r}')
        self.init_delta = init_delta
        self.train_boxes = train_boxes
        self.score_thr = score_thr
        self.delta = nn.Parameter(torch.tensor(float(init_delta)))

    def init_weights(self) -> None:
        """Set Δ back to its initial value (no generic initializer touches it)."""
        super().init_weights()
        with torch.no_grad():
            self.delta.fill_(self.init_delta)

    def interaction_regions(self,
                            img_sizes: Tensor,
                            human_boxes: Tensor,
                            object_boxes: Tensor,
                            object_scores: Tensor,
                            batch_data_samples: Optional[Sequence] = None) -> Tensor:
        """E_b of each image: the enclosing rectangle of its pairs' boxes.

        Args:
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.
            human_boxes, object_boxes (Tensor): (B, Q, 4) predicted boxes, normalised
                cxcywh.
            object_scores (Tensor): (B, Q) the predicted pairs' object scores.
            batch_data_samples (list[PaIRDataSample], optional): the ground truth; in
                training with ``train_boxes='gt'`` the region encloses its pairs.

        Returns:
            Tensor: (B, 4) x1y1x2y2 in input pixels.
        """
        if self.training and self.train_boxes == 'gt':
            return self._enclose(*self._gt_pair_boxes(batch_data_samples, img_sizes), img_sizes)
        factors = img_sizes.flip(-1).repeat(1, 2).to(human_boxes.dtype)[:, None]
        return self._enclose(
            bbox_cxcywh_to_xyxy(human_boxes) * factors,
            bbox_cxcywh_to_xyxy(object_boxes) * factors, object_scores > self.score_thr, img_sizes)

    @staticmethod
    def _gt_pair_boxes(batch_data_samples: Sequence,
                       img_sizes: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """(B, P, 4) human and object boxes of the ground-truth pairs, (B, P) valid."""
        max_pairs = max([len(s.gt_pairs) for s in batch_data_samples] + [1])
        human = img_sizes.new_zeros((len(batch_data_samples), max_pairs, 4), dtype=torch.float32)
        obj = torch.zeros_like(human)
        valid = torch.zeros(human.shape[:2], dtype=torch.bool, device=human.device)
        for img_id, sample in enumerate(batch_data_samples):
            boxes = sample.gt_instances.bboxes
            boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
            pairs = sample.gt_pairs
            human[img_id, :len(pairs)] = boxes[pairs.subject_ids.long()]
            obj[img_id, :len(pairs)] = boxes[pairs.object_ids.long()]
            valid[img_id, :len(pairs)] = True
        return human, obj, valid

    @staticmethod
    def _enclose(human_boxes: Tensor, object_boxes: Tensor, valid: Tensor,
                 img_sizes: Tensor) -> Tensor:
        """Enclosing rectangle of the valid boxes of each image; the image without any.

        Args:
            human_boxes, object_boxes (Tensor): (B, N, 4) x1y1x2y2.
            valid (Tensor): (B, N) bool, the pairs that count.
            img_sizes (Tensor): (B, 2) (h, w), the fallback's size.

        Returns:
            Tensor: (B, 4) x1y1x2y2.
        """
        boxes = torch.cat([human_boxes, object_boxes], dim=1)  # (B, 2N, 4)
        keep = torch.cat([valid, valid], dim=1)[..., None]  # (B, 2N, 1)
        big = torch.finfo(boxes.dtype).max
        mins = torch.where(keep, boxes[..., :2], boxes.new_tensor(big)).amin(dim=1)
        maxs = torch.where(keep, boxes[..., 2:], boxes.new_tensor(-big)).amax(dim=1)
        whole = torch.cat([torch.zeros_like(img_sizes), img_sizes.flip(-1)], dim=1)
        return torch.where(
            valid.any(dim=1, keepdim=True), torch.cat([mins, maxs], dim=1), whole.to(boxes.dtype))

    def forward(self, feat: Tensor, regions: Tensor, input_size: Tuple[int, int]) -> Tensor:
        """Enhance the region of each image (Eq. 7).

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            regions (Tensor): (B, 4) E_b of each image, x1y1x2y2 in input pixels.
            input_size (tuple[int, int]): (H, W) of the padded input.

        Returns:
            Tensor: F'_B, (B, C, h, w).
        """
        mask = box_cell_mask(regions.to(feat.dtype), feat.shape[-2:], input_size)
        return torch.where(mask[:, None], feat * self.delta, feat)
