"""PIHOT's contact decoder (Wang et al., AAAI 2025) as a contact head, as its public code
builds it (YuxiaoWang-AI/PIHOT, ``hot/models/models.py``: ``C1`` and ``PartSegm``)."""
from typing import Optional, Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from .base_contact_head import BaseContactHead, stack_contact_maps
from .hot_contact_head import HOT_CLASS_WEIGHT, weighted_cross_entropy


@MODELS.register_module()
class PIHOTContactHead(BaseContactHead):
    """PIHOT's decoder: the restored image's features and the depth cue attend the image's
    features; a convolution stack gives S.

    Reads three levels of :class:`PIHOTBackbone` (``in_index=(0, 1, -1)``): the depth cue
    Dc (B, 1, H, W), the restored image's features F_r and the image's features F (both
    (B, in_channels, h, w): stride 8 on PIHOT's dilated ResNet-50, F_B in PaIR-Net). With
    C = ``channels``, a = ``attn_scale`` and every attention at ``attn_size`` (15×15:
    both maps resized bilinearly to it, and the result back):

    - X = 3×3 conv/BN/ReLU(F), R = 3×3 conv/BN/ReLU(F_r), in_channels → C (PIHOT's
      ``cbr``, ``bbr``);
    - object texture restoration: X ← X + a · MHA(query R, key X̄, value X̄ + R), X̄ the
      detached X (``C1.multihead_attn``, 8 heads);
    - depth-aware perspective interaction: Dc nearest-resized to (h, w); three 3×3
      conv/BN/ReLU, 1 → C/4 → C/2 → C, encode it at the attention size
      (``depth_conv``); X ← X · (1 + ``depth_scale`` · Dc) + a · MHA(query the encoded
      Dc, key and value X̄), X̄ detached before this step (``PartSegm.multihead_attn``);
    - 3×3 conv/BN/ReLU C → C → C/2 → C/4 and a 1×1 conv to num_parts + 1 logits
      (``PartSegm.cbr``), upsampled bilinearly to the input size: S.

    The detaches and the scales (0.1, 1/3) are the code's. The code also builds modules
    whose outputs it never uses: ``cbr_part`` (9.44 M parameters: its output is passed
    on and ignored; PIHOT has no part loss), ``f_k_conv`` and ``f_v_conv`` (4.72 M: their
    outputs are overwritten), ``conv_last`` and ``conv_binary`` (0.01 M). They are left
    out here, so this head (26.29 M with 2048-channel levels and C = 512) is 14.17 M
    smaller than the code's decoder (40.46 M).

    Loss: the cross-entropy of S with HOT's class weights (0.02 for no contact), averaged
    as ``nn.NLLLoss(weight)``; PIHOT drops HOT's part loss, so it needs no part labels.
    It is taken at the input's resolution (PIHOT: at stride 8).

    Inputs in PaIR-Net: no place for CPAM's part priors (:attr:`uses_part_priors` is
    False); the H-O RoI Enhancer can be applied to F (``roi_enhancer``), which PIHOT has
    not and Table 6's config leaves off.

    Args:
        in_channels (Sequence[int]): channels of the three levels: (1, C_F, C_F).
        channels (int): C. PIHOT: 512 (C_F / 4).
        num_heads (int): heads of both attentions. PIHOT: 8.
        attn_size (tuple[int, int]): the grid both attentions work on. PIHOT: (15, 15).
        attn_scale (float): a. PIHOT: 0.1.
        depth_scale (float): the depth cue's gain on X. PIHOT: 1/3.
        num_parts (int): body parts; S has num_parts + 1 classes. Defaults to 17.
        in_index (Sequence[int]): the levels read: depth cue, F_r, F. Defaults to
            (0, 1, -1), :class:`PIHOTBackbone`'s outputs.
        roi_enhancer (dict, optional): the H-O RoI Enhancer on F; None (PIHOT) for none.
        norm_cfg (dict): norm of the convolutions. PIHOT: (synchronised) BN.
        loss (dict): the cross-entropy on S (mmdet's ``CrossEntropyLoss``), HOT's class
            weights by default.
        init_cfg (dict | list[dict]): Kaiming-normal (fan-in, as PIHOT) for the 1×1
            convolution; the ConvModules initialise themselves and the attentions keep
            torch's initialisation (as PIHOT's).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (1, 2048, 2048),
                 channels: int = 512,
                 num_heads: int = 8,
                 attn_size: Tuple[int, int] = (15, 15),
                 attn_scale: float = 0.1,
                 depth_scale: float = 1 / 3,
                 num_parts: int = NUM_PARTS,
                 in_index: Sequence[int] = (0, 1, -1),
                 roi_enhancer: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 loss: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     class_weight=HOT_CLASS_WEIGHT,
                     ignore_index=IGNORE_INDEX,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 init_cfg=dict(type='Kaiming', layer='Conv2d', mode='fan_in', nonlinearity='relu')):
        if isinstance(in_index, int) or len(in_index) != 3:
            raise ValueError('PIHOTContactHead: reads three levels (the depth cue, the '
                             "restored image's features and the image's: in_index=(0, 1, -1) "
                             f'with PIHOTBackbone), not in_index={in_index!r}')
        if channels % 4 or channels % num_heads:
            raise ValueError(f'PIHOTContactHead: channels ({channels}) must be a multiple of 4 '
                             f'and of num_heads ({num_heads})')
        super().__init__(
            in_channels=in_channels,
            num_parts=num_parts,
            in_index=in_index,
            roi_enhancer=roi_enhancer,
            loss=loss,
            init_cfg=init_cfg)
        depth_channels, restored_channels, image_channels = self.in_channels
        if depth_channels != 1:
            raise ValueError('PIHOTContactHead: the first level read is the one-channel '
                             f'depth cue, so in_channels[0] must be 1, not {depth_channels}')
        self.channels = channels
        self.attn_size = tuple(attn_size)
        self.attn_scale = attn_scale
        self.depth_scale = depth_scale

        def conv(in_ch, out_ch):
            return ConvModule(in_ch, out_ch, 3, padding=1, norm_cfg=norm_cfg)

        self.conv_image = conv(image_channels, channels)
        self.conv_restored = conv(restored_channels, channels)
        self.restoration_attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)
        self.depth_encoder = nn.Sequential(
            conv(1, channels // 4), conv(channels // 4, channels // 2),
            conv(channels // 2, channels))
        self.depth_attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)
        self.cls_convs = nn.Sequential(
            conv(channels, channels), conv(channels, channels // 2),
            conv(channels // 2, channels // 4))
        self.conv_seg = nn.Conv2d(channels // 4, self.num_classes, 1)

    def _attend(self, attn: nn.MultiheadAttention, query: Tensor, key: Tensor, value: Tensor,
                size: Tuple[int, int]) -> Tensor:
        """Attention between (B, C, s, s) maps at the attention size, resized to ``size``."""
        batch, channels = query.shape[:2]

        def tokens(x):
            return x.flatten(2).transpose(1, 2)  # (B, s·s, C)

        out = attn(tokens(query), tokens(key), tokens(value), need_weights=False)[0]
        out = out.transpose(1, 2).reshape(batch, channels, *self.attn_size)
        return F.interpolate(out, size=size, mode='bilinear', align_corners=False)

    def _to_attn_size(self, x: Tensor) -> Tensor:
        return F.interpolate(x, size=self.attn_size, mode='bilinear', align_corners=False)

    def forward(self,
                feats: Sequence[Tensor],
                input_size: Tuple[int, int],
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> Tensor:
        """S, the contact logits at the input's resolution.

        Args:
            feats (tuple[Tensor]): :class:`PIHOTBackbone`'s outputs: the depth cue
                (B, 1, H, W), F_r and F, (B, C_F, h, w).
            input_size (tuple[int, int]): (H, W) of the padded input.
            part_probs (Tensor, optional): unused (PIHOT takes no part priors).
            regions (Tensor, optional): (B, 4) interaction region of each image (needed
                with the enhancer).

        Returns:
            Tensor: S, (B, num_parts + 1, H, W) logits.
        """
        depth, restored, feat = self._transform_inputs(feats)
        if depth.dim() != 4 or depth.shape[1] != 1 or restored.shape != feat.shape:
            raise ValueError(
                'PIHOTContactHead: the levels read must be the depth cue (B, 1, H, W) and '
                "the restored image's and the image's features of one shape (model.backbone "
                f"= dict(type='PIHOTBackbone', ...)); got {tuple(depth.shape)}, "
                f'{tuple(restored.shape)}, {tuple(feat.shape)}')
        feat = self.enhance(feat, regions, input_size)
        size = tuple(feat.shape[-2:])
        x = self.conv_image(feat)
        restored = self._to_attn_size(self.conv_restored(restored))
        fixed = self._to_attn_size(x.detach())
        x = x + self.attn_scale * self._attend(self.restoration_attn, restored, fixed,
                                               fixed + restored, size)
        depth = F.interpolate(depth.to(x.dtype), size=size, mode='nearest')
        fixed = self._to_attn_size(x.detach())
        depth_query = self.depth_encoder(self._to_attn_size(depth))
        attended = self._attend(self.depth_attn, depth_query, fixed, fixed, size)
        x = x * (1 + self.depth_scale * depth) + self.attn_scale * attended
        logits = self.conv_seg(self.cls_convs(x))
        return F.interpolate(logits, size=input_size, mode='bilinear', align_corners=False)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: Sequence) -> dict:
        """The class-weighted cross-entropy of S, averaged as ``nn.NLLLoss(weight)``.

        Returns:
            dict[str, Tensor]: ``loss_contact_seg``.
        """
        gt_seg = stack_contact_maps(batch_data_samples, seg_logits.shape[-2:])
        return dict(loss_contact_seg=weighted_cross_entropy(self.loss_seg, seg_logits, gt_seg))
