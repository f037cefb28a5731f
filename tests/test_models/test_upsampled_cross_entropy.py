"""The block-wise cross-entropy of 2×-upsampled logits equals the whole-map computation."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.losses import CrossEntropyLoss
from mmengine.registry import init_default_scope

from pair_plugin.models.losses import upsampled_cross_entropy
from pair_plugin.registry import MODELS


def _case(seed=0, b=2, k=5, h=7, w=9):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, k, h, w, generator=g)
    target = torch.randint(0, k, (b, 2 * h, 2 * w), generator=g)
    target[0, :3] = 255  # ignored rows at the top edge of the first image
    target[1, :, -5:] = 255  # and columns at the right edge of the second
    return logits, target


def _reference(logits, target, class_weight, avg_non_ignore):
    """What PGCS computed before: mmdet's loss of the whole upsampled map."""
    loss = CrossEntropyLoss(class_weight=class_weight, avg_non_ignore=avg_non_ignore,
                            ignore_index=255)
    full = F.interpolate(logits, size=target.shape[-2:], mode='bilinear',
                         align_corners=False)
    return loss(full, target, ignore_index=255)


@pytest.mark.parametrize('block_elements', [1, 2 * 5 * 4 * 9 * 2, 2 * 5 * 4 * 9 * 3, 2**21])
@pytest.mark.parametrize('class_weight,avg_non_ignore', [
    (None, True), ([0.1, 1.0, 2.0, 0.5, 1.0], True), ([0.3, 1.0, 1.0, 4.0, 1.0], False)])
def test_equals_the_whole_map(block_elements, class_weight, avg_non_ignore):
    # 1, 2, 3 or all 7 logit rows per block: every block edge, halo and map edge
    logits, target = _case()
    x = logits.clone().requires_grad_()
    expected = _reference(x, target, class_weight, avg_non_ignore)
    expected_grad, = torch.autograd.grad(expected, x)
    y = logits.clone().requires_grad_()
    loss = upsampled_cross_entropy(y, target, class_weight, 255, avg_non_ignore,
                                   block_elements=block_elements)
    grad, = torch.autograd.grad(loss, y)
    assert loss.dtype == torch.float32 and loss.shape == ()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-5, atol=1e-8)


def test_backward_scales_with_the_outer_gradient():
    logits, target = _case(seed=1)
    x = logits.clone().requires_grad_()
    (3.0 * _reference(x, target, None, True)).backward()
    y = logits.clone().requires_grad_()
    (3.0 * upsampled_cross_entropy(y, target)).backward()
    torch.testing.assert_close(y.grad, x.grad, rtol=1e-5, atol=1e-8)


def test_hand_computed_single_pixel():
    # one logit pixel upsamples to a 2x2 block of the same logits; one labelled pixel
    logits = torch.tensor([[[[2.0]], [[0.0]], [[-1.0]]]], requires_grad=True)
    target = torch.tensor([[[1, 255], [255, 255]]])
    loss = upsampled_cross_entropy(logits, target)
    log_z = torch.log(torch.exp(torch.tensor([2.0, 0.0, -1.0])).sum())
    assert loss.item() == pytest.approx((log_z - 0.0).item(), rel=1e-6)
    loss.backward()
    prob = torch.softmax(torch.tensor([2.0, 0.0, -1.0]), 0)
    torch.testing.assert_close(logits.grad.flatten(), prob - torch.tensor([0.0, 1.0, 0.0]))


def test_all_ignored_gives_zero_loss_and_gradient():
    logits, target = _case(seed=2)
    target.fill_(255)
    x = logits.clone().requires_grad_()
    loss = upsampled_cross_entropy(x, target)
    loss.backward()
    assert loss.item() == 0 and torch.count_nonzero(x.grad) == 0


def test_without_gradient_and_under_autocast():
    logits, target = _case(seed=3)
    with torch.no_grad():
        assert upsampled_cross_entropy(logits, target).item() == pytest.approx(
            _reference(logits, target, None, True).item(), rel=1e-6)
    # bf16 logits: the loss is taken in float32, the gradient comes back in bf16
    x = logits.to(torch.bfloat16).requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = upsampled_cross_entropy(x, target)
    loss.backward()
    assert loss.dtype == torch.float32 and x.grad.dtype == torch.bfloat16
    expected = _reference(x.detach().float(), target, None, True)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_target_of_the_wrong_size_is_an_error():
    logits, target = _case()
    with pytest.raises(ValueError, match=r'target must be \(2, 14, 18\) for logits of '
                       r'shape \(2, 5, 7, 9\), got \(2, 14, 17\)'):
        upsampled_cross_entropy(logits, target[..., :17])


def _pgcs(**loss):
    init_default_scope('pair_plugin')
    return MODELS.build(dict(
        type='PGCS', in_channels=16, channels=(8, 4), roi_enhancer=None,
        body_attention=None, loss=dict(type='CrossEntropyLoss', ignore_index=255, **loss)))


@pytest.mark.parametrize('loss', [
    dict(avg_non_ignore=True), dict(avg_non_ignore=True, loss_weight=2.5,
                                    class_weight=[0.1] + [1.0] * 17)])
def test_pgcs_loss_on_s_has_the_whole_maps_value_and_gradients(loss):
    pgcs = _pgcs(**loss)
    pgcs.init_weights()
    assert pgcs._softmax_ce
    torch.manual_seed(0)
    feat = torch.randn(2, 16, 3, 4)  # logits at 24x32 (two stages), a 48x64 map
    gt = torch.randint(0, 18, (2, 48, 64))
    gt[1, 40:] = 255
    results = []
    for blockwise in (True, False):
        pgcs.zero_grad()
        logits = pgcs(feat)
        if blockwise:
            value = pgcs.loss(logits, gt)
        else:  # the paper's S, whole, and the configured mmdet loss
            value = pgcs.loss_seg(pgcs.upsample(logits, (48, 64)), gt, ignore_index=255)
        value.backward()
        results.append((value.detach(), [p.grad.clone() for p in pgcs.parameters()
                                         if p.grad is not None]))
    (ours, ours_grads), (plain, plain_grads) = results
    assert ours.item() == pytest.approx(plain.item(), rel=1e-6)
    assert len(ours_grads) == len(plain_grads) > 0
    for a, b in zip(ours_grads, plain_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize('resolution', ['input', 'logits'])
def test_pgcs_loss_reads_nothing_back_to_the_host(resolution, monkeypatch):
    pgcs = _pgcs(avg_non_ignore=True)
    pgcs.loss_resolution = resolution
    logits = torch.randn(1, 18, 5, 6, requires_grad=True)
    gt = torch.randint(0, 18, (1, 10, 12))
    expected = pgcs.loss(logits, gt).item()

    def no_item(self):
        raise AssertionError('.item() in the loss: a host-device synchronisation')

    monkeypatch.setattr(torch.Tensor, 'item', no_item)
    value = pgcs.loss(logits, gt)
    value.backward()
    monkeypatch.undo()
    assert value.item() == pytest.approx(expected)


def test_pgcs_keeps_other_losses_and_sizes_on_the_whole_map():
    assert not _pgcs(use_sigmoid=True)._softmax_ce
    assert not _pgcs(reduction='sum')._softmax_ce
    pgcs = _pgcs(avg_non_ignore=True)
    logits = torch.randn(1, 18, 5, 6)
    gt = torch.randint(0, 18, (1, 11, 12))  # not twice the logits' height
    gt[0, 0] = 255
    full = F.interpolate(logits, size=(11, 12), mode='bilinear', align_corners=False)
    expected = F.cross_entropy(full, gt, ignore_index=255)
    assert pgcs.loss(logits, gt).item() == pytest.approx(expected.item(), rel=1e-6)
