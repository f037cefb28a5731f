"""Prior-Guided Concat Segmenter (PGCS, Eq. 2-9): the contact segmentation branch."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.models.losses import CrossEntropyLoss
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.models.losses import upsampled_cross_entropy
from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS


def upsample_2x() -> nn.Module:
    """The paper's 2× upsampling layer (bilinear, half-pixel centres)."""
    return nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)


@MODELS.register_module()
class PGCS(BaseModule):
    """H-O RoI Enhancer → conv/BN/ReLU/2× decoder → Body Attention → conv → 2× → S.

    From F_B (stride 32 in the paper), every decoder stage is a ``kernel_size``
    convolution, norm, ReLU and a 2× bilinear upsampling; with the default four stages
    (2048→512→256→128→64) the decoded F_B^D is at stride 2 with 64 channels. Body Attention
    re-weights its channels with CPAM's part probabilities L, and a 1×1 convolution gives
    the (num_parts + 1)-way logits at stride 2. :meth:`forward` returns those logits; the
    paper's last 2× upsampling to the input size (S) happens in :meth:`upsample`, only
    where a full-resolution map is needed (the prediction, and the loss unless
    :meth:`loss` computes it a block of rows at a time), so that no other full-resolution
    tensor is ever made.

    The last decoder stage's upsampling is computed after Body Attention and the 1×1
    convolution rather than before them. A bilinear upsampling acts on each channel alone
    with weights that sum to one, so it commutes with a per-channel scaling and with a
    1×1 convolution (bias included): the logits are the same numbers (up to float
    rounding), but the re-weighting and the classifier run at a quarter of the pixels and
    18 channels are upsampled instead of 64. Body Attention's L' is folded into the
    classifier's weights (one (K, C) weight per image, applied with a batched matrix
    product), so the re-weighted map is never made. Checkpoints are unaffected: the
    parameters and their names are those of the paper's order.

    Args:
        in_channels (int): channels C of F_B.
        channels (Sequence[int]): output widths of the decoder stages; the last one is the
            width of F_B^D. Defaults to (512, 256, 128, 64).
        num_parts (int): body parts; the map has ``num_parts + 1`` classes (0 = no
            contact). Defaults to 17.
        kernel_size (int): kernel of the decoder convolutions. Defaults to 3.
        conv_cfg (dict, optional): the decoder's convolution layer (mmcv's
            ``build_conv_layer``); None is ``nn.Conv2d``. The paper's configs use
            ``WinogradConv2d``: the same parameters, faster inference on the CPU.
        roi_enhancer (dict, optional): the H-O RoI Enhancer; None switches it off (Table 3's
            baseline and +CPAM rows).
        body_attention (dict, optional): Body Attention (its ``channels`` and
            ``num_parts`` are filled in); None switches it off (Table 3's baseline).
        norm_cfg (dict): norm of the decoder. Defaults to BN.
        act_cfg (dict): activation of the decoder. Defaults to ReLU.
        loss (dict): the cross-entropy with 255 ignored.
        loss_resolution (str): where the cross-entropy is taken. ``'input'`` (the paper):
            on S, the logits upsampled to the padded input size. ``'logits'``: on the
            logits at the decoder's resolution (stride 2), against the ground truth
            subsampled by nearest neighbour; the full-resolution map and its backward are
            then never made (a third of a training step of the small synthetic model on
            the CPU). Prediction is the same either way. Defaults to ``'input'``.
        background_prior (float, optional): the classifier's initial bias gives every
            pixel this probability of no contact and shares the rest evenly among the
            parts (as the prior-probability initialisation of RetinaNet's classifier).
            None (the default) leaves the bias at 0, as the Kaiming initialisation.
        init_cfg (dict | list[dict]): defaults to Kaiming (He et al. 2015), as the paper.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (512, 256, 128, 64),
                 num_parts: int = NUM_PARTS,
                 kernel_size: int = 3,
                 conv_cfg: Optional[dict] = None,
                 roi_enhancer: Optional[dict] = dict(type='HORoIEnhancer'),
                 body_attention: Optional[dict] = dict(
                     type='BodyAttention', hidden_channels=64),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 loss: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=False,
                     ignore_index=IGNORE_INDEX, avg_non_ignore=True, loss_weight=1.0),
                 loss_resolution: str = 'input',
                 background_prior: Optional[float] = None,
                 init_cfg=dict(type='Kaiming', layer='Conv2d', nonlinearity='relu')):
        super().__init__(init_cfg=init_cfg)
        if len(channels) == 0:
            raise ValueError('PGCS: channels must name at least one decoder stage')
        self.in_channels = in_channels
        self.num_classes = num_parts + 1
        self.num_upsamples = len(channels)
        self.roi_enhancer = MODELS.build(roi_enhancer) if roi_enhancer else None
        stages = []
        prev = in_channels
        for i, width in enumerate(channels):
            stage = [ConvModule(prev, width, kernel_size, padding=kernel_size // 2,
                                conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)]
            if i < len(channels) - 1:  # the last upsampling comes after the classifier
                stage.append(upsample_2x())
            stages.append(nn.Sequential(*stage))
            prev = width
        self.decoder = nn.Sequential(*stages)
        if body_attention:
            body_attention = dict(body_attention)
            body_attention.update(channels=prev, num_parts=num_parts)
            self.body_attention = MODELS.build(body_attention)
        else:
            self.body_attention = None
        self.conv_seg = nn.Conv2d(prev, self.num_classes, 1)
        self.upsample_logits = upsample_2x()
        self.loss_seg = MODELS.build(loss)
        # mmdet's softmax cross-entropy, averaged: loss() computes it in blocks on S
        self._softmax_ce = (
            type(self.loss_seg) is CrossEntropyLoss and not self.loss_seg.use_sigmoid
            and not self.loss_seg.use_mask and self.loss_seg.reduction == 'mean')
        if loss_resolution not in ('input', 'logits'):
            raise ValueError("PGCS: loss_resolution must be 'input' or 'logits', "
                             f'not {loss_resolution!r}')
        self.loss_resolution = loss_resolution
        if background_prior is not None and not 0 < background_prior < 1:
            raise ValueError('PGCS: background_prior must be in (0, 1), not '
                             f'{background_prior!r}')
        self.background_prior = background_prior

    def init_weights(self) -> None:
        """Kaiming (``init_cfg``); then the classifier's bias at ``background_prior``.

        Only the first call initialises, as for mmengine's other modules: a second one
        leaves trained weights alone.
        """
        first_call = not self.is_init
        super().init_weights()
        if first_call and self.background_prior is not None:
            prior = torch.full((self.num_classes, ), (1 - self.background_prior) /
                               (self.num_classes - 1))
            prior[0] = self.background_prior
            with torch.no_grad():
                self.conv_seg.bias.copy_(prior.log())

    @property
    def with_roi_enhancer(self) -> bool:
        return self.roi_enhancer is not None

    @property
    def with_body_attention(self) -> bool:
        return self.body_attention is not None

    def forward(self,
                feat: Tensor,
                region_boxes: Optional[Tensor] = None,
                stride: Optional[Tuple[float, float]] = None,
                part_probs: Optional[Tensor] = None) -> Tensor:
        """Contact logits at the decoder's resolution.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            region_boxes (Tensor, optional): (B, 4) interaction region of each image in
                input pixels (needed with the enhancer).
            stride (tuple[float, float], optional): (s_y, s_x) of F_B (needed with the
                enhancer).
            part_probs (Tensor, optional): L, (B, num_parts) (needed with Body Attention).

        Returns:
            Tensor: (B, num_parts + 1, h·2^n, w·2^n) logits, n = number of decoder
            stages (stride 2 for F_B at stride 32 and four stages).
        """
        if self.with_roi_enhancer:
            if region_boxes is None or stride is None:
                raise ValueError('PGCS: the H-O RoI Enhancer needs region_boxes and stride')
            feat = self.roi_enhancer(feat, region_boxes, stride)
        decoded = self.decoder(feat)  # F_B^D before its last 2× upsampling
        channel_weights = None
        if self.with_body_attention:
            if part_probs is None:
                raise ValueError('PGCS: Body Attention needs the part probabilities of '
                                 'CPAM (model.cpam is None)')
            channel_weights = self.body_attention.channel_weights(part_probs)
        return self.upsample_logits(self.classify(decoded, channel_weights))

    def classify(self, decoded: Tensor, channel_weights: Optional[Tensor] = None) -> Tensor:
        """``conv_seg(decoded ⊙ L')`` as one batched matrix product.

        The 1×1 convolution with its weight scaled per image by L' equals the convolution
        of the re-weighted map, without making that map; a (K, C) × (C, h·w) product is
        also several times faster on the CPU than a 1×1 convolution to 18 channels.

        Args:
            decoded (Tensor): (B, C, h, w) decoded features.
            channel_weights (Tensor, optional): L', (B, C); None for no re-weighting.

        Returns:
            Tensor: (B, num_parts + 1, h, w) logits.
        """
        b, c, h, w = decoded.shape
        weight = self.conv_seg.weight.view(1, self.num_classes, c)
        if channel_weights is None:
            weight = weight.expand(b, -1, -1)
        else:
            weight = weight * channel_weights[:, None, :]
        logits = torch.baddbmm(self.conv_seg.bias.view(1, -1, 1), weight, decoded.flatten(2))
        return logits.view(b, self.num_classes, h, w)

    @staticmethod
    def upsample(seg_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        """S: the logits upsampled (bilinear) to the padded input size.

        Args:
            seg_logits (Tensor): (B, K, h', w') from :meth:`forward`.
            size (tuple[int, int]): (H, W) of the padded input batch.

        Returns:
            Tensor: (B, K, H, W).
        """
        return F.interpolate(seg_logits, size=size, mode='bilinear', align_corners=False)

    def loss(self, seg_logits: Tensor, gt_seg: Tensor) -> Tensor:
        """Cross-entropy of S against the padded contact maps, 255 ignored.

        With ``loss_resolution='logits'``, of the logits against ``gt_seg`` subsampled to
        their size (nearest neighbour) instead. With ``'input'``, when the loss is mmdet's
        softmax ``CrossEntropyLoss`` and the input is exactly twice the logits' size (as
        the padding to 32 makes it), S is never made whole:
        :func:`~pair_plugin.models.losses.upsampled_cross_entropy` computes the same loss
        a block of rows at a time (half the time of the whole map on the CPU, and none of
        its memory).

        Args:
            seg_logits (Tensor): (B, K, h', w') from :meth:`forward`.
            gt_seg (Tensor): (B, H, W) long, the padded input size; 0 none, 1..17 part,
                255 ignored (padding, unannotated images).

        Returns:
            Tensor: scalar, mean over the non-ignored pixels (0 when all are ignored).
        """
        if self.loss_resolution == 'logits':
            gt_seg = F.interpolate(gt_seg[:, None].float(), size=seg_logits.shape[-2:],
                                   mode='nearest')[:, 0].long()
        else:
            h, w = seg_logits.shape[-2:]
            if self._softmax_ce and tuple(gt_seg.shape[-2:]) == (2 * h, 2 * w):
                loss = self.loss_seg
                return loss.loss_weight * upsampled_cross_entropy(
                    seg_logits, gt_seg, class_weight=loss.class_weight,
                    ignore_index=IGNORE_INDEX, avg_non_ignore=loss.avg_non_ignore)
            seg_logits = self.upsample(seg_logits, gt_seg.shape[-2:])
        avg_factor = None
        if self._softmax_ce and self.loss_seg.avg_non_ignore:
            # a tensor: mmdet would count the pixels with .item(), a host-device sync
            avg_factor = (gt_seg != IGNORE_INDEX).sum()
        return self.loss_seg(seg_logits, gt_seg, avg_factor=avg_factor,
                             ignore_index=IGNORE_INDEX)
