"""Prior-Guided Concat Segmenter (PGCS, Eq. 2-9): the contact segmentation branch."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS


def upsample_2x() -> nn.Module:
    """The paper's 2× upsampling layer (bilinear, half-pixel centres)."""
    return nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)


def stack_contact_maps(batch_data_samples: Sequence, input_size: Tuple[int, int]) -> Tensor:
    """The padded ground-truth contact maps of a batch; unannotated images all 255.

    Args:
        batch_data_samples (list[PaIRDataSample]): ``gt_sem_seg`` padded to the batch by
            the data preprocessor (``pad_seg=True, seg_pad_value=255``).
        input_size (tuple[int, int]): (H, W) of the padded input batch.

    Returns:
        Tensor: (B, H, W) int64: 0 none, 1..17 part, 255 ignored.
    """
    maps = []
    for sample in batch_data_samples:
        if 'gt_sem_seg' in sample and sample.metainfo.get('contact_annotated', True):
            seg = sample.gt_sem_seg.sem_seg
            if tuple(seg.shape[-2:]) != tuple(input_size):
                raise ValueError(
                    f'PGCS: gt_sem_seg has size {tuple(seg.shape[-2:])} but the padded '
                    f'input is {tuple(input_size)}; pad both with the data preprocessor '
                    '(DetDataPreprocessor with pad_seg=True, seg_pad_value=255)')
            maps.append(seg.reshape(input_size).long())
        else:
            maps.append(
                torch.full(
                    input_size,
                    IGNORE_INDEX,
                    dtype=torch.long,
                    device=sample.gt_instances.labels.device))
    return torch.stack(maps)


@MODELS.register_module()
class PGCS(BaseModule):
    """H-O RoI Enhancer → conv/BN/ReLU/2× decoder → Body Attention → 1×1 conv → 2× → S.

    The H-O RoI Enhancer amplifies the interaction region of F_B (Eq. 2-7). Every decoder
    stage is a ``kernel_size`` convolution, norm, ReLU and a 2× bilinear upsampling; with F_B
    at stride 32 and the default four stages (2048→512→256→128→64) the decoded F_B^D is at
    stride 2 with 64 channels. Body Attention re-weights its channels with CPAM's part
    probabilities L (Eq. 8-9); a 1×1 convolution gives the (num_parts + 1)-way logits and a
    last 2× upsampling S, at the input's resolution. The loss is a cross-entropy on S with
    255 ignored.

    Args:
        in_channels (int): channels C of F_B.
        channels (Sequence[int]): output widths of the decoder stages; the last one is the
            width of F_B^D. Defaults to (512, 256, 128, 64).
        num_parts (int): body parts; S has ``num_parts + 1`` classes (0 = no contact).
            Defaults to 17.
        kernel_size (int): kernel of the decoder convolutions. Defaults to 3.
        roi_enhancer (dict, optional): the H-O RoI Enhancer; None switches it off (Table 3's
            baseline and +CPAM rows).
        body_attention (dict, optional): Body Attention (its ``channels`` and
            ``num_parts`` are filled in); None switches it off (Table 3's baseline).
        norm_cfg (dict): norm of the decoder. Defaults to BN.
        act_cfg (dict): activation of the decoder. Defaults to ReLU.
        loss (dict): the cross-entropy on S, 255 ignored (mmdet's ``CrossEntropyLoss``).
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
                 roi_enhancer: Optional[dict] = dict(type='HORoIEnhancer'),
                 body_attention: Optional[dict] = dict(type='BodyAttention', hidden_channels=64),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 loss: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     ignore_index=IGNORE_INDEX,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 background_prior: Optional[float] = None,
                 init_cfg=dict(type='Kaiming', layer='Conv2d', nonlinearity='relu')):
        super().__init__(init_cfg=init_cfg)
        if len(channels) == 0:
            raise ValueError('PGCS: channels must name at least one decoder stage')
        if background_prior is not None and not 0 < background_prior < 1:
            raise ValueError('PGCS: background_prior must be in (0, 1), not '
                             f'{background_prior!r}')
        self.in_channels = in_channels
        self.num_classes = num_parts + 1
        self.background_prior = background_prior
        self.roi_enhancer = MODELS.build(roi_enhancer) if roi_enhancer else None
        stages = []
        prev = in_channels
        for width in channels:
            stages.append(
                nn.Sequential(
                    ConvModule(
                        prev,
                        width,
                        kernel_size,
                        padding=kernel_size // 2,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg), upsample_2x()))
            prev = width
        self.decoder = nn.Sequential(*stages)
        self.body_attention = MODELS.build(
            dict(body_attention, channels=prev, num_parts=num_parts)) \
            if body_attention else None
        self.conv_seg = nn.Conv2d(prev, self.num_classes, 1)
        self.upsample = upsample_2x()
        self.loss_seg = MODELS.build(loss)

    def init_weights(self) -> None:
        """Kaiming (``init_cfg``); then the classifier's bias at ``background_prior``.

        Only the first call initialises, as for mmengine's other modules: a second one
        leaves trained weights alone.
        """
        first_call = not self.is_init
        super().init_weights()
        if first_call and self.background_prior is not None:
            prior = torch.full((self.num_classes, ),
                               (1 - self.background_prior) / (self.num_classes - 1))
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
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None,
                input_size: Optional[Tuple[int, int]] = None) -> Tensor:
        """S, the contact logits at the input's resolution.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            part_probs (Tensor, optional): L, (B, num_parts) (needed with Body
                Attention).
            regions (Tensor, optional): (B, 4) interaction region E_b of each image,
                x1y1x2y2 in input pixels (:meth:`HORoIEnhancer.interaction_regions`;
                needed with the enhancer).
            input_size (tuple[int, int], optional): (H, W) of the padded input (needed
                with the enhancer).

        Returns:
            Tensor: S, (B, num_parts + 1, h·2^(n+1), w·2^(n+1)) logits, n = number of
            decoder stages (the input size for F_B at stride 32 and four stages).
        """
        if self.with_roi_enhancer:
            feat = self.roi_enhancer(feat, regions, input_size)
        decoded = self.decoder(feat)  # F_B^D
        if self.with_body_attention:
            decoded = self.body_attention(decoded, part_probs)
        return self.upsample(self.conv_seg(decoded))

    def loss(self, seg_logits: Tensor, batch_data_samples: Sequence) -> Tensor:
        """Cross-entropy of S against the padded contact maps, 255 ignored.

        Args:
            seg_logits (Tensor): S, (B, K, H, W) from :meth:`forward`.
            batch_data_samples (list[PaIRDataSample]): see :func:`stack_contact_maps`.

        Returns:
            Tensor: scalar, mean over the non-ignored pixels (0 when all are ignored).
        """
        gt_seg = stack_contact_maps(batch_data_samples, seg_logits.shape[-2:])
        return self.loss_seg(seg_logits, gt_seg, ignore_index=IGNORE_INDEX)

    @staticmethod
    def predict_by_feat(seg_logits: Tensor,
                        batch_img_metas: Sequence[dict],
                        rescale: bool = True) -> list:
        """The contact map of each image: S cropped to the image, resized, argmax.

        Args:
            seg_logits (Tensor): S, (B, K, H, W).
            batch_img_metas (list[dict]): ``img_shape``, and with ``rescale``
                ``ori_shape``.
            rescale (bool): resize the logits (bilinear) to the original image size
                before the argmax. Defaults to True.

        Returns:
            list[PixelData]: ``sem_seg`` (1, h, w) int64, 0 none, 1..17 part.
        """
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            img_h, img_w = meta['img_shape'][:2]
            logits = seg_logits[img_id:img_id + 1, :, :img_h, :img_w].float()
            if rescale and tuple(meta['ori_shape'][:2]) != (img_h, img_w):
                logits = F.interpolate(
                    logits, size=meta['ori_shape'][:2], mode='bilinear', align_corners=False)
            results.append(PixelData(sem_seg=logits.argmax(dim=1)))
        return results
