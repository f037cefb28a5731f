"""H-O RoI Enhancer (Eq. 2-7): amplify the features of the interaction region."""
from typing import Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS


def box_cell_mask(boxes: Tensor, feat_size: Tuple[int, int],
                  stride: Tuple[float, float]) -> Tensor:
    """The feature cells that a box (in input pixels) overlaps.

    Cell ``(i, j)`` covers the input pixels ``[j·s_x, (j+1)·s_x) × [i·s_y, (i+1)·s_y)``.
    With the box scaled to the feature grid (``x / s_x``, ``y / s_y``), the cell is inside
    when it overlaps the box: ``floor(x1/s_x) <= j < ceil(x2/s_x)`` and likewise for ``i``.
    An empty box (``x2 <= x1`` or ``y2 <= y1``) covers no cell.

    Args:
        boxes (Tensor): (B, 4) x1y1x2y2 in input pixels.
        feat_size (tuple[int, int]): (h, w) of the feature map.
        stride (tuple[float, float]): (s_y, s_x), input pixels per feature cell.

    Returns:
        Tensor: (B, h, w) bool.
    """
    h, w = feat_size
    s_y, s_x = stride
    x1 = torch.floor(boxes[:, 0] / s_x)
    y1 = torch.floor(boxes[:, 1] / s_y)
    x2 = torch.ceil(boxes[:, 2] / s_x)
    y2 = torch.ceil(boxes[:, 3] / s_y)
    cols = torch.arange(w, device=boxes.device, dtype=boxes.dtype)
    rows = torch.arange(h, device=boxes.device, dtype=boxes.dtype)
    inside_x = (cols[None] >= x1[:, None]) & (cols[None] < x2[:, None])  # (B, w)
    inside_y = (rows[None] >= y1[:, None]) & (rows[None] < y2[:, None])  # (B, h)
    non_empty = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return inside_y[:, :, None] & inside_x[:, None, :] & non_empty[:, None, None]


@MODELS.register_module()
class HORoIEnhancer(BaseModule):
    """Multiply the features inside the interaction region by a learnable Δ.

    The region ``E_b`` of an image is the enclosing rectangle of all its human and object
    boxes (Eq. 2-6), given here already reduced to one box per image (see
    :meth:`union_boxes`). It is scaled to the feature grid by the feature stride
    (32 for F_B) and every cell it overlaps is multiplied by Δ (Eq. 7).

    Args:
        init_delta (float): initial Δ. Defaults to 1.0 (the paper's).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, init_delta: float = 1.0, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.init_delta = init_delta
        self.delta = nn.Parameter(torch.tensor(float(init_delta)))

    def init_weights(self) -> None:
        """Set Δ back to its initial value (no generic initializer touches it)."""
        super().init_weights()
        with torch.no_grad():
            self.delta.fill_(self.init_delta)

    @staticmethod
    def union_boxes(human_boxes: Tensor, object_boxes: Tensor, valid: Tensor,
                    fallback: Tensor) -> Tensor:
        """Enclosing rectangle of all valid human and object boxes of each image.

        Args:
            human_boxes (Tensor): (B, N, 4) x1y1x2y2.
            object_boxes (Tensor): (B, N, 4) x1y1x2y2.
            valid (Tensor): (B, N) bool, the pairs that count.
            fallback (Tensor): (B, 4) box used for an image with no valid pair (the whole
                image).

        Returns:
            Tensor: (B, 4) x1y1x2y2.
        """
        boxes = torch.cat([human_boxes, object_boxes], dim=1)  # (B, 2N, 4)
        keep = torch.cat([valid, valid], dim=1)[..., None]  # (B, 2N, 1)
        big = torch.finfo(boxes.dtype).max
        mins = torch.where(keep, boxes[..., :2], boxes.new_tensor(big)).amin(dim=1)
        maxs = torch.where(keep, boxes[..., 2:], boxes.new_tensor(-big)).amax(dim=1)
        union = torch.cat([mins, maxs], dim=1)
        return torch.where(valid.any(dim=1, keepdim=True), union, fallback)

    def forward(self, feat: Tensor, region_boxes: Tensor,
                stride: Tuple[float, float]) -> Tensor:
        """Enhance the region of each image.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            region_boxes (Tensor): (B, 4) E_b of each image, x1y1x2y2 in input pixels.
            stride (tuple[float, float]): (s_y, s_x) of ``feat``.

        Returns:
            Tensor: F'_B, (B, C, h, w).
        """
        mask = box_cell_mask(region_boxes.to(feat.dtype), feat.shape[-2:], stride)
        return torch.where(mask[:, None], feat * self.delta, feat)
