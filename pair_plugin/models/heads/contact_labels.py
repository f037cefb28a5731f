"""Contact labels from the contact logits S without the K resized planes at once.

The contact map at a photo's size is ``F.interpolate(S, size).argmax(1)``: all K resized
planes at once hold K x 4 bytes a pixel (1.7 GB for a 24-megapixel photo) and every one of
them is interpolated. :func:`resized_argmax` gives the same labels from the argmax at S's
own resolution instead: bilinear interpolation is a convex combination of four source
pixels, so where one class is the first largest at all four by more than float rounding,
it is the first largest of the interpolated scores too, and only the output pixels whose
four source pixels disagree (the borders between labels) are interpolated, in bounded
pieces. The labels equal the one-shot resize and argmax up to float rounding (a pixel
whose two best interpolated scores lie within rounding of each other may go either way;
the first largest class wins, as ``torch.argmax``). A map no larger than S, logits with a
NaN or an infinity, and logits as noisy as random numbers (borders everywhere) go one class
plane at a time through a running maximum instead, which gives ``torch.argmax``'s labels
exactly (a NaN counts as the largest).
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

#: output pixels handled at a time: bounds the memory of a band of corner labels
BAND_PIXELS = 1 << 20
#: border pixels interpolated at a time: bounds the memory of their four corners' scores
BORDER_PIXELS = 1 << 16
#: a class's lead over every earlier class, relative to the largest |logit|, above which
#: float rounding of the interpolation cannot make them tie (about 16 float32 steps)
SAFE_LEAD = 2.0**-20
#: label of a source pixel whose lead is within rounding (never a settled corner)
UNSETTLED = 255
#: above this share of source 2x2 neighbourhoods that hold more than one label (logits
#: as noisy as random numbers), one class plane at a time is faster than the borders
MAX_BORDER_SHARE = 0.25


def label_dtype(num_classes: int) -> torch.dtype:
    """The dtype of the labels of ``num_classes`` classes: uint8 while they fit a byte."""
    return torch.uint8 if num_classes <= 256 else torch.int64


def resized_argmax(logits: Tensor, size: Optional[Tuple[int, int]] = None) -> Tensor:
    """``F.interpolate(logits, size, mode='bilinear').argmax(1)`` without the K resized
    planes (see the module docstring).

    Args:
        logits (Tensor): (N, K, h, w) float logits.
        size (tuple[int, int], optional): (H, W) to resize to (bilinear, half-pixel
            centres, as ``align_corners=False``); None keeps (h, w).

    Returns:
        Tensor: (N, H, W) labels in [0, K): uint8 for K <= 256 classes (a byte a pixel:
        24 MB, not 194, for a 24-megapixel photo), else int64.
    """
    # the planes one after another, each in one piece: a channels_last S (as a channels_last
    # model's convolutions leave it) would be read with a stride of K for every plane
    logits = logits.float().contiguous()
    if size is not None and tuple(size) == tuple(logits.shape[-2:]):
        size = None
    largest = float(logits.abs().amax())  # NaN or inf if any logit is
    if not math.isfinite(largest):
        return _argmax_by_planes(logits, size)
    if size is None:
        return _running_argmax(logits)[0]
    height, width = size
    num_images, num_classes, in_h, in_w = logits.shape
    if height * width <= in_h * in_w or num_classes >= UNSETTLED:
        # no larger than S: its resized planes, one at a time, are no larger either
        return _argmax_by_planes(logits, tuple(size))
    labels, lead = _running_argmax(logits, with_lead=True)
    labels[lead <= SAFE_LEAD * largest] = UNSETTLED
    code, border_share = _settled_neighbourhoods(labels)
    if border_share > MAX_BORDER_SHARE:
        return _argmax_by_planes(logits, tuple(size))
    rows0, rows1, row_weights = _source_positions(in_h, height, logits.device)
    cols0, cols1, col_weights = _source_positions(in_w, width, logits.device)
    # each class plane of all images as one row, for the border pixels' gathers
    planes = logits.transpose(0, 1).reshape(num_classes, -1)
    out = torch.empty((num_images, height, width), dtype=torch.uint8, device=logits.device)
    band_rows = max(1, BAND_PIXELS // width)
    for start in range(0, height, band_rows):
        band = code[:, rows0[start:start + band_rows]].index_select(2, cols0)
        border = (band == UNSETTLED).nonzero(as_tuple=True)
        for first in range(0, border[0].numel(), BORDER_PIXELS):
            n, i, j = (index[first:first + BORDER_PIXELS] for index in border)
            row = i + start
            band[n, i, j] = _interpolated_argmax(planes, (n * in_h + rows0[row]) * in_w,
                                                 (n * in_h + rows1[row]) * in_w, row_weights[row],
                                                 cols0[j], cols1[j], col_weights[j])
        out[:, start:start + band_rows] = band
    return out


def _running_argmax(logits: Tensor, with_lead: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    """The argmax over the classes of finite (N, K, h, w) logits, one plane at a time
    (uint8 labels while K fits), and with ``with_lead`` each pixel's lead of its class
    over the largest earlier class (+inf for class 0)."""
    num_classes = logits.size(1)
    best = logits[:, 0].clone()
    labels = torch.zeros(best.shape, dtype=label_dtype(num_classes), device=best.device)
    lead = torch.full_like(best, float('inf')) if with_lead else None
    better = torch.empty(best.shape, dtype=torch.bool, device=best.device)
    for index in range(1, num_classes):
        value = logits[:, index]
        torch.gt(value, best, out=better)
        if with_lead:
            torch.where(better, value - best, lead, out=lead)
        torch.maximum(best, value, out=best)
        labels.masked_fill_(better, index)
    return labels, lead


def _settled_neighbourhoods(labels: Tensor) -> Tuple[Tensor, float]:
    """For each source pixel (y, x) of (N, h, w) labels, the label of its bilinear
    neighbourhood {y, y + 1} x {x, x + 1} (clamped at the last row and column) when all
    four hold one settled label, else UNSETTLED; and the share of UNSETTLED ones."""
    down = torch.cat([labels[:, 1:], labels[:, -1:]], dim=1)
    right = torch.cat([labels[:, :, 1:], labels[:, :, -1:]], dim=2)
    diagonal = torch.cat([down[:, :, 1:], down[:, :, -1:]], dim=2)
    mixed = (labels != down) | (labels != right) | (labels != diagonal) | (labels == UNSETTLED)
    return labels.masked_fill(mixed, UNSETTLED), float(mixed.float().mean())


def _source_positions(in_size: int, out_size: int,
                      device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
    """Bilinear sampling with half-pixel centres, as ``F.interpolate``: each output
    row (or column) reads source rows ``index0`` and ``index1`` with weight ``1 - w`` and
    ``w``."""
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    source = (torch.arange(out_size, dtype=torch.float32) + 0.5) * scale - 0.5
    source = source.clamp(min=0)
    index0 = source.floor().long().clamp(max=in_size - 1)
    weight = (source - index0).clamp(0, 1)
    index1 = (index0 + 1).clamp(max=in_size - 1)
    return index0.to(device), index1.to(device), weight.to(device)


def _interpolated_argmax(planes: Tensor, top: Tensor, bottom: Tensor, wy: Tensor, left: Tensor,
                         right: Tensor, wx: Tensor) -> Tensor:
    """The argmax of the bilinearly interpolated scores of M output pixels.

    Args:
        planes (Tensor): (K, N * h * w) every class's scores of every source pixel,
            row-major.
        top, bottom (Tensor): (M, ) offsets in a plane of each output pixel's upper and
            lower source rows; ``wy`` (M, ) the weight of the lower one.
        left, right (Tensor): (M, ) its source columns; ``wx`` (M, ) the right one's weight.

    Returns:
        Tensor: (M, ) uint8 labels.
    """
    upper = torch.lerp(planes.index_select(1, top + left), planes.index_select(1, top + right), wx)
    lower = torch.lerp(
        planes.index_select(1, bottom + left), planes.index_select(1, bottom + right), wx)
    return torch.lerp(upper, lower, wy).argmax(0).to(torch.uint8)


def _argmax_by_planes(logits: Tensor, size: Optional[Tuple[int, int]]) -> Tensor:
    """The resize (to ``size``, unless None) and argmax one class plane at a time with a
    running maximum: the labels of ``torch.argmax`` exactly, NaN the largest (uint8 while
    K fits)."""
    num_classes = logits.size(1)

    def plane(index: int) -> Tensor:
        value = logits[:, index:index + 1]
        if size is None:
            return value[:, 0].clone()
        return F.interpolate(value, size=size, mode='bilinear', align_corners=False)[:, 0]

    best = plane(0)
    labels = torch.zeros(best.shape, dtype=label_dtype(num_classes), device=best.device)
    better = torch.empty(best.shape, dtype=torch.bool, device=best.device)
    for index in range(1, num_classes):
        value = plane(index)
        torch.gt(value, best, out=better)
        # argmax takes the first NaN: a NaN beats any number, not a NaN
        better |= value.isnan() & ~best.isnan()
        best = torch.where(better, value, best)
        labels.masked_fill_(better, index)
        del value
    return labels


def foreground_mask(logits: Tensor) -> Tensor:
    """Pixels whose argmax over the classes is not class 0 (no contact).

    The largest non-background logit beats the background logit: one maximum over the
    classes (a reduction that also suits a channels_last S) instead of an argmax (the same
    pixels: ``argmax`` returns 0 on a tie with class 0, and a strict ``>`` does not count a
    tie).

    Args:
        logits (Tensor): (N, K, H, W) logits, K >= 2; NaN logits count as no contact.

    Returns:
        Tensor: (N, H, W) bool.
    """
    if logits.size(1) < 2:
        raise ValueError(f'foreground_mask: needs 2 or more classes, not {logits.size(1)}')
    return logits[:, 1:].amax(dim=1) > logits[:, 0]
