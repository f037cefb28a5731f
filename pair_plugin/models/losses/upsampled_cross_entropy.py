"""The cross-entropy of 2×-upsampled logits, computed in row blocks (PGCS's loss on S)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

#: the default block size, in elements of the upsampled map (B × K × rows × W): about
#: 8 MB of float32, which a CPU's caches hold through the block's few passes. Measured
#: for a batch of 2 at 640×640 on 2 cores: 72 ms for the loss and its gradient, against
#: 135 ms for the whole map at once (docs/benchmarks.md)
BLOCK_ELEMENTS = 2**21


class _UpsampledCrossEntropy(torch.autograd.Function):
    """Loss and gradient of each row block in the forward; the backward scales them."""

    @staticmethod
    def forward(ctx, logits: Tensor, target: Tensor, class_weight: Optional[Tensor],
                ignore_index: int, avg_non_ignore: bool, block_elements: int) -> Tensor:
        with torch.autocast(logits.device.type, enabled=False):
            loss, grad = _loss_and_grad(logits, target, class_weight, ignore_index,
                                        avg_non_ignore, block_elements,
                                        with_grad=ctx.needs_input_grad[0])
        ctx.save_for_backward(grad)
        return loss

    @staticmethod
    def backward(ctx, grad_loss: Tensor):
        grad, = ctx.saved_tensors
        return grad * grad_loss, None, None, None, None, None


def _loss_and_grad(logits: Tensor, target: Tensor, class_weight: Optional[Tensor],
                   ignore_index: int, avg_non_ignore: bool, block_elements: int,
                   with_grad: bool):
    b, k, h, w = logits.shape
    valid = target != ignore_index
    label = target.masked_fill(~valid, 0)[:, None]  # (B, 1, H, W)
    pixel_weight = valid[:, None].to(logits.dtype)
    if class_weight is not None:
        pixel_weight = pixel_weight * class_weight[label]
    # mmdet's cross_entropy: the sum over the non-ignored pixels (avg_non_ignore) or the
    # mean over all pixels; a tensor, so no host-device synchronisation
    denom = (valid.sum() + torch.finfo(torch.float32).eps if avg_non_ignore
             else float(target.numel()))
    grad = torch.zeros_like(logits) if with_grad else None
    total = logits.new_zeros(())
    rows = max(1, block_elements // (b * k * 4 * w))  # logit rows per block
    minus_one = logits.new_full((b, 1, 2 * rows, 2 * w), -1.0)
    for top in range(0, h, rows):
        bottom = min(top + rows, h)
        # one logit row of halo each side: output row 2i and 2i+1 read rows i-1..i+1
        # (clamped at the map's edges, as the whole map's upsampling)
        top_h, bottom_h = max(top - 1, 0), min(bottom + 1, h)
        up = F.interpolate(logits[:, :, top_h:bottom_h], scale_factor=2, mode='bilinear',
                           align_corners=False)
        start, stop = 2 * (top - top_h), 2 * (top - top_h) + 2 * (bottom - top)
        log_prob = torch.log_softmax(up[:, :, start:stop], dim=1)
        block_label = label[:, :, 2 * top:2 * bottom]
        block_weight = pixel_weight[:, :, 2 * top:2 * bottom]
        total = total - (log_prob.gather(1, block_label) * block_weight).sum()
        if not with_grad:
            continue
        # d(-w log p_label)/dz = w (p - onehot(label)), written over the block's rows of up
        prob = log_prob.exp_()
        prob.scatter_add_(1, block_label, minus_one[:, :, :stop - start])
        up[:, :, :start].zero_()
        up[:, :, stop:].zero_()
        torch.mul(prob, block_weight, out=up[:, :, start:stop])
        grad[:, :, top_h:bottom_h] += torch.ops.aten.upsample_bilinear2d_backward(
            up, up.shape[-2:], (b, k, bottom_h - top_h, w), False, 2.0, 2.0)
    if with_grad:
        grad /= denom
    return total / denom, grad


def upsampled_cross_entropy(logits: Tensor,
                            target: Tensor,
                            class_weight: Optional[Sequence[float]] = None,
                            ignore_index: int = 255,
                            avg_non_ignore: bool = True,
                            block_elements: int = BLOCK_ELEMENTS) -> Tensor:
    """Cross-entropy of the logits upsampled 2× (bilinear, half-pixel centres).

    Equals ``mmdet``'s ``CrossEntropyLoss`` (softmax, ``reduction='mean'``) of
    ``F.interpolate(logits, size=target.shape[-2:], mode='bilinear')`` against ``target``
    (up to float rounding), but the upsampled map is made a block of rows at a time, and
    each block's share of the loss and of the gradient is computed while it is in the
    cache: the full-resolution map, its log-probabilities and their gradients are never
    held (for S at 640×640, each would be 59 MB for two images), and no pass over the
    whole map is made after the forward. The gradient with respect to the logits is
    computed in the forward, when the logits require one, and scaled in the backward.
    Computed in float32 (under autocast as well); no host-device synchronisation.

    Args:
        logits (Tensor): (B, K, h, w).
        target (Tensor): (B, 2h, 2w) long class indices, ``ignore_index`` ignored.
        class_weight (Sequence[float], optional): (K, ) weight of each class.
        ignore_index (int): the label that is ignored. Defaults to 255.
        avg_non_ignore (bool): average over the non-ignored pixels (else over all
            pixels, as mmdet). Defaults to True.
        block_elements (int): the size of a block of the upsampled map, in elements.
            Defaults to :data:`BLOCK_ELEMENTS`.

    Returns:
        Tensor: the scalar loss, float32.
    """
    b, k, h, w = logits.shape
    if target.shape != (b, 2 * h, 2 * w):
        raise ValueError(f'upsampled_cross_entropy: target must be {(b, 2 * h, 2 * w)} '
                         f'for logits of shape {tuple(logits.shape)}, got '
                         f'{tuple(target.shape)}')
    if class_weight is not None:
        class_weight = torch.as_tensor(class_weight, dtype=torch.float32,
                                       device=logits.device)
    return _UpsampledCrossEntropy.apply(logits.float(), target, class_weight,
                                        ignore_index, avg_non_ignore, block_elements)
