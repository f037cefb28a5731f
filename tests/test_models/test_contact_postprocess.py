"""The contact map of a photo: the argmax of the resized logits, from the argmax at S's own
resolution and the border pixels interpolated in bounded pieces."""
import torch
import torch.nn.functional as F

from pair_plugin.models.heads import contact_labels
from pair_plugin.models.heads.base_contact_head import BaseContactHead
from pair_plugin.models.heads.contact_labels import foreground_mask, resized_argmax


def one_shot(logits, size=None):
    """The reference: every plane resized at once, then the argmax."""
    if size is not None:
        logits = F.interpolate(logits.float(), size=size, mode='bilinear', align_corners=False)
    return logits.argmax(dim=1)


def tied_logits():
    """(2, 5, 7, 9) logits on a coarse grid of values, so that many pixels tie between
    classes before and after resizing, and some differ by one float step."""
    grid = torch.arange(2 * 5 * 7 * 9).reshape(2, 5, 7, 9)
    logits = ((grid * 7) % 5).float()  # the 5 classes hold 0..4 in some order
    rows, cols = torch.meshgrid(torch.arange(7), torch.arange(9), indexing='ij')
    # on every other pixel the two largest classes tie at 3
    logits = torch.where((rows + cols) % 2 == 0, logits.clamp(max=3), logits) / 4
    logits[0, 3, 2, 4] = torch.nextafter(logits[0, 3, 2, 4], torch.tensor(2.0))
    logits[1, 1, 6, 8] = torch.nextafter(logits[1, 1, 6, 8], torch.tensor(-2.0))
    return logits


def test_hand_computed_upsampling():
    """1x2 logits to 1x4 with half-pixel centres: class 0 is (0, .25, .75, 1) after the
    resize, class 1 stays .5, so classes 1, 1, 0, 0."""
    logits = torch.tensor([[[[0.0, 1.0]], [[0.5, 0.5]]]])
    assert resized_argmax(logits, (1, 4)).tolist() == [[[1, 1, 0, 0]]]
    # an exact tie goes to the first class, as torch.argmax
    tie = torch.tensor([[[[0.5, 1.0]], [[0.5, 0.5]]]])
    assert resized_argmax(tie).tolist() == [[[0, 0]]]


def assert_labels_up_to_rounding(labels, logits, size=None):
    """``labels`` are the one-shot resize and argmax but where its two best scores lie
    within float rounding (1e-5 of the largest |logit|), which may go either way."""
    scores = logits.float()
    if size is not None:
        scores = F.interpolate(scores, size=size, mode='bilinear', align_corners=False)
    expected = scores.argmax(dim=1)
    assert labels.dtype == torch.uint8 and labels.shape == expected.shape
    labels = labels.long()
    differ = labels != expected
    if differ.any():
        chosen = scores.gather(1, labels[:, None])[:, 0][differ]
        best = scores.gather(1, expected[:, None])[:, 0][differ]
        assert float((best - chosen).max()) <= 1e-5 * float(logits.abs().max())
        assert int(differ.sum()) <= max(10, 1e-3 * differ.numel())


def test_labels_are_the_one_shot_resize_and_argmax_up_to_rounding_at_odd_sizes():
    logits = tied_logits()
    for size in [None, (7, 9), (23, 31), (5, 4), (1, 17), (97, 13)]:
        assert_labels_up_to_rounding(resized_argmax(logits, size), logits, size)
    # exact where no two classes tie: no pixel of these differs
    generator = torch.Generator().manual_seed(0)
    noisy = torch.randn(1, 18, 13, 21, generator=generator)
    assert torch.equal(resized_argmax(noisy, (331, 517)), one_shot(noisy, (331, 517)))
    assert torch.equal(resized_argmax(noisy, (5, 8)), one_shot(noisy, (5, 8)))
    # smooth logits as a model gives them, up- and downsampled
    smooth = F.interpolate(
        3 * torch.randn(2, 18, 12, 16, generator=generator), size=(96, 128), mode='bilinear')
    for size in [(307, 410), (61, 77), (96, 129)]:
        assert_labels_up_to_rounding(resized_argmax(smooth, size), smooth, size)


def test_a_settled_corner_gives_its_class_and_a_border_is_interpolated():
    """2x2 logits, class 1 the largest at three pixels, class 2 at the bottom right: to
    4x4 (source rows and columns 0, 0.25, 0.75, 1 with half-pixel centres), the first
    output row and column read class 1 only; elsewhere the bottom-right pixel has weight
    w (1/16 at (1, 1), 3/16 at (1, 2), 1/4 at (1, 3), 9/16 at (2, 2), ...) and class 2's
    4 w beats class 1's 1 - w where w > 1/5."""
    logits = torch.zeros(1, 3, 2, 2)
    logits[0, 1] = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    logits[0, 2] = torch.tensor([[0.0, 0.0], [0.0, 4.0]])
    labels = resized_argmax(logits, (4, 4))
    assert labels.tolist() == one_shot(logits, (4, 4)).tolist() == [[[1, 1, 1, 1], [1, 1, 1, 2],
                                                                     [1, 1, 2, 2], [1, 2, 2, 2]]]


def test_nan_is_the_largest_as_in_argmax():
    logits = tied_logits()
    logits[0, 2, 3, 3] = float('nan')
    logits[0, 4, 3, 3] = float('nan')  # the first NaN (class 2) wins
    logits[1, 0, 0, 0] = float('nan')
    for size in [None, (15, 19)]:
        assert torch.equal(resized_argmax(logits, size), one_shot(logits, size))


def test_no_full_size_planes_and_bounded_pieces(monkeypatch):
    """No plane is resized (F.interpolate is never called); the border pixels are
    interpolated at most BORDER_PIXELS at a time; bands and pieces of any size give the
    same labels. Logits with borders nearly everywhere go one plane at a time."""
    generator = torch.Generator().manual_seed(2)
    logits = F.interpolate(
        3 * torch.randn(1, 18, 6, 8, generator=generator), size=(24, 32), mode='bilinear')
    logits[:, 0] += 6  # mostly no contact, as a model's S
    whole = resized_argmax(logits, (150, 200))
    calls = []
    interpolated = contact_labels._interpolated_argmax

    def spy(pixels, top, *args):
        calls.append(top.numel())
        return interpolated(pixels, top, *args)

    monkeypatch.setattr(contact_labels.F, 'interpolate', None)  # any call fails
    monkeypatch.setattr(contact_labels, '_interpolated_argmax', spy)
    monkeypatch.setattr(contact_labels, 'BAND_PIXELS', 1000)
    monkeypatch.setattr(contact_labels, 'BORDER_PIXELS', 50)
    assert torch.equal(resized_argmax(logits, (150, 200)), whole)
    assert calls and max(calls) <= 50
    # only border pixels are interpolated: far fewer than all 30000
    assert sum(calls) < 0.5 * 150 * 200
    monkeypatch.undo()  # F.interpolate back
    calls.clear()
    monkeypatch.setattr(contact_labels, '_interpolated_argmax', spy)
    noise = torch.randn(1, 18, 24, 32, generator=generator)
    assert torch.equal(resized_argmax(noise, (150, 200)), one_shot(noise, (150, 200)))
    assert not calls


def test_predict_by_feat_crops_and_matches_the_one_shot_map():
    """The padding is cropped before the resize; the map equals the resize and argmax of
    the crop, at the original size of each image of the batch."""
    generator = torch.Generator().manual_seed(1)
    seg_logits = torch.randn(2, 18, 32, 40, generator=generator)
    seg_logits[:, 7, 25:, :] = 50.0  # class 7 fills the padding rows of image 0
    metas = [
        dict(img_shape=(25, 40), ori_shape=(101, 163)),
        dict(img_shape=(32, 33), ori_shape=(32, 33))
    ]
    maps = BaseContactHead.predict_by_feat(seg_logits, metas)
    assert maps[0].sem_seg.shape == (1, 101, 163)
    assert torch.equal(maps[0].sem_seg, one_shot(seg_logits[:1, :, :25, :40], (101, 163)))
    assert torch.equal(maps[1].sem_seg, one_shot(seg_logits[1:, :, :32, :33]))
    unscaled = BaseContactHead.predict_by_feat(seg_logits, metas, rescale=False)
    assert unscaled[0].sem_seg.shape == (1, 25, 40)
    assert torch.equal(unscaled[0].sem_seg, one_shot(seg_logits[:1, :, :25, :40]))


def test_foreground_mask_is_argmax_not_background():
    logits = tied_logits()  # many ties between the background and a part
    assert torch.equal(foreground_mask(logits), logits.argmax(dim=1) != 0)
    tie = torch.tensor([[[[1.0, 1.0, 0.0]], [[1.0, 0.5, 0.0]], [[0.0, 2.0, 0.5]]]])
    assert foreground_mask(tie).tolist() == [[[False, True, True]]]


def test_a_channels_last_s_gives_the_labels_of_a_contiguous_one():
    """A channels_last model's S (NHWC in memory): the same labels and foreground."""
    generator = torch.Generator().manual_seed(3)
    logits = F.interpolate(
        3 * torch.randn(2, 18, 6, 8, generator=generator), size=(24, 32), mode='bilinear')
    logits[:, 0] += 6
    nhwc = logits.contiguous(memory_format=torch.channels_last)
    assert not nhwc.is_contiguous()
    for size in [None, (24, 32), (150, 200), (12, 16)]:
        assert torch.equal(resized_argmax(nhwc, size), resized_argmax(logits, size))
    assert torch.equal(foreground_mask(nhwc), logits.argmax(dim=1) != 0)
