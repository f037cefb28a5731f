"""HOT's contact detector (Chen et al., CVPR 2023) as a contact head: the part-attention
decoder of its public code (yixchen/HOT, ``hot/models/models.py``, ``C1`` with
``with_part=True`` and its ``PartSegm`` branch)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from .base_contact_head import BaseContactHead, stack_contact_maps
from .ho_roi_enhancer import box_cell_mask

#: HOT's (and PIHOT's) class weights of the contact loss: no contact 0.02, every part 1
HOT_CLASS_WEIGHT = [0.02] + [1.0] * NUM_PARTS
#: the object class of a person (the first of the metainfo's objects)
PERSON_LABEL = 0


def weighted_cross_entropy(loss: nn.Module, logits: Tensor, labels: Tensor) -> Tensor:
    """A cross-entropy averaged as torch's ``NLLLoss(weight)`` averages it.

    With class weights w, torch (and HOT's ``nn.NLLLoss(weight)``) divides the summed
    weighted loss by the sum of w over the non-ignored pixels; mmdet's
    ``CrossEntropyLoss`` divides it by their number. The weights' sum is given here as
    mmdet's ``avg_factor`` (mmseg's loss, which would compute it, fails on the label 255).

    Args:
        loss (nn.Module): mmdet's ``CrossEntropyLoss`` (softmax), its ``class_weight``
            optional.
        logits (Tensor): (B, K, H, W).
        labels (Tensor): (B, H, W) int64, 255 ignored.

    Returns:
        Tensor: the loss (0 when every pixel is ignored).
    """
    class_weight = getattr(loss, 'class_weight', None)
    avg_factor = None
    if class_weight is not None:
        valid = labels != IGNORE_INDEX
        avg_factor = logits.new_tensor(class_weight)[labels[valid]].sum()
    return loss(logits, labels, avg_factor=avg_factor, ignore_index=IGNORE_INDEX)


@MODELS.register_module()
class HOTContactHead(BaseContactHead):
    """HOT's decoder: a part branch whose softmax attends the contact features, part by
    part, as its code builds it.

    On one level F (the last of a dilated ResNet-50 in HOT, stride 8; F_B in PaIR-Net,
    stride 32), with K = num_parts + 1 classes and C = ``channels``:

    - ``conv_contact``: 3×3 conv + BN (no activation), in_channels → C (HOT's ``cbr``);
    - ``conv_part``: 3×3 conv + BN, in_channels → C (``cbr_part``), then 3×3 conv + BN +
      ReLU, C → C and a 1×1 conv C → K (``PartSegm.cbr_part``, ``conv_last_part``): the
      part logits P (B, K, h, w);
    - part attention: A = softmax(P) over the K channels; for each k, the contact
      features times A_k go through their own 3×3 conv + BN + ReLU, C → C / 8
      (``PartSegm.cbr[k]``); the K results are concatenated and a 1×1 conv,
      K·C/8 → K, gives the contact logits (``conv_last_cont``);
    - S: the logits upsampled bilinearly to the input size (HOT does so at inference).

    With F of 2048 channels and C = 512 the head holds 26.58 M parameters (HOT's decoder
    also builds ``conv_last`` and ``conv_binary``, 0.01 M, which its forward pass with the
    part branch never uses; they are left out).

    Loss. HOT sums the contact cross-entropy and 0.1 × the part cross-entropy, both with
    the class weights (0.02 for no contact / background, 1 for each part) and averaged
    as ``nn.NLLLoss(weight)``. HOT supervises P with its body-part segmentation labels,
    which PaIR does not have. Here P is supervised with what PaIR's labels say about the
    parts (:meth:`part_labels`): a contact pixel of part k is a pixel of part k; an
    annotated pixel without contact outside every person box (``background_outside_people``)
    is no body part; every other pixel is ignored. ``part_loss_weight=0`` drops the part
    loss (P is then learned through the attention alone); the parameters stay. The two
    terms are summed into ``loss_contact_seg``, as HOT sums them. The loss is taken at
    the input's resolution on S (HOT: at stride 8 on labels downsampled by 8).

    Inputs in PaIR-Net: HOT's attention comes from its own part branch, so the head has
    no place for CPAM's image-level part priors (:attr:`uses_part_priors` is False). The
    H-O RoI Enhancer can be applied to F before both branches (``roi_enhancer``); HOT has
    none, and Table 6's configs leave it off.

    Because :meth:`loss_by_feat` receives only S, :meth:`forward` keeps the part logits
    of the S it returned in training, and :meth:`loss_by_feat` takes them back for that S.

    Args:
        in_channels (int): channels of F. HOT: 2048.
        channels (int): C. HOT: 512 (in_channels / 4).
        num_parts (int): body parts; K = num_parts + 1. Defaults to 17.
        in_index (int): the level read. Defaults to -1.
        roi_enhancer (dict, optional): the H-O RoI Enhancer on F; None (HOT) for none.
        part_loss_weight (float): weight of the part loss. HOT: 0.1.
        background_outside_people (bool): the part labels call the annotated non-contact
            pixels outside every person box background. Defaults to True.
        norm_cfg (dict): norm of the convolutions. HOT: (synchronised) BN.
        loss (dict): the cross-entropy of S and of P (mmdet's ``CrossEntropyLoss``), with
            HOT's class weights by default.
        init_cfg (dict | list[dict]): Kaiming-normal (fan-in, as HOT) for the 1×1
            convolutions; the ConvModules initialise themselves (Kaiming-normal, fan-out;
            BN weight 1, bias 0, where HOT sets BN biases to 1e-4).
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 512,
                 num_parts: int = NUM_PARTS,
                 in_index: int = -1,
                 roi_enhancer: Optional[dict] = None,
                 part_loss_weight: float = 0.1,
                 background_outside_people: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 loss: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     class_weight=HOT_CLASS_WEIGHT,
                     ignore_index=IGNORE_INDEX,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 init_cfg=dict(type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='relu')):
        if not isinstance(in_index, int):
            raise ValueError(f'HOTContactHead: reads one level (in_index an int), not '
                             f'{in_index!r}')
        if channels % 8:
            raise ValueError(f'HOTContactHead: channels must be a multiple of 8 (each part '
                             f'attends with channels / 8), not {channels}')
        if part_loss_weight < 0:
            raise ValueError(f'HOTContactHead: part_loss_weight must be >= 0, not '
                             f'{part_loss_weight}')
        super().__init__(
            in_channels=in_channels,
            num_parts=num_parts,
            in_index=in_index,
            roi_enhancer=roi_enhancer,
            loss=loss,
            init_cfg=init_cfg)
        self.channels = channels
        self.part_loss_weight = part_loss_weight
        self.background_outside_people = background_outside_people
        self.conv_contact = ConvModule(
            in_channels, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=None)
        self.conv_part = nn.Sequential(
            ConvModule(in_channels, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=None),
            ConvModule(channels, channels, 3, padding=1, norm_cfg=norm_cfg),
            nn.Conv2d(channels, self.num_classes, 1))
        self.part_attended_convs = nn.ModuleList(
            ConvModule(channels, channels // 8, 3, padding=1, norm_cfg=norm_cfg)
            for _ in range(self.num_classes))
        self.conv_seg = nn.Conv2d(channels // 8 * self.num_classes, self.num_classes, 1)
        # (S, part logits) of the last forward pass in training, for loss_by_feat
        self._part_logits_of = None

    def forward_logits(self,
                       feats: Sequence[Tensor],
                       input_size: Tuple[int, int],
                       regions: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """The contact and part logits at the level's resolution.

        Args:
            feats (tuple[Tensor]): the backbone's levels; ``in_index`` picks F,
                (B, in_channels, h, w).
            input_size (tuple[int, int]): (H, W) of the padded input.
            regions (Tensor, optional): (B, 4) interaction regions (with the enhancer).

        Returns:
            tuple[Tensor, Tensor]: contact logits and part logits P, each (B, K, h, w).
        """
        feat = self.enhance(self._transform_inputs(feats), regions, input_size)
        contact = self.conv_contact(feat)
        part_logits = self.conv_part(feat)
        attention = part_logits.softmax(dim=1)
        attended = [
            conv(contact * attention[:, k:k + 1]) for k, conv in enumerate(self.part_attended_convs)
        ]
        return self.conv_seg(torch.cat(attended, dim=1)), part_logits

    def forward(self,
                feats: Sequence[Tensor],
                input_size: Tuple[int, int],
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> Tensor:
        """S, the contact logits at the input's resolution.

        Args:
            feats (tuple[Tensor]): the backbone's levels.
            input_size (tuple[int, int]): (H, W) of the padded input.
            part_probs (Tensor, optional): unused (HOT takes no part priors).
            regions (Tensor, optional): (B, 4) interaction region of each image,
                x1y1x2y2 in input pixels (needed with the enhancer).

        Returns:
            Tensor: S, (B, num_parts + 1, H, W) logits.
        """
        logits, part_logits = self.forward_logits(feats, input_size, regions)
        seg_logits = F.interpolate(logits, size=input_size, mode='bilinear', align_corners=False)
        if self.training:
            self._part_logits_of = (seg_logits, part_logits)
        return seg_logits

    def part_labels(self, gt_seg: Tensor, batch_data_samples: Sequence) -> Tensor:
        """The body-part labels that PaIR's annotations give, for the part branch.

        A contact pixel of part k (``gt_seg == k``) lies on part k; with
        ``background_outside_people``, an annotated pixel without contact outside every
        person box (object class 0 of ``gt_instances``) is no body part (0); every other
        pixel is unknown (255): a person's pixels without contact, the padding and the
        images without contact annotation.

        Args:
            gt_seg (Tensor): (B, H, W) padded contact maps (:func:`stack_contact_maps`).
            batch_data_samples (list[PaIRDataSample]): ``gt_instances`` (boxes in input
                pixels and labels).

        Returns:
            Tensor: (B, H, W) int64: 0 background, 1..17 part, 255 unknown.
        """
        labels = torch.where((gt_seg > 0) & (gt_seg != IGNORE_INDEX), gt_seg,
                             torch.full_like(gt_seg, IGNORE_INDEX))
        if not self.background_outside_people:
            return labels
        input_size = tuple(gt_seg.shape[-2:])
        for img_id, sample in enumerate(batch_data_samples):
            boxes = sample.gt_instances.bboxes
            boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
            people = boxes[sample.gt_instances.labels == PERSON_LABEL].float()
            on_people = box_cell_mask(people, input_size, input_size).any(dim=0) \
                if len(people) else torch.zeros(input_size, dtype=torch.bool,
                                                device=gt_seg.device)
            labels[img_id][(gt_seg[img_id] == 0) & ~on_people] = 0
        return labels

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: Sequence) -> dict:
        """HOT's loss: the contact cross-entropy + ``part_loss_weight`` × the part one.

        Args:
            seg_logits (Tensor): S from this head's last :meth:`forward` in training.
            batch_data_samples (list[PaIRDataSample]): ``gt_sem_seg`` padded as the
                inputs, ``gt_instances``.

        Returns:
            dict[str, Tensor]: ``loss_contact_seg``, the sum of both terms.

        Raises:
            ValueError: with a part loss, ``seg_logits`` is not the S of the last
                forward pass in training (its part logits are unknown).
        """
        kept, self._part_logits_of = self._part_logits_of, None
        gt_seg = stack_contact_maps(batch_data_samples, seg_logits.shape[-2:])
        loss = weighted_cross_entropy(self.loss_seg, seg_logits, gt_seg)
        if self.part_loss_weight > 0:
            if kept is None or kept[0] is not seg_logits:
                raise ValueError('HOTContactHead: loss_by_feat needs the part logits of the '
                                 'forward pass that gave seg_logits; pass the S of the '
                                 "head's last forward() in training mode (or call loss())")
            part_logits = F.interpolate(
                kept[1], size=seg_logits.shape[-2:], mode='bilinear', align_corners=False)
            part_gt = self.part_labels(gt_seg, batch_data_samples)
            loss = loss + self.part_loss_weight * weighted_cross_entropy(
                self.loss_seg, part_logits, part_gt)
        return dict(loss_contact_seg=loss)
