"""UNet, LinkNet and MANet contact heads: segmentation_models_pytorch's decoders on the
backbone's levels (the replacements of PGCS in the paper's Table 6, and the contact half of
its two-model rows in Tables 1-2)."""
from typing import List, Optional, Sequence, Tuple

from segmentation_models_pytorch.base import SegmentationHead
from segmentation_models_pytorch.base.initialization import initialize_decoder, initialize_head
from segmentation_models_pytorch.decoders.linknet.decoder import LinknetDecoder
from segmentation_models_pytorch.decoders.manet.decoder import MAnetDecoder
from segmentation_models_pytorch.decoders.unet.decoder import UnetDecoder
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from .base_contact_head import BaseContactHead

#: the cross-entropy on S, 255 ignored, of every contact head
CONTACT_LOSS = dict(
    type='CrossEntropyLoss',
    use_sigmoid=False,
    ignore_index=IGNORE_INDEX,
    avg_non_ignore=True,
    loss_weight=1.0)


class SMPDecoderContactHead(BaseContactHead):
    """A segmentation_models_pytorch decoder fed with the backbone's levels → S.

    smp's decoders take an encoder's feature list ``[input, stride 2, stride 4, ...,
    stride 2^n]`` (a ResNet's: the image, the stem's 64 channels after conv1, then
    layer1..layer4) and upsample it back to the input's resolution, one block per level.
    An mmdet / mmseg / mmpretrain backbone gives only the stages (``out_indices=(0, 1, 2,
    3)``: strides 4 to 32); the stem's stride-2 output is not among them. The head feeds
    the decoder as smp feeds it from encoders that start at stride 4 (its timm-universal
    and Mix-Transformer encoders): a 0-channel placeholder for the stride-2 level and one
    for the input (whose size alone the decoders read), so the decoder block at stride 2
    upsamples without a skip connection; everything else is smp's decoder as its model
    builds it, then smp's segmentation head (a convolution to num_parts + 1 classes) and
    smp's initialisation (Kaiming-uniform decoder, Xavier head).

    These heads take neither CPAM's part priors (:attr:`uses_part_priors` is False: UNet,
    LinkNet and MANet have no Body Attention) nor the H-O RoI Enhancer
    (:attr:`uses_roi_enhancer` is False: their decoders read every level unweighted); in
    PaIR-Net, CPAM still trains and the Mask-Guided RoI Feature still reads S.

    Args:
        in_channels (Sequence[int]): channels of the levels read, finest first (a
            ResNet-50's stages: (256, 512, 1024, 2048)).
        in_index (Sequence[int]): the levels read, finest first; they must lie at strides
            4, 8, ..., 2^(n+1) of the input. Defaults to (0, 1, 2, 3).
        num_parts (int): body parts; S has ``num_parts + 1`` classes. Defaults to 17.
        loss (dict): the cross-entropy on S, 255 ignored.
        background_prior (float, optional): the classifier's initial probability of no
            contact (:class:`BaseContactHead`), set after smp's initialisation; None (the
            default) keeps smp's zero bias.
        init_cfg (dict, optional): mmengine init config; None (the default) applies smp's
            initialisation in :meth:`init_weights`.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 num_parts: int = NUM_PARTS,
                 loss: dict = CONTACT_LOSS,
                 background_prior: Optional[float] = None,
                 init_cfg: Optional[dict] = None):
        name = type(self).__name__
        if isinstance(in_index, int) or isinstance(in_channels, int):
            raise ValueError(f'{name}: reads several levels (in_index and in_channels '
                             f'sequences, finest first), not {in_index!r} / {in_channels!r}')
        super().__init__(
            in_channels=in_channels,
            num_parts=num_parts,
            in_index=in_index,
            roi_enhancer=None,
            loss=loss,
            background_prior=background_prior,
            init_cfg=init_cfg)

    @property
    def encoder_channels(self) -> List[int]:
        """smp's encoder channels: the input and the stride-2 level (0-channel
        placeholders), then the levels read."""
        return [0, 0, *self.in_channels]

    @property
    def num_blocks(self) -> int:
        """Upsampling blocks of the decoder: one per level read, and one from stride 2
        to the input."""
        return len(self.in_channels) + 1

    def check_decoder_channels(self, decoder_channels: Sequence[int]) -> Tuple[int, ...]:
        """``decoder_channels`` as a tuple, one per block."""
        if len(decoder_channels) != self.num_blocks:
            raise ValueError(
                f'{type(self).__name__}: decoder_channels {tuple(decoder_channels)} must give '
                f'{self.num_blocks} blocks, one per level read ({len(self.in_channels)}) and '
                'one from stride 2 to the input')
        return tuple(decoder_channels)

    def segmentation_head(self, in_channels: int, kernel_size: int) -> nn.Module:
        """smp's segmentation head: a ``kernel_size`` convolution to num_parts + 1."""
        return SegmentationHead(
            in_channels=in_channels, out_channels=self.num_classes, kernel_size=kernel_size)

    def init_weights(self) -> None:
        """smp's initialisation of its models' decoders and heads, unless ``init_cfg``
        says otherwise."""
        first_call = not self._is_init
        super().init_weights()
        if first_call and self.init_cfg is None:
            initialize_decoder(self.decoder)
            initialize_head(self.conv_seg)
        if first_call:
            self.init_background_prior(self.conv_seg[0])

    def _check_levels(self, levels: Sequence[Tensor], input_size: Tuple[int, int]) -> None:
        """The levels at strides 4, 8, ..., 2^(n+1) of the input, as the decoders need."""
        stride = 2**(len(levels) + 1)
        found = [tuple(level.shape[-2:]) for level in levels]
        expected = [(input_size[0] >> (i + 2), input_size[1] >> (i + 2))
                    for i in range(len(levels))]
        if input_size[0] % stride or input_size[1] % stride or found != expected:
            raise ValueError(
                f'{type(self).__name__}: the levels read (in_index {self.in_index}) have sizes '
                f'{found} for the input {tuple(input_size)}; the decoder needs them at '
                f'strides 4 to {stride} of an input padded to a multiple of {stride} '
                f'(expected {expected}; DetDataPreprocessor pad_size_divisor={stride})')

    def forward(self,
                feats: Sequence[Tensor],
                input_size: Tuple[int, int],
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> Tensor:
        """S from the levels ``in_index`` names.

        Args:
            feats (tuple[Tensor]): the backbone's levels; those read are (B, C_i, H / 2^(i+2),
                W / 2^(i+2)).
            input_size (tuple[int, int]): (H, W) of the padded input.
            part_probs, regions: not used (see the class docstring).

        Returns:
            Tensor: S, (B, num_parts + 1, H, W) logits.
        """
        levels = self._transform_inputs(feats)
        self._check_levels(levels, input_size)
        first = levels[0]
        height, width = input_size
        placeholders = [
            first.new_empty((first.size(0), 0, height, width)),
            first.new_empty((first.size(0), 0, height // 2, width // 2))
        ]
        return self.conv_seg(self.decoder(placeholders + list(levels)))


@MODELS.register_module()
class UNetContactHead(SMPDecoderContactHead):
    """UNet (Ronneberger et al., MICCAI 2015) as a contact head: smp's ``UnetDecoder``.

    Each block upsamples (nearest) to the next level's size, concatenates that level
    (the skip connection) and applies two 3×3 conv/BN/ReLU; the block at stride 2 has no
    skip (the stem level is not among the backbone's outputs, see
    :class:`SMPDecoderContactHead`); a 3×3 convolution gives S. Takes neither CPAM's part
    priors nor the H-O RoI Enhancer.

    Args:
        in_channels (Sequence[int]): channels of the levels read, finest first.
        in_index (Sequence[int]): the levels read. Defaults to (0, 1, 2, 3).
        decoder_channels (Sequence[int]): output channels of the blocks, coarsest first;
            one per level read plus one. Defaults to smp's (256, 128, 64, 32, 16).
        attention_type (str, optional): smp's ``decoder_attention_type`` ('scse' for
            spatial and channel squeeze-excitation); None as smp's default.
        num_parts, loss, background_prior, init_cfg: see :class:`SMPDecoderContactHead`.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 attention_type: Optional[str] = None,
                 num_parts: int = NUM_PARTS,
                 loss: dict = CONTACT_LOSS,
                 background_prior: Optional[float] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, in_index, num_parts, loss, background_prior, init_cfg)
        decoder_channels = self.check_decoder_channels(decoder_channels)
        self.decoder = UnetDecoder(
            encoder_channels=self.encoder_channels,
            decoder_channels=decoder_channels,
            n_blocks=self.num_blocks,
            attention_type=attention_type)
        self.conv_seg = self.segmentation_head(decoder_channels[-1], kernel_size=3)


@MODELS.register_module()
class LinkNetContactHead(SMPDecoderContactHead):
    """LinkNet (Chaurasia & Culurciello, VCIP 2017) as a contact head: smp's
    ``LinknetDecoder``.

    Each block is 1×1 conv (C → C/4), a 4×4 stride-2 transposed convolution, 1×1 conv to
    the next level's channels, then adds that level; at stride 2, with no stem level to
    add (see :class:`SMPDecoderContactHead`), the block keeps the stride-4 level's
    channels, as smp does for encoders that start at stride 4; the last block gives 32
    channels and a 1×1 convolution S. Takes neither CPAM's part priors nor the H-O RoI
    Enhancer.

    Args:
        in_channels (Sequence[int]): channels of the levels read, finest first.
        in_index (Sequence[int]): the levels read. Defaults to (0, 1, 2, 3).
        prefinal_channels (int): channels of the last block. Defaults to smp's 32.
        num_parts, loss, background_prior, init_cfg: see :class:`SMPDecoderContactHead`.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 prefinal_channels: int = 32,
                 num_parts: int = NUM_PARTS,
                 loss: dict = CONTACT_LOSS,
                 background_prior: Optional[float] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, in_index, num_parts, loss, background_prior, init_cfg)
        self.decoder = LinknetDecoder(
            encoder_channels=self.encoder_channels,
            prefinal_channels=prefinal_channels,
            n_blocks=self.num_blocks)
        self.conv_seg = self.segmentation_head(prefinal_channels, kernel_size=1)


@MODELS.register_module()
class MANetContactHead(SMPDecoderContactHead):
    """MA-Net (Fan et al., IEEE Access 2020) as a contact head: smp's ``MAnetDecoder``.

    The coarsest level goes through the Position-wise Attention Block (a spatial
    self-attention over its cells, then 3×3 convolutions at its full width); each block
    then upsamples 2×, re-weights channels with the Multi-scale Fusion Attention Block
    (squeeze-excitation of the upsampled and the skip features), concatenates the skip
    level and applies two 3×3 conv/BN/ReLU; the blocks at stride 2 and 1 have no skip
    (see :class:`SMPDecoderContactHead`); a 3×3 convolution gives S. Takes neither CPAM's
    part priors nor the H-O RoI Enhancer.

    Args:
        in_channels (Sequence[int]): channels of the levels read, finest first.
        in_index (Sequence[int]): the levels read. Defaults to (0, 1, 2, 3).
        decoder_channels (Sequence[int]): output channels of the blocks, coarsest first;
            one per level read plus one. Defaults to smp's (256, 128, 64, 32, 16).
        pab_channels (int): key/query channels of the Position-wise Attention Block.
            Defaults to smp's 64.
        reduction (int): squeeze-excitation reduction of the fusion blocks. Defaults to
            smp's 16.
        num_parts, loss, background_prior, init_cfg: see :class:`SMPDecoderContactHead`.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 pab_channels: int = 64,
                 reduction: int = 16,
                 num_parts: int = NUM_PARTS,
                 loss: dict = CONTACT_LOSS,
                 background_prior: Optional[float] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(in_channels, in_index, num_parts, loss, background_prior, init_cfg)
        decoder_channels = self.check_decoder_channels(decoder_channels)
        self.decoder = MAnetDecoder(
            encoder_channels=self.encoder_channels,
            decoder_channels=decoder_channels,
            n_blocks=self.num_blocks,
            reduction=reduction,
            pab_channels=pab_channels)
        self.conv_seg = self.segmentation_head(decoder_channels[-1], kernel_size=3)
