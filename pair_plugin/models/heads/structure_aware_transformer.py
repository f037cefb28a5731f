"""STIP's structure-aware transformer decoder (Zhang et al., CVPR 2022): attention whose
logits also read a structure encoding of every (query, key) pair."""
import copy
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from pair_plugin.registry import MODELS


class StructureAwareAttention(BaseModule):
    """Multi-head attention with a structure term r: per head
    ``softmax(q·k / sqrt(d) + q·r / d)·v``.

    As STIP's attention: q, k and v are the usual projections (one stacked input
    projection, as ``nn.MultiheadAttention``); r is the structure encoding of the
    (query, key) pair, split into heads like the keys and not projected; q·k is scaled by
    ``d^-1/2`` as usual and q·r by ``d^-1`` (STIP scales q and r by ``d^-1/2`` each).
    Without r it is plain multi-head attention. The product runs in torch's
    ``scaled_dot_product_attention``, with the q·r term as its additive mask.

    Args:
        embed_dims (int): width D.
        num_heads (int): heads; D must divide by it.
        dropout (float): dropout on the attention weights.
    """

    def __init__(self, embed_dims: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'StructureAwareAttention: embed_dims ({embed_dims}) must divide '
                             f'by num_heads ({num_heads})')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.dropout = dropout
        self.in_proj = nn.Linear(embed_dims, 3 * embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)

    def init_weights(self) -> None:
        """As ``nn.MultiheadAttention``: Xavier-uniform input projection, zero biases."""
        nn.init.xavier_uniform_(self.in_proj.weight)
        nn.init.zeros_(self.in_proj.bias)
        nn.init.zeros_(self.out_proj.bias)

    def _heads(self, x: Tensor, index: int) -> Tensor:
        """Project x (B, L, D) with the index-th of q, k, v → (B, heads, L, d)."""
        d = self.embed_dims
        x = F.linear(x, self.in_proj.weight[index * d:(index + 1) * d],
                     self.in_proj.bias[index * d:(index + 1) * d])
        return x.unflatten(-1, (self.num_heads, self.head_dims)).transpose(1, 2)

    def forward(self,
                query: Tensor,
                key: Tensor,
                value: Tensor,
                structure: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Attention of ``query`` over ``key``/``value``.

        Args:
            query (Tensor): (B, Lq, D), positional encoding already added.
            key (Tensor): (B, Lk, D), positional encoding already added.
            value (Tensor): (B, Lk, D).
            structure (Tensor, optional): r, (B, Lq, Lk, D).
            key_padding_mask (Tensor, optional): (B, Lk) bool, True on keys to ignore.

        Returns:
            Tensor: (B, Lq, D).
        """
        q, k, v = self._heads(query, 0), self._heads(key, 1), self._heads(value, 2)
        scale = self.head_dims**-0.5
        bias = None
        if structure is not None:
            r = structure.unflatten(-1, (self.num_heads, self.head_dims))  # (B, Lq, Lk, H, d)
            bias = torch.einsum('bhqd,bqkhd->bhqk', q, r) * (scale * scale)
        if key_padding_mask is not None:
            pad = torch.zeros(key_padding_mask.shape, dtype=q.dtype, device=q.device)
            pad = pad.masked_fill(key_padding_mask, float('-inf'))[:, None, None]
            bias = pad if bias is None else bias + pad
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(out.transpose(1, 2).flatten(2))


class StructureAwareDecoderLayer(BaseModule):
    """One layer of STIP's interaction decoder (post-norm, as DETR's decoder layer).

    Self-attention among the interaction proposals with the semantic structure
    (:class:`StructureAwareAttention`, r = the encoding of how two proposals relate),
    cross-attention to the image memory with the spatial layout structure (r = the
    encoding of a memory cell's place relative to the proposal's human, object and union
    boxes), then mmcv's FFN; each followed by dropout, the residual and a LayerNorm.

    Args:
        embed_dims (int): width D.
        num_heads (int): attention heads.
        feedforward_channels (int): FFN hidden width.
        dropout (float): dropout after the attentions, on their weights, and in the FFN.
        norm_cfg (dict): the three norms.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 norm_cfg: dict = dict(type='LN')) -> None:
        super().__init__()
        self.embed_dims = embed_dims
        self.self_attn = StructureAwareAttention(embed_dims, num_heads, dropout)
        self.cross_attn = StructureAwareAttention(embed_dims, num_heads, dropout)
        self.ffn = FFN(
            embed_dims,
            feedforward_channels,
            num_fcs=2,
            act_cfg=dict(type='ReLU', inplace=True),
            ffn_drop=dropout)
        self.norms = ModuleList([build_norm_layer(norm_cfg, embed_dims)[1] for _ in range(3)])
        self.drop = nn.Dropout(dropout)

    def forward(self,
                query: Tensor,
                memory: Tensor,
                memory_pos: Tensor,
                query_structure: Optional[Tensor] = None,
                memory_structure: Optional[Tensor] = None,
                memory_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Args: see :meth:`StructureAwareDecoder.forward`. Returns (B, Q, D)."""
        query = self.norms[0](
            query + self.drop(self.self_attn(query, query, query, structure=query_structure)))
        query = self.norms[1](
            query + self.drop(
                self.cross_attn(
                    query,
                    memory + memory_pos,
                    memory,
                    structure=memory_structure,
                    key_padding_mask=memory_padding_mask)))
        return self.norms[2](self.ffn(query))


@MODELS.register_module()
class StructureAwareDecoder(BaseModule):
    """STIP's interaction decoder: :class:`StructureAwareDecoderLayer` × ``num_layers``
    and a LayerNorm shared by every layer's output (returned for each layer, for the
    auxiliary losses, as DETR's decoder).

    Args:
        num_layers (int): decoder layers. Defaults to 6 (STIP's ``hoi_dec_layers``).
        layer_cfg (dict): kwargs of :class:`StructureAwareDecoderLayer`.
        post_norm_cfg (dict): the shared output norm.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 num_layers: int = 6,
                 layer_cfg: dict = dict(
                     embed_dims=256, num_heads=8, feedforward_channels=2048, dropout=0.1),
                 post_norm_cfg: dict = dict(type='LN'),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = ModuleList(
            [StructureAwareDecoderLayer(**copy.deepcopy(layer_cfg)) for _ in range(num_layers)])
        self.embed_dims = self.layers[0].embed_dims
        self.post_norm = build_norm_layer(post_norm_cfg, self.embed_dims)[1]

    def forward(self,
                query: Tensor,
                memory: Tensor,
                memory_pos: Tensor,
                query_structure: Optional[Tensor] = None,
                memory_structure: Optional[Tensor] = None,
                memory_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Decode the proposals.

        Args:
            query (Tensor): the proposals' features, (B, Q, D).
            memory (Tensor): the image memory, (B, M, D).
            memory_pos (Tensor): its positional encoding, (B, M, D).
            query_structure (Tensor, optional): (B, Q, Q, D), r of the self-attention.
            memory_structure (Tensor, optional): (B, Q, M, D), r of the cross-attention.
            memory_padding_mask (Tensor, optional): (B, M) bool, True on padding.

        Returns:
            Tensor: every layer's normed output, (num_layers, B, Q, D).
        """
        outputs = []
        for layer in self.layers:
            query = layer(query, memory, memory_pos, query_structure, memory_structure,
                          memory_padding_mask)
            outputs.append(self.post_norm(query))
        return torch.stack(outputs)
