"""Mask-Guided RoI Feature (Eq. 14-15): a contact-region code for the action classifier."""
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX
from .ho_roi_enhancer import box_cell_mask


def contact_enclosing_boxes(label_map: Tensor,
                            valid_size: Optional[Tensor] = None
                            ) -> Tuple[Tensor, Tensor]:
    """Enclosing box of the contact pixels (label not 0 and not 255) of each map.

    Args:
        label_map (Tensor): (B, H, W) integer part map.
        valid_size (Tensor, optional): (B, 2) (h, w) of the region of each map that holds
            the image; pixels outside it (padding) never count.

    Returns:
        tuple[Tensor, Tensor]: boxes (B, 4) x1y1x2y2 in map pixels (``x2``, ``y2``
        exclusive), and found (B,) bool, False where the map has no contact pixel.
    """
    b, h, w = label_map.shape
    contact = (label_map != 0) & (label_map != IGNORE_INDEX)
    if valid_size is not None:
        rows = torch.arange(h, device=label_map.device)
        cols = torch.arange(w, device=label_map.device)
        inside = (rows[None, :, None] < valid_size[:, 0, None, None]) & (
            cols[None, None, :] < valid_size[:, 1, None, None])
        contact = contact & inside
    any_row = contact.any(dim=2)  # (B, H)
    any_col = contact.any(dim=1)  # (B, W)
    found = any_row.any(dim=1)
    # first and last True along each axis
    y1 = any_row.int().argmax(dim=1)
    y2 = h - any_row.flip(1).int().argmax(dim=1)
    x1 = any_col.int().argmax(dim=1)
    x2 = w - any_col.flip(1).int().argmax(dim=1)
    boxes = torch.stack([x1, y1, x2, y2], dim=1)
    return boxes, found


@MODELS.register_module()
class MaskGuidedRoIFeature(BaseModule):
    """``F_M = FC(GAP(Crop(F_B, S)))``: the mean feature of the contact region.

    The region is the enclosing rectangle of all contact pixels (argmax of S not
    background) of the image, scaled to F_B's grid; every F_B cell it overlaps is kept (the
    rule of :func:`box_cell_mask`), and the crop's GAP is the mean of F_B over those cells.
    An image without contact pixels uses its whole (unpadded) feature map. All images are
    handled at once with masks, with no loop over the batch.

    Args:
        in_channels (int): channels C of F_B.
        out_channels (int): length of F_M. Defaults to 10 (the paper's).
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self, in_channels: int, out_channels: int = 10, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.fc = nn.Linear(in_channels, out_channels)

    def region_mask(self, label_map: Tensor, feat_size: Tuple[int, int],
                    map_valid_size: Tensor, feat_valid_size: Tensor) -> Tensor:
        """F_B cells of the contact region of each image.

        Args:
            label_map (Tensor): (B, H', W') part map (any resolution aligned with the
                padded input: the stride-2 argmax of S, or the full-size ground truth).
            feat_size (tuple[int, int]): (h, w) of F_B.
            map_valid_size (Tensor): (B, 2) image region (h, w) of ``label_map``.
            feat_valid_size (Tensor): (B, 2) image region (h, w) of F_B, the fallback.

        Returns:
            Tensor: (B, h, w) bool.
        """
        boxes, found = contact_enclosing_boxes(label_map, map_valid_size)
        h, w = feat_size
        map_h, map_w = label_map.shape[-2:]
        stride = (map_h / h, map_w / w)
        region = box_cell_mask(boxes.float(), (h, w), stride)
        whole = feat_valid_size.new_zeros(feat_valid_size.size(0), 4)
        whole[:, 2] = feat_valid_size[:, 1]
        whole[:, 3] = feat_valid_size[:, 0]
        fallback = box_cell_mask(whole.float(), (h, w), (1.0, 1.0))
        return torch.where(found[:, None, None], region, fallback)

    def forward(self, feat: Tensor, label_map: Tensor, map_valid_size: Tensor,
                feat_valid_size: Tensor) -> Tensor:
        """F_M of each image.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            label_map (Tensor): (B, H', W') part map.
            map_valid_size (Tensor): (B, 2) image region (h, w) of ``label_map``.
            feat_valid_size (Tensor): (B, 2) image region (h, w) of ``feat``.

        Returns:
            Tensor: (B, out_channels).
        """
        mask = self.region_mask(label_map, feat.shape[-2:], map_valid_size,
                                feat_valid_size).to(feat.dtype)
        area = mask.sum(dim=(1, 2)).clamp(min=1)[:, None]
        pooled = torch.einsum('bchw,bhw->bc', feat, mask) / area
        return self.fc(pooled)
