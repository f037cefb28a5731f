"""DETR's image half, shared by every HOI transformer here (IIM, QPIC's and STIP's DETR,
MUREN, TED-Net): F_B → 1×1 projection → sine positions → DETR encoder."""
import copy
from typing import Optional, Tuple

from mmdet.models.layers import DetrTransformerEncoder, SinePositionalEncoding
from mmengine.model import BaseModule
from torch import Tensor, nn

# DETR's layer settings (Carion et al., ECCV 2020), the defaults of every transformer here
DETR_ATTN = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
DETR_FFN = dict(
    embed_dims=256,
    feedforward_channels=2048,
    num_fcs=2,
    ffn_drop=0.1,
    act_cfg=dict(type='ReLU', inplace=True))


class DETREncoderTransformer(BaseModule):
    """The base of a transformer that starts as DETR: :meth:`encode` turns F_B into the
    encoder's memory; subclasses add their decoders.

    F_B goes through a 1×1 input projection to the encoder's width ``embed_dims``, gets
    mmdet's sine positional encoding (with DETR's padding mask) and mmdet's DETR encoder.
    The submodules keep DETR's names (``input_proj``, ``positional_encoding``,
    ``encoder``), so checkpoints map onto mmdet's DETR.

    Args:
        in_channels (int): channels C of F_B.
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``; its
            ``num_feats`` must be half the encoder's ``embed_dims``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 positional_encoding: dict,
                 encoder: dict,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.positional_encoding = SinePositionalEncoding(**positional_encoding)
        self.encoder = DetrTransformerEncoder(**copy.deepcopy(encoder))
        self.embed_dims = self.encoder.embed_dims
        if self.positional_encoding.num_feats * 2 != self.embed_dims:
            raise ValueError(
                f'{type(self).__name__}: positional_encoding.num_feats '
                f'({self.positional_encoding.num_feats}) must be half of the embedding width '
                f'({self.embed_dims})')
        self.input_proj = nn.Conv2d(in_channels, self.embed_dims, kernel_size=1)

    def encode(self,
               feat: Tensor,
               padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """DETR's encoder on F_B.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on the cells of F_B that
                lie in the batch's padding; None when no image is padded.

        Returns:
            tuple: the memory (B, h*w, embed_dims), the positional encoding of its cells
            (B, h*w, embed_dims) and the key padding mask for attention over them
            ((B, h*w) bool, or None).
        """
        x = self.input_proj(feat)
        pos = self.positional_encoding(padding_mask, input=x).flatten(2).transpose(1, 2)
        x = x.flatten(2).transpose(1, 2)  # (B, h*w, embed_dims)
        key_padding_mask = padding_mask.flatten(1) if padding_mask is not None else None
        memory = self.encoder(query=x, query_pos=pos, key_padding_mask=key_padding_mask)
        return memory, pos, key_padding_mask
