"""fuse_attention: every attention of the IIM without the dropped attention weights."""
import copy

import torch
from mmengine.registry import init_default_scope
from pairnet_cases import small_iim
from torch import nn

import pair_plugin.models  # noqa: F401
from pair_plugin.models.layers import WeightlessMultiheadAttention

init_default_scope('pair_plugin')

#: one encoder layer (self-attention) + 3 stages x 2 decoder layers x (self + cross)
NUM_ATTENTIONS = 1 + 3 * 2 * 2


def _torch_attentions(module):
    return [m for m in module.modules() if isinstance(m, nn.MultiheadAttention)]


def _unfused_copy(iim):
    plain = copy.deepcopy(iim)
    for m in _torch_attentions(plain):
        m.__class__ = nn.MultiheadAttention
    return plain


def test_iim_fuses_every_attention_and_keeps_its_state():
    fused = small_iim()
    assert [type(m) for m in _torch_attentions(fused)] == \
        [WeightlessMultiheadAttention] * NUM_ATTENTIONS
    # an EMA model is a deep copy: it keeps the class
    assert type(_torch_attentions(copy.deepcopy(fused))[0]) is WeightlessMultiheadAttention
    # the state dict is that of mmcv's attention: checkpoints load either way
    assert list(fused.state_dict()) == list(_unfused_copy(fused).state_dict())


def test_fused_iim_gives_the_outputs_and_gradients_of_mmcvs_attention():
    torch.manual_seed(1)
    feat = torch.randn(2, 16, 2, 3)
    mask = torch.zeros(2, 2, 3, dtype=torch.bool)
    mask[1, 1] = True  # the second image is padded: keys are masked
    fused = small_iim()
    plain = _unfused_copy(fused)
    fused.train(), plain.train()
    grads = []
    for model in (fused, plain):
        outs = model(feat, mask)
        (outs[1].sum() + outs[2].square().mean()).backward()
        grads.append((outs, {n: p.grad for n, p in model.named_parameters() if p.grad is not None}))
    (out_fused, grad_fused), (out_plain, grad_plain) = grads
    for a, b in zip(out_fused, out_plain):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert grad_fused.keys() == grad_plain.keys() and len(grad_fused) > 0
    # float rounding, against the scale of the largest gradient (some are sums that
    # cancel to ~0, e.g. the first self-attention's biases, whose queries are all 0)
    scale = max(grad.abs().max() for grad in grad_plain.values())
    for name, grad in grad_plain.items():
        torch.testing.assert_close(grad_fused[name], grad, rtol=1e-4, atol=1e-5 * scale)
