"""DETR's transformer on F_B, as QPIC and STIP's instance detector use it."""
import copy
from typing import Optional, Tuple

import torch
from mmdet.models.layers import DetrTransformerDecoder
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from .detr_encoder import DETR_ATTN as _ATTN
from .detr_encoder import DETR_FFN as _FFN
from .detr_encoder import DETREncoderTransformer


@MODELS.register_module()
class DETRTransformer(DETREncoderTransformer):
    """DETR's transformer (Carion et al., ECCV 2020): F_B → every decoder layer's queries.

    A 1×1 input projection of F_B to ``embed_dims``, mmdet's sine positional encoding
    and DETR encoder, then ``num_queries`` learned queries (zero content, the embedding as
    positional query) through mmdet's DETR decoder, whose shared post-norm is applied to
    every layer's output (``return_intermediate``). QPIC decodes its HOI queries with it
    (:class:`QPICHead`), STIP its instance queries (:class:`STIPHead`). The layers are
    mmdet's, initialised as mmdet's DETR (Xavier-uniform on the encoder and decoder).

    Args:
        in_channels (int): channels C of F_B.
        num_queries (int): learned queries. Defaults to 100 (DETR's and QPIC's).
        num_groups (int): query groups in training (Group DETR, as :class:`IIM`'s):
            ``num_groups`` sets of ``num_queries`` queries, each with its own embeddings,
            decoded side by side with self-attention kept within each group; inference
            decodes the first group only. Defaults to 1 (DETR and QPIC have none).
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        decoder (dict): kwargs of mmdet's ``DetrTransformerDecoder``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_queries: int = 100,
                 num_groups: int = 1,
                 positional_encoding: dict = dict(num_feats=128, normalize=True),
                 encoder: dict = dict(
                     num_layers=6, layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
                 decoder: dict = dict(
                     num_layers=6,
                     layer_cfg=dict(self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                     return_intermediate=True),
                 init_cfg=None):
        if num_groups < 1:
            raise ValueError(f'DETRTransformer: num_groups must be >= 1, got {num_groups}')
        super().__init__(in_channels, positional_encoding, encoder, init_cfg=init_cfg)
        self.num_queries = num_queries
        self.num_groups = num_groups
        self.decoder = DetrTransformerDecoder(**copy.deepcopy(decoder))
        if not self.decoder.return_intermediate:
            raise ValueError('DETRTransformer: decoder.return_intermediate must be True: the '
                             'heads supervise every decoder layer (auxiliary losses)')
        self.query_embedding = nn.Embedding(num_queries, self.embed_dims)
        if num_groups > 1:
            self.group_query_embedding = nn.Embedding(num_queries * (num_groups - 1),
                                                      self.embed_dims)

    def init_weights(self) -> None:
        """Xavier-uniform encoder and decoder weights, as mmdet's DETR."""
        super().init_weights()
        for module in (self.encoder, self.decoder):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def forward(self,
                feat: Tensor,
                padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Encoder and decoder.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on the cells of F_B that
                lie in the batch's padding; None when no image is padded.

        Returns:
            tuple[Tensor]: the decoder's queries after every layer (L, B, Q, embed_dims;
            Q = ``num_queries``, times ``num_groups`` in training, the groups one after the
            other), the encoder's memory (B, h*w, embed_dims) and the positional
            encoding (B, h*w, embed_dims).
        """
        memory, pos, key_padding_mask = self.encode(feat, padding_mask)
        batch_size = feat.size(0)
        query_pos = self.query_embedding.weight
        self_attn_mask = None
        if self.training and self.num_groups > 1:
            query_pos = torch.cat([query_pos, self.group_query_embedding.weight])
            group = torch.arange(query_pos.size(0), device=query_pos.device) // self.num_queries
            self_attn_mask = group[:, None] != group[None]  # True = masked
        query_pos = query_pos[None].expand(batch_size, -1, -1)
        hidden_states = self.decoder(
            query=torch.zeros_like(query_pos),
            key=memory,
            value=memory,
            query_pos=query_pos,
            key_pos=pos,
            key_padding_mask=key_padding_mask,
            self_attn_mask=self_attn_mask)
        return hidden_states, memory, pos
