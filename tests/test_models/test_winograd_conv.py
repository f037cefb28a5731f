"""WinogradConv2d: nn.Conv2d's numbers with F(4×4, 3×3) where it applies, nn.Conv2d elsewhere."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

import pair_plugin.models  # noqa: F401
from pair_plugin.models.layers import WinogradConv2d, winograd_conv3x3, winograd_weight
from pair_plugin.registry import MODELS

init_default_scope('pair_plugin')


def _relative_error(got, want):
    return ((got - want).abs().max() / want.abs().max()).item()


@pytest.mark.parametrize('n, c, k, h, w', [
    (1, 3, 5, 1, 1),    # a single pixel: one tile, mostly padding
    (2, 7, 4, 4, 4),    # exactly one tile
    (1, 6, 3, 5, 9),    # partial tiles on both sides
    (3, 16, 8, 13, 8),  # batch, several tiles, odd height
])
def test_winograd_conv3x3_equals_conv2d(n, c, k, h, w):
    torch.manual_seed(0)
    x = torch.randn(n, c, h, w)
    weight = torch.randn(k, c, 3, 3)
    bias = torch.randn(k)
    want = F.conv2d(x, weight, bias, padding=1)
    got = winograd_conv3x3(x, winograd_weight(weight), bias)
    assert got.shape == want.shape == (n, k, h, w)
    assert _relative_error(got, want) < 2e-5
    no_bias = winograd_conv3x3(x, winograd_weight(weight))
    assert no_bias.is_contiguous()
    assert _relative_error(no_bias, F.conv2d(x, weight, padding=1)) < 2e-5


def test_winograd_weight_hand_made():
    """A centre-only 3×3 filter is the identity: U[(i, j), c, o] = g_i1 · g_j1 · w."""
    weight = torch.zeros(1, 1, 3, 3)
    weight[0, 0, 1, 1] = 2.0
    u = winograd_weight(weight).view(6, 6)
    g_middle = torch.tensor([0, -1 / 6, 1 / 6, 1 / 12, -1 / 12, 0])
    assert torch.allclose(u, 2.0 * torch.outer(g_middle, g_middle), atol=1e-7)
    x = torch.randn(1, 1, 7, 6)
    assert torch.allclose(winograd_conv3x3(x, winograd_weight(weight)), 2 * x, atol=1e-5)


def test_winograd_conv2d_is_a_conv2d():
    conv = MODELS.build(dict(type='WinogradConv2d', in_channels=8, out_channels=4,
                             kernel_size=3, padding=1, min_channels=4))
    assert isinstance(conv, torch.nn.Conv2d)
    assert set(conv.state_dict()) == {'weight', 'bias'}
    plain = torch.nn.Conv2d(8, 4, 3, padding=1)
    conv.load_state_dict(plain.state_dict())  # checkpoints load both ways
    assert 'min_channels=4' in repr(conv)


def test_winograd_conv2d_path_conditions():
    conv = WinogradConv2d(8, 8, 3, padding=1, min_channels=8)
    x = torch.randn(1, 8, 6, 6)
    conv.train()
    assert not conv.uses_winograd(x)  # training records gradients of the weight
    with torch.no_grad():
        assert conv.uses_winograd(x)
        assert not conv.uses_winograd(x.double())
        with torch.autocast('cpu', dtype=torch.bfloat16):
            assert not conv.uses_winograd(x)
    conv.eval()
    assert not conv.uses_winograd(x)  # grad enabled, weight requires grad
    with torch.inference_mode():
        assert conv.uses_winograd(x)
    # layers where it does not apply, or does not pay
    for other in (WinogradConv2d(8, 8, 3, padding=1, stride=2, min_channels=8),
                  WinogradConv2d(8, 8, 3, padding=2, dilation=2, min_channels=8),
                  WinogradConv2d(8, 8, 3, padding=1, groups=2, min_channels=8),
                  WinogradConv2d(8, 8, 1, min_channels=8),
                  WinogradConv2d(8, 8, 3, padding=1, padding_mode='reflect', min_channels=8),
                  WinogradConv2d(8, 4, 3, padding=1, min_channels=8)):
        with torch.no_grad():
            assert not other.uses_winograd(x[:, :other.in_channels])
    traced = []

    class Probe(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = conv

        def forward(self, y):
            traced.append(self.conv.uses_winograd(y))
            return self.conv(y)

    with torch.no_grad():  # FLOP counters trace: they must see the plain conv
        torch.jit.trace(Probe(), x, check_trace=False)
    assert traced == [False]


def test_winograd_conv2d_follows_weight_changes():
    """Inference equals nn.Conv2d, and the cached transform follows every weight update."""
    torch.manual_seed(0)
    conv = WinogradConv2d(16, 12, 3, padding=1, min_channels=8)
    optimizer = torch.optim.SGD(conv.parameters(), lr=0.5)
    x = torch.randn(2, 16, 9, 11)
    for _ in range(2):
        with torch.inference_mode():
            got = conv(x)
            assert conv.uses_winograd(x)
        want = F.conv2d(x, conv.weight, conv.bias, padding=1).detach()
        assert _relative_error(got, want) < 2e-5
        # a training step changes the weight in place
        conv(x).square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()
    conv.load_state_dict(torch.nn.Conv2d(16, 12, 3, padding=1).state_dict())
    with torch.no_grad():  # a transform made in inference mode is usable outside it
        got = conv(x)
    assert _relative_error(got, F.conv2d(x, conv.weight, conv.bias, padding=1)) < 2e-5


def test_pgcs_with_winograd_decoder_equals_plain():
    """The paper's configs give PGCS WinogradConv2d: same state dict, same logits."""
    torch.manual_seed(0)
    cfg = dict(type='PGCS', in_channels=32, channels=(16, 8), roi_enhancer=None,
               body_attention=dict(type='BodyAttention', hidden_channels=4))
    plain = MODELS.build(cfg)
    plain.init_weights()
    fast = MODELS.build(dict(cfg, conv_cfg=dict(type='WinogradConv2d', min_channels=16)))
    assert isinstance(fast.decoder[0][0].conv, WinogradConv2d)
    fast.load_state_dict(plain.state_dict())
    plain.eval()
    fast.eval()
    feat, parts = torch.randn(2, 32, 5, 7), torch.rand(2, 17)
    with torch.inference_mode():
        assert fast.decoder[0][0].conv.uses_winograd(feat)
        assert not fast.decoder[1][0].conv.uses_winograd(torch.randn(2, 16, 10, 14))
        want = plain(feat, part_probs=parts)
        got = fast(feat, part_probs=parts)
    assert got.shape == want.shape == (2, 18, 20, 28)
    assert torch.allclose(got, want, atol=1e-5, rtol=1e-4)
