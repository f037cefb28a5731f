"""A 3×3 convolution computed with Winograd's minimal filtering F(4×4, 3×3) for inference."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pair_plugin.registry import MODELS

# Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016), F(4, 3):
# an output tile of 4 from an input tile of 6, Y = A^T [(G g G^T) ⊙ (B^T d B)] A
TILE = 4
_BT = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
       (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1))
_G = ((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
      (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1))
_AT = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))


def winograd_weight(weight: Tensor) -> Tensor:
    """The transformed filters U = G g G^T.

    Args:
        weight (Tensor): (C_out, C_in, 3, 3).

    Returns:
        Tensor: (36, C_in, C_out), 4× the weight's size: the transpose of a contiguous
        (36, C_out, C_in) tensor, made with one matrix product (G ⊗ G) · vec(g) (the
        batched product that uses it reads the transpose at no cost).
    """
    g = torch.tensor(_G, dtype=weight.dtype, device=weight.device)
    c_out, c_in = weight.shape[:2]
    u = torch.mm(torch.kron(g, g), weight.reshape(c_out * c_in, 9).T)
    return u.view(36, c_out, c_in).transpose(1, 2)


def winograd_conv3x3(x: Tensor, transformed_weight: Tensor,
                     bias: Optional[Tensor] = None) -> Tensor:
    """A 3×3 convolution, stride 1, zero padding 1, with F(4×4, 3×3).

    The image is cut into 6×6 tiles overlapping by 2; each tile and each filter is
    transformed, the products summed over input channels are 36 matrix products
    ((tiles, C_in) × (C_in, C_out)), and the inverse transform gives a 4×4 output tile.
    2.25× fewer multiplications than the direct convolution (4 instead of 9 per output
    and channel pair) for extra memory traffic, so it pays where channels are many.

    Args:
        x (Tensor): (N, C_in, H, W).
        transformed_weight (Tensor): (36, C_in, C_out) from :func:`winograd_weight`.
        bias (Tensor, optional): (C_out, ).

    Returns:
        Tensor: (N, C_out, H, W), equal to ``F.conv2d(x, weight, bias, padding=1)`` up to
        float rounding (relative error ~1e-5 in float32).
    """
    n, c, h, w = x.shape
    k = transformed_weight.shape[2]
    tiles_h, tiles_w = -(-h // TILE), -(-w // TILE)
    bt = torch.tensor(_BT, dtype=x.dtype, device=x.device)
    at = torch.tensor(_AT, dtype=x.dtype, device=x.device)
    # zero padding 1 on the top and left, and on the bottom and right as much as the last
    # tile needs (at least 1)
    padded = F.pad(x, (1, TILE * tiles_w + 1 - w, 1, TILE * tiles_h + 1 - h))
    # B^T d B of every 6×6 tile (stride 4) of every channel: a convolution of each channel
    # alone with the 36 basis kernels (B^T ⊗ B^T), which also cuts out the tiles
    basis = torch.kron(bt, bt).view(36, 1, TILE + 2, TILE + 2)
    v = F.conv2d(padded.reshape(n * c, 1, *padded.shape[2:]), basis, stride=TILE)
    v = v.view(n, c, 36, tiles_h * tiles_w).permute(2, 0, 3, 1).reshape(36, -1, c)
    m = torch.bmm(v, transformed_weight)  # (36, tiles, C_out)
    y = torch.mm(torch.kron(at, at), m.view(36, -1))  # A^T M A: (4·4, tiles·C_out)
    y = y.view(TILE, TILE, n, tiles_h, tiles_w, k).permute(2, 5, 3, 0, 4, 1)
    y = y.reshape(n, k, TILE * tiles_h, TILE * tiles_w)[:, :, :h, :w]
    return y + bias.view(1, k, 1, 1) if bias is not None else y.contiguous()


@MODELS.register_module()
class WinogradConv2d(nn.Conv2d):
    """``nn.Conv2d`` that runs inference on the CPU with Winograd's F(4×4, 3×3).

    Same parameters, state-dict keys and initialisation as ``nn.Conv2d`` (a checkpoint
    trained with either loads into the other). The Winograd path is taken only where it
    changes nothing but the speed: the layer is a 3×3 convolution with stride 1, dilation
    1, one group and zero padding 1, at least ``min_channels`` input and output channels;
    the input is float32 on the CPU; no gradient is recorded (``torch.no_grad``,
    ``torch.inference_mode``); no autocast, no TorchScript tracing (so FLOP counters see
    the nominal convolution). Everything else, training and CUDA included (cuDNN picks its
    own algorithms there), is ``nn.Conv2d.forward``.

    The transformed filters (36/9 = 4× the weight's memory) are computed on first use and
    kept until the weight changes (an optimiser step, ``load_state_dict``).

    Args:
        *args, **kwargs: those of ``nn.Conv2d``.
        min_channels (int): the smallest ``min(in_channels, out_channels)`` for which the
            Winograd path is used; below it the extra memory traffic outweighs the saved
            multiplications (measured on a 2-core AVX-512 CPU at PGCS's sizes for a
            640×640 input: 2048→512 channels 2.2× faster, 512→256 1.5×, 256→128 1.3×,
            128→64 2× slower; docs/benchmarks.md). Defaults to 128.
    """

    def __init__(self, *args, min_channels: int = 128, **kwargs):
        super().__init__(*args, **kwargs)
        self.min_channels = min_channels
        self.winograd_shape = (
            self.kernel_size == (3, 3) and self.stride == (1, 1) and self.dilation == (1, 1)
            and self.groups == 1 and self.padding == (1, 1) and self.padding_mode == 'zeros'
            and min(self.in_channels, self.out_channels) >= min_channels)
        self._transformed: Optional[Tuple[tuple, Tensor]] = None

    def uses_winograd(self, x: Tensor) -> bool:
        """Whether :meth:`forward` computes ``x`` with the Winograd path."""
        records_grad = torch.is_grad_enabled() and (x.requires_grad
                                                    or self.weight.requires_grad)
        return (self.winograd_shape and x.device.type == 'cpu' and x.dtype == torch.float32
                and self.weight.dtype == torch.float32 and not records_grad
                and not torch.is_autocast_enabled('cpu') and not torch.jit.is_tracing()
                and not torch.jit.is_scripting())

    def transformed_weight(self) -> Tensor:
        """U = G g G^T of the current weight, (36, C_in, C_out), cached."""
        key = (self.weight.data_ptr(), self.weight._version, self.weight.device)
        if self._transformed is None or self._transformed[0] != key:
            # an ordinary tensor even when first called in inference mode, so that it can
            # be used again outside of it
            with torch.inference_mode(False), torch.no_grad():
                self._transformed = (key, winograd_weight(self.weight.detach()))
        return self._transformed[1]

    def forward(self, x: Tensor) -> Tensor:
        if not self.uses_winograd(x):
            return super().forward(x)
        return winograd_conv3x3(x, self.transformed_weight(), self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f', min_channels={self.min_channels}'
