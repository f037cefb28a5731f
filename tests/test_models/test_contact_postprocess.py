"""The contact map of a photo: the logits resized and argmaxed one class plane at a time."""
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


def test_labels_equal_the_one_shot_resize_and_argmax_at_odd_sizes():
    logits = tied_logits()
    for size in [None, (7, 9), (23, 31), (5, 4), (1, 17), (97, 13)]:
        labels = resized_argmax(logits, size)
        expected = one_shot(logits, size)
        assert labels.dtype == torch.int64
        assert labels.shape == expected.shape
        assert torch.equal(labels, expected), size
    generator = torch.Generator().manual_seed(0)
    noisy = torch.randn(1, 18, 13, 21, generator=generator)
    assert torch.equal(resized_argmax(noisy, (331, 517)), one_shot(noisy, (331, 517)))


def test_nan_is_the_largest_as_in_argmax():
    logits = tied_logits()
    logits[0, 2, 3, 3] = float('nan')
    logits[0, 4, 3, 3] = float('nan')  # the first NaN (class 2) wins
    logits[1, 0, 0, 0] = float('nan')
    for size in [None, (15, 19)]:
        assert torch.equal(resized_argmax(logits, size), one_shot(logits, size))


def test_one_plane_resized_at_a_time(monkeypatch):
    """No call resizes more than one class plane: the K full-size planes never exist."""
    shapes = []
    interpolate = F.interpolate

    def spy(value, *args, **kwargs):
        out = interpolate(value, *args, **kwargs)
        shapes.append(tuple(out.shape))
        return out

    monkeypatch.setattr(contact_labels.F, 'interpolate', spy)
    resized_argmax(torch.randn(1, 18, 6, 8), (60, 80))
    assert shapes == [(1, 1, 60, 80)] * 18


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
