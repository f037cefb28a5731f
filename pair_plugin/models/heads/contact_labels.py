"""Contact labels from the contact logits S, one class plane at a time.

``argmax`` over the class axis of an (N, K, H, W) tensor is a strided reduction, and the
contact map at a photo's size through ``F.interpolate(S, size).argmax(1)`` holds all K
resized planes at once (K x 4 bytes a pixel: 1.7 GB for a 24-megapixel photo). The
functions here keep a running maximum over the planes instead: each plane is resized on
its own and compared with the best so far, so at most one resized plane, the running
maximum and the labels are held, and the labels equal those of the one-shot resize and
argmax (the first largest class wins, as ``torch.argmax``; a NaN counts as the largest,
as ``torch.argmax`` counts it).
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def resized_argmax(logits: Tensor, size: Optional[Tuple[int, int]] = None) -> Tensor:
    """``F.interpolate(logits, size, mode='bilinear').argmax(1)``, one plane at a time.

    Bilinear resizing treats every plane on its own, so each plane resized alone equals
    the same plane of the resize of all of them, and the running maximum gives the same
    labels as the argmax of the whole stack.

    Args:
        logits (Tensor): (N, K, h, w) float logits.
        size (tuple[int, int], optional): (H, W) to resize to (bilinear, half-pixel
            centres, as ``align_corners=False``); None keeps (h, w).

    Returns:
        Tensor: (N, H, W) int64 labels in [0, K).
    """
    num_classes = logits.size(1)
    logits = logits.float()
    has_nan = bool(torch.isnan(logits).any())

    def plane(index: int) -> Tensor:
        value = logits[:, index:index + 1]
        if size is not None and tuple(size) != tuple(logits.shape[-2:]):
            return F.interpolate(
                value, size=tuple(size), mode='bilinear', align_corners=False)[:, 0]
        return value[:, 0].clone()

    best = plane(0)
    label_dtype = torch.uint8 if num_classes <= 256 else torch.int64
    labels = torch.zeros(best.shape, dtype=label_dtype, device=best.device)
    better = torch.empty(best.shape, dtype=torch.bool, device=best.device)
    class_ids = torch.arange(num_classes, dtype=label_dtype, device=best.device)
    for index in range(1, num_classes):
        value = plane(index)
        torch.gt(value, best, out=better)
        if has_nan:  # argmax takes the first NaN: a NaN beats any number, not a NaN
            better |= value.isnan() & ~best.isnan()
            best = torch.where(better, value, best)
        else:
            torch.maximum(best, value, out=best)
        torch.where(better, class_ids[index], labels, out=labels)
        del value
    return labels.long()


def foreground_mask(logits: Tensor) -> Tensor:
    """Pixels whose argmax over the classes is not class 0 (no contact).

    The largest non-background logit beats the background logit, found with an in-place
    running maximum over the planes instead of an argmax (the same pixels: ``argmax``
    returns 0 on a tie with class 0, and a strict ``>`` does not count a tie).

    Args:
        logits (Tensor): (N, K, H, W) logits, K >= 2; NaN logits count as no contact.

    Returns:
        Tensor: (N, H, W) bool.
    """
    if logits.size(1) < 2:
        raise ValueError(f'foreground_mask: needs 2 or more classes, not {logits.size(1)}')
    best = logits[:, 1].clone()
    for index in range(2, logits.size(1)):
        torch.maximum(best, logits[:, index], out=best)
    return best > logits[:, 0]
