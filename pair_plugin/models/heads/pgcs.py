"""Prior-Guided Concat Segmenter (PGCS, Eq. 2-9): PaIR-Net's contact head."""
from typing import Optional, Sequence, Tuple

from mmcv.cnn import ConvModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from .base_contact_head import BaseContactHead


def upsample_2x() -> nn.Module:
    """The paper's 2× upsampling layer (bilinear, half-pixel centres)."""
    return nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)


@MODELS.register_module()
class PGCS(BaseContactHead):
    """H-O RoI Enhancer → conv/BN/ReLU/2× decoder → Body Attention → 1×1 conv → 2× → S.

    A contact head (:class:`BaseContactHead`) on one level, F_B by default. The H-O RoI
    Enhancer amplifies the interaction region of F_B (Eq. 2-7). Every decoder stage is a
    ``kernel_size`` convolution, norm, ReLU and a 2× bilinear upsampling; with F_B at stride
    32 and the default four stages (2048→512→256→128→64) the decoded F_B^D is at stride 2
    with 64 channels. Body Attention re-weights its channels with CPAM's part probabilities
    L (Eq. 8-9); a 1×1 convolution gives the (num_parts + 1)-way logits and a last 2×
    upsampling S, at the input's resolution (for F_B at stride 2^(n+1), n = the number of
    decoder stages). The loss is the base's cross-entropy on S with 255 ignored.

    Args:
        in_channels (int): channels C of F_B.
        channels (Sequence[int]): output widths of the decoder stages; the last one is the
            width of F_B^D. Defaults to (512, 256, 128, 64).
        num_parts (int): body parts; S has ``num_parts + 1`` classes (0 = no contact).
            Defaults to 17.
        in_index (int): the level read. Defaults to -1 (F_B).
        kernel_size (int): kernel of the decoder convolutions. Defaults to 3.
        roi_enhancer (dict, optional): the H-O RoI Enhancer; None switches it off (Table 3's
            baseline and +CPAM rows).
        body_attention (dict, optional): Body Attention (its ``channels`` and
            ``num_parts`` are filled in); None switches it off (Table 3's baseline).
        norm_cfg (dict): norm of the decoder. Defaults to BN.
        act_cfg (dict): activation of the decoder. Defaults to ReLU.
        loss (dict): the cross-entropy on S, 255 ignored (mmdet's ``CrossEntropyLoss``).
        background_prior (float, optional): the classifier's initial probability of no
            contact (:class:`BaseContactHead`). None (the default) leaves the bias at 0,
            as the Kaiming initialisation.
        init_cfg (dict | list[dict]): defaults to Kaiming (He et al. 2015), as the paper.
    """

    def __init__(self,
                 in_channels: int,
                 channels: Sequence[int] = (512, 256, 128, 64),
                 num_parts: int = NUM_PARTS,
                 in_index: int = -1,
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
        if len(channels) == 0:
            raise ValueError('PGCS: channels must name at least one decoder stage')
        if not isinstance(in_index, int):
            raise ValueError(f'PGCS: reads one level (in_index an int), not {in_index!r}')
        super().__init__(
            in_channels=in_channels,
            num_parts=num_parts,
            in_index=in_index,
            roi_enhancer=roi_enhancer,
            loss=loss,
            background_prior=background_prior,
            init_cfg=init_cfg)
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

    def init_weights(self) -> None:
        """Kaiming (``init_cfg``); then the classifier's bias at ``background_prior``.

        Only the first call initialises, as for mmengine's other modules: a second one
        leaves trained weights alone.
        """
        first_call = not self.is_init
        super().init_weights()
        if first_call:
            self.init_background_prior(self.conv_seg)

    @property
    def with_roi_enhancer(self) -> bool:
        return self.roi_enhancer is not None

    @property
    def with_body_attention(self) -> bool:
        return self.body_attention is not None

    @property
    def uses_part_priors(self) -> bool:
        """Body Attention takes CPAM's part probabilities."""
        return self.with_body_attention

    def forward(self,
                feats: Sequence[Tensor],
                input_size: Tuple[int, int],
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> Tensor:
        """S, the contact logits at the input's resolution.

        Args:
            feats (tuple[Tensor]): the backbone's levels; ``in_index`` picks F_B,
                (B, C, h, w).
            input_size (tuple[int, int]): (H, W) of the padded input.
            part_probs (Tensor, optional): L, (B, num_parts) (needed with Body
                Attention).
            regions (Tensor, optional): (B, 4) interaction region E_b of each image,
                x1y1x2y2 in input pixels (:meth:`HORoIEnhancer.interaction_regions`;
                needed with the enhancer).

        Returns:
            Tensor: S, (B, num_parts + 1, h·2^(n+1), w·2^(n+1)) logits, n = number of
            decoder stages (the input size for F_B at stride 32 and four stages).
        """
        feat = self.enhance(self._transform_inputs(feats), regions, input_size)
        decoded = self.decoder(feat)  # F_B^D
        if self.with_body_attention:
            if part_probs is None:
                raise ValueError('PGCS: Body Attention needs the part probabilities of CPAM '
                                 '(set body_attention=None to run without)')
            decoded = self.body_attention(decoded, part_probs)
        return self.upsample(self.conv_seg(decoded))
