"""TED-Net's dispersal attention (Wang, Liu & Lei, TCSVT 2024): a cross-attention that
also returns its attention map spread over the neighbourhood by a fixed Gaussian."""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmdet.models.layers import DetrTransformerDecoderLayer
from mmengine.model import ModuleList
from torch import Tensor

from pair_plugin.registry import MODELS


def gaussian_kernel(size: int = 7, sigma: float = 2.0) -> Tensor:
    """A normalised (size, size) Gaussian window, as TED-Net's ``get_kernel(size, sigma)``:
    the 1-D weights are the normal CDF's increments over ``size`` equal bins spanning
    ``±(sigma + (2 sigma + 1) / (2 size))``; the 2-D window is the square root of their
    outer product, divided by its sum.

    Returns:
        Tensor: (size, size) float32, summing to 1.
    """
    interval = (2 * sigma + 1.0) / size
    edges = torch.linspace(
        -sigma - interval / 2, sigma + interval / 2, size + 1, dtype=torch.float64)
    weights = torch.special.ndtr(edges).diff()
    kernel = torch.outer(weights, weights).sqrt()
    return (kernel / kernel.sum()).float()


@MODELS.register_module()
class DispersalAttention(MultiheadAttention):
    """mmcv's ``MultiheadAttention`` (batch first) that also returns a dispersed output.

    The attention logits ``q k^T / sqrt(d)`` give the usual output (softmax, attention
    dropout, values, output projection, residual) and, with the same values and
    projections, the dispersed one: the logits over the h×w keys, ReLU'd, blurred by a
    fixed ``kernel_size`` Gaussian (:func:`gaussian_kernel`) as an image per query and
    head, and divided by their sum (+1e-5), so that attention on one cell spreads to the
    region around it. Keys in the padding count in neither (TED-Net zeroes them only after
    the blur and the normalisation; the two agree on unpadded images).

    The parameters are those of mmcv's ``MultiheadAttention`` (the state dict of a DETR
    cross-attention loads).

    Args:
        kernel_size (int): the Gaussian's window. Defaults to 7 (TED-Net).
        sigma (float): its ``nsig`` (:func:`gaussian_kernel`). Defaults to 2 (TED-Net).
        **kwargs: mmcv's ``MultiheadAttention`` (``embed_dims``, ``num_heads``,
            ``attn_drop`` or ``dropout``, ...); ``batch_first`` must be True.
    """

    def __init__(self, kernel_size: int = 7, sigma: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        if not self.batch_first:
            raise ValueError('DispersalAttention: batch_first must be True')
        if kernel_size % 2 != 1:
            raise ValueError(f'DispersalAttention: kernel_size must be odd, got {kernel_size}')
        if not self.attn._qkv_same_embed_dim:
            raise ValueError('DispersalAttention: keys and values must have embed_dims channels')
        self.kernel_size = kernel_size
        self.register_buffer(
            'kernel', gaussian_kernel(kernel_size, sigma)[None, None], persistent=False)

    def forward(self,
                query: Tensor,
                key: Tensor,
                value: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                spatial_shape: Sequence[int] = None,
                **kwargs) -> Tuple[Tensor, Tensor]:
        """
        Args:
            query (Tensor): (B, Q, C); also the residual.
            key (Tensor): (B, h*w, C), the keys of an h×w map in row-major order.
            value (Tensor, optional): (B, h*w, C); the key when None.
            query_pos, key_pos (Tensor, optional): added to the query and the key.
            key_padding_mask (Tensor, optional): (B, h*w) bool, True on padding.
            spatial_shape (Sequence[int]): (h, w).

        Returns:
            tuple[Tensor]: the attention's output and the dispersed output, (B, Q, C)
            each, both with the residual.
        """
        if spatial_shape is None:
            raise ValueError('DispersalAttention: spatial_shape (h, w) of the keys is needed')
        value = key if value is None else value
        identity = query
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        batch, num_queries, dims = query.shape
        num_keys = key.size(1)
        height, width = spatial_shape
        if height * width != num_keys:
            raise ValueError(f'DispersalAttention: {num_keys} keys are not a '
                             f'{height}x{width} map')
        heads = self.num_heads
        q_w, k_w, v_w = self.attn.in_proj_weight.chunk(3)
        q_b, k_b, v_b = (None, None, None) if self.attn.in_proj_bias is None else \
            self.attn.in_proj_bias.chunk(3)

        def split_heads(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
            return F.linear(x, weight, bias).unflatten(-1, (heads, -1)).transpose(1, 2)

        q = split_heads(query, q_w, q_b)  # (B, heads, Q, d)
        k = split_heads(key, k_w, k_b)  # (B, heads, h*w, d)
        v = split_heads(value, v_w, v_b)
        logits = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, heads, Q, h*w)

        padding = None if key_padding_mask is None else key_padding_mask[:, None, None]
        weights = logits if padding is None else logits.masked_fill(padding, float('-inf'))
        weights = F.dropout(weights.softmax(-1), self.attn.dropout, self.training)

        dispersed = logits.relu()
        if padding is not None:
            dispersed = dispersed.masked_fill(padding, 0)
        dispersed = F.conv2d(
            dispersed.reshape(-1, 1, height, width),
            self.kernel.to(dispersed.dtype),
            padding=self.kernel_size // 2).view_as(logits)
        if padding is not None:
            dispersed = dispersed.masked_fill(padding, 0)
        dispersed = dispersed / (dispersed.sum(-1, keepdim=True) + 1e-5)

        outs = []
        for attn in (weights, dispersed):
            out = (attn @ v).transpose(1, 2).reshape(batch, num_queries, dims)
            out = self.attn.out_proj(out)
            outs.append(identity + self.dropout_layer(self.proj_drop(out)))
        return outs[0], outs[1]


@MODELS.register_module()
class DispersalDecoderLayer(DetrTransformerDecoderLayer):
    """mmdet's DETR decoder layer whose cross-attention is :class:`DispersalAttention`;
    the dispersed output goes through the same norm, FFN and norm as the usual one (TED-Net's
    human and object decoder layers).

    Args:
        cross_attn_cfg (dict): kwargs of :class:`DispersalAttention`.
        **kwargs: mmdet's ``DetrTransformerDecoderLayer``.
    """

    def _init_layers(self) -> None:
        """Self-attention, dispersal cross-attention, FFN and three norms."""
        self.self_attn = MultiheadAttention(**self.self_attn_cfg)
        self.cross_attn = DispersalAttention(**self.cross_attn_cfg)
        self.embed_dims = self.self_attn.embed_dims
        self.ffn = FFN(**self.ffn_cfg)
        self.norms = ModuleList(
            [build_norm_layer(self.norm_cfg, self.embed_dims)[1] for _ in range(3)])

    def forward(self,
                query: Tensor,
                key: Tensor = None,
                value: Tensor = None,
                query_pos: Tensor = None,
                key_pos: Tensor = None,
                self_attn_mask: Tensor = None,
                key_padding_mask: Tensor = None,
                spatial_shape: Sequence[int] = None,
                **kwargs) -> Tuple[Tensor, Tensor]:
        """
        Args:
            query (Tensor): (B, Q, C).
            key, value (Tensor): (B, h*w, C).
            query_pos (Tensor, optional): (B, Q, C); key_pos (B, h*w, C).
            self_attn_mask (Tensor, optional): (Q, Q) bool.
            key_padding_mask (Tensor, optional): (B, h*w) bool, True on padding.
            spatial_shape (Sequence[int]): (h, w) of the keys.

        Returns:
            tuple[Tensor]: the layer's output and its dispersed copy, (B, Q, C) each.
        """
        query = self.self_attn(
            query=query,
            key=query,
            value=query,
            query_pos=query_pos,
            key_pos=query_pos,
            attn_mask=self_attn_mask)
        query = self.norms[0](query)
        outs = self.cross_attn(
            query=query,
            key=key,
            value=value,
            query_pos=query_pos,
            key_pos=key_pos,
            key_padding_mask=key_padding_mask,
            spatial_shape=spatial_shape)
        return tuple(self.norms[2](self.ffn(self.norms[1](out))) for out in outs)
