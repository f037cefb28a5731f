"""Multi-head attention without the head-averaged weights, so that torch can fuse it.

mmcv's ``MultiheadAttention`` (the attention of mmdet's DETR layers, and so of the IIM)
calls ``torch.nn.MultiheadAttention`` with ``need_weights`` left at its default, True:
torch then computes softmax(QKᵀ/√d)V step by step and also averages the attention map
over the heads, to return it, and mmcv throws it away. With ``need_weights=False`` the same
attention goes through ``F.scaled_dot_product_attention``, one fused kernel on the CPU and
on CUDA, which never materialises the weights it does not need to return.
"""
from typing import Optional, Tuple

from mmcv.cnn.bricks.transformer import MultiheadAttention
from torch import Tensor, nn


class WeightlessMultiheadAttention(nn.MultiheadAttention):
    """``torch.nn.MultiheadAttention`` that returns no attention weights by default.

    The same parameters, state-dict keys and outputs (up to float rounding) as
    ``nn.MultiheadAttention``; only the default of ``need_weights`` differs, so that a
    caller that does not pass it (mmcv's ``MultiheadAttention``) gets the fused path.
    """

    def forward(self,
                query: Tensor,
                key: Tensor,
                value: Tensor,
                key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = False,
                attn_mask: Optional[Tensor] = None,
                average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        return super().forward(
            query,
            key,
            value,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal)


def fuse_attention(module: nn.Module) -> int:
    """Let every mmcv ``MultiheadAttention`` inside ``module`` skip the attention weights.

    The ``torch.nn.MultiheadAttention`` that each one wraps becomes a
    :class:`WeightlessMultiheadAttention` in place: no parameter is created, copied or
    re-initialised (the random state is untouched), checkpoints load either way, and deep
    copies (an EMA model) keep the class.

    Args:
        module (nn.Module): a model or a part of one, changed in place.

    Returns:
        int: the number of attention modules changed.
    """
    count = 0
    for m in module.modules():
        if isinstance(m, MultiheadAttention) and type(m.attn) is nn.MultiheadAttention:
            # a subclass that adds no state and overrides only a default: a class swap
            # is exact, where rebuilding would draw new random weights
            m.attn.__class__ = WeightlessMultiheadAttention
            count += 1
    return count
