"""fuse_attention: the IIM's attention through torch's fused kernel, same numbers."""
import copy
from unittest import mock

import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from torch import nn

from pairnet_cases import small_iim

import pair_plugin.models  # noqa: F401
from pair_plugin.models.layers import WeightlessMultiheadAttention, fuse_attention

init_default_scope('pair_plugin')

#: one encoder layer (self-attention) + 3 stages x 2 decoder layers x (self + cross)
NUM_ATTENTIONS = 1 + 3 * 2 * 2
METAS = [dict(img_shape=(64, 96), batch_input_shape=(64, 96)),
         dict(img_shape=(30, 50), batch_input_shape=(64, 96))]


def _iim(fused):
    torch.manual_seed(0)  # the same draw with and without: the swap draws nothing
    return small_iim(fused_attention=fused)


def _torch_attentions(module):
    return [m for m in module.modules() if isinstance(m, nn.MultiheadAttention)]


def test_iim_fuses_every_attention_and_keeps_its_parameters():
    fused, plain = _iim(True), _iim(False)
    assert [type(m) for m in _torch_attentions(fused)] == \
        [WeightlessMultiheadAttention] * NUM_ATTENTIONS
    assert [type(m) for m in _torch_attentions(plain)] == \
        [nn.MultiheadAttention] * NUM_ATTENTIONS
    # the swap draws no random numbers: the same seed gives the same weights, and the
    # state dicts (checkpoints) are interchangeable
    fused_state, plain_state = fused.state_dict(), plain.state_dict()
    assert list(fused_state) == list(plain_state)
    for key, value in fused_state.items():
        assert torch.equal(value, plain_state[key]), key
    assert fuse_attention(fused) == 0  # already done
    assert fuse_attention(plain) == NUM_ATTENTIONS
    # an EMA model is a deep copy: it must keep the class
    assert type(_torch_attentions(copy.deepcopy(fused))[0]) is WeightlessMultiheadAttention


def test_fused_iim_gives_the_same_outputs_and_gradients():
    torch.manual_seed(1)
    feat = torch.randn(2, 16, 2, 3)  # the second image is padded: keys are masked
    fused, plain = _iim(True), _iim(False)
    with torch.no_grad():
        fused.eval(), plain.eval()
        out_fused, out_plain = fused(feat, METAS), plain(feat, METAS)
    for key in out_plain:
        torch.testing.assert_close(out_fused[key], out_plain[key], rtol=1e-5, atol=1e-5)
    fused.train(), plain.train()
    grads = []
    for model in (fused, plain):
        outs = model(feat, METAS)
        (outs['object_boxes'].sum() + outs['action_feats'].square().mean()).backward()
        grads.append({n: p.grad for n, p in model.named_parameters() if p.grad is not None})
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 0
    for name, grad in grads[1].items():
        torch.testing.assert_close(grads[0][name], grad, rtol=1e-4, atol=1e-6)


def test_fused_attention_goes_through_sdpa_and_returns_no_weights():
    feat = torch.randn(2, 16, 2, 3)
    for fused, want_calls in ((True, NUM_ATTENTIONS), (False, 0)):
        iim = _iim(fused).eval()
        with mock.patch('torch.nn.functional.scaled_dot_product_attention',
                        wraps=F.scaled_dot_product_attention) as sdpa, torch.no_grad():
            iim(feat, METAS)
        assert sdpa.call_count == want_calls
    attn = WeightlessMultiheadAttention(8, 2)
    x = torch.randn(3, 1, 8)
    out, weights = attn(x, x, x)
    assert out.shape == (3, 1, 8) and weights is None
    _, weights = attn(x, x, x, need_weights=True)  # still available on request
    assert weights.shape == (1, 3, 3)
