"""Mask-Guided RoI Feature (Eq. 14-15): a contact-region code for the action classifier."""
from typing import Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX
from .base_contact_head import stack_contact_maps
from .contact_labels import foreground_mask
from .ho_roi_enhancer import box_cell_mask


def contact_enclosing_boxes(label_map: Tensor,
                            valid_size: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Enclosing box of the contact pixels (label not 0 and not 255) of each map.

    Args:
        label_map (Tensor): (B, H, W) integer part map, or a bool map of the contact
            pixels.
        valid_size (Tensor, optional): (B, 2) (h, w) of the region of each map that holds
            the image; pixels outside it (padding) never count.

    Returns:
        tuple[Tensor, Tensor]: boxes (B, 4) x1y1x2y2 in map pixels (``x2``, ``y2``
        exclusive), and found (B,) bool, False where the map has no contact pixel.
    """
    b, h, w = label_map.shape
    if label_map.dtype == torch.bool:
        contact = label_map
    else:
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
    """``F_M = FC(GAP(Crop(F_B, S)))``: the mean feature of the contact region (Eq. 14).

    The region is the enclosing rectangle of all contact pixels (argmax of S not
    background) of the image, scaled to F_B's grid; every F_B cell it overlaps is kept (the
    rule of :func:`box_cell_mask`), and the crop's GAP is the mean of F_B over those cells.
    An image without contact pixels uses its whole (unpadded) feature map. All images are
    handled at once with masks, with no loop over the batch. The contact pixels of S are
    those whose largest part logit beats the background logit (:func:`foreground_mask`:
    the pixels where the argmax is not background, without an argmax over S).

    Args:
        in_channels (int): channels C of F_B.
        out_channels (int): length of F_M. Defaults to 10 (the paper's).
        train_mask (str): ``'pred'`` (the default) crops with the predicted S in training
            too; ``'gt'`` with the ground-truth contact map.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 10,
                 train_mask: str = 'pred',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if train_mask not in ('gt', 'pred'):
            raise ValueError("MaskGuidedRoIFeature: train_mask must be 'gt' or 'pred', "
                             f'not {train_mask!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.train_mask = train_mask
        self.fc = nn.Linear(in_channels, out_channels)

    def region_mask(self, label_map: Tensor, feat_size: Tuple[int, int],
                    img_sizes: Tensor) -> Tensor:
        """F_B cells of the contact region of each image.

        Args:
            label_map (Tensor): (B, H, W) part map at the padded input's resolution, or
                a bool map of its contact pixels.
            feat_size (tuple[int, int]): (h, w) of F_B.
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.

        Returns:
            Tensor: (B, h, w) bool.
        """
        input_size = label_map.shape[-2:]
        boxes, found = contact_enclosing_boxes(label_map, img_sizes)
        whole = torch.cat([torch.zeros_like(img_sizes), img_sizes.flip(-1)], dim=1)
        boxes = torch.where(found[:, None], boxes, whole)
        return box_cell_mask(boxes.float(), feat_size, input_size)

    def forward(self,
                feat: Tensor,
                seg_logits: Tensor,
                img_sizes: Tensor,
                batch_data_samples: Optional[Sequence] = None) -> Tensor:
        """F_M of each image.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            seg_logits (Tensor): S, (B, num_parts + 1, H, W) at the padded input's size.
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.
            batch_data_samples (list[PaIRDataSample], optional): the ground truth; in
                training with ``train_mask='gt'`` its contact maps give the region.

        Returns:
            Tensor: (B, out_channels).
        """
        if self.training and self.train_mask == 'gt':
            label_map = stack_contact_maps(batch_data_samples, seg_logits.shape[-2:])
        else:
            label_map = foreground_mask(seg_logits.detach())
        mask = self.region_mask(label_map, feat.shape[-2:], img_sizes).to(feat.dtype)
        area = mask.sum(dim=(1, 2)).clamp(min=1)[:, None]
        pooled = torch.einsum('bchw,bhw->bc', feat, mask) / area
        return self.fc(pooled)
