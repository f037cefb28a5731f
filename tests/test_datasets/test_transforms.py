"""The PaIR transforms on hand-made samples: every field checked by hand."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from pair_data_factory import IMAGE_1, edit_annotation, image_1_mask, write_dataset

from pair_plugin.datasets import PaIRDataset
from pair_plugin.registry import TRANSFORMS
from pair_plugin.structures import PaIRDataSample, PaIRFormatError
from tests.helpers import CONFIGS

LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadPaIRAnnotations')]


def _load(ann_file, idx=0, extra=()):
    ds = PaIRDataset(ann_file=ann_file, pipeline=LOAD + list(extra))
    return ds[idx]


def _parts(ids):
    v = np.zeros(17, dtype=np.float32)
    v[np.asarray(ids, dtype=int) - 1] = 1
    return v


def test_load_fields(hand_dataset):
    r = _load(hand_dataset)
    np.testing.assert_array_equal(
        r['gt_bboxes'].numpy(),
        [[2, 3, 20, 38], [12, 10, 18, 16], [30, 5, 50, 39], [28, 20, 58, 40]])
    assert r['gt_bboxes_labels'].tolist() == [0, 1, 0, 2]
    assert r['gt_bboxes_labels'].dtype == np.int64
    assert r['gt_ignore_flags'].tolist() == [False] * 4
    assert r['gt_pair_subject_ids'].tolist() == [0, 2]
    assert r['gt_pair_object_ids'].tolist() == [1, 3]
    assert r['gt_pair_subject_ids'].dtype == np.int64
    np.testing.assert_array_equal(r['gt_pair_actions'], [[1, 1, 0, 0], [0, 0, 1, 0]])
    assert r['gt_pair_actions'].dtype == np.float32
    np.testing.assert_array_equal(r['gt_pair_parts'], [_parts([1, 6]), _parts([10, 12])])
    np.testing.assert_array_equal(r['gt_seg_map'], image_1_mask())
    assert r['gt_seg_map'].dtype == np.uint8
    # union of the pairs' parts and the map's parts (17 is only in the map)
    np.testing.assert_array_equal(r['gt_parts'], _parts([1, 6, 10, 12, 17]))
    assert r['contact_annotated'] is True


def test_load_without_contact_annotation(hand_dataset):
    r = _load(hand_dataset, idx=1)
    assert r['gt_seg_map'].shape == (20, 30)
    assert (r['gt_seg_map'] == 255).all()
    assert r['contact_annotated'] is False
    np.testing.assert_array_equal(r['gt_parts'], _parts([15]))


def test_load_rejects_image_of_wrong_size(tmp_path):
    ann = write_dataset(tmp_path, images=[IMAGE_1])
    edit_annotation(ann, lambda a: a['images'][0].update(width=61))
    with pytest.raises(
            PaIRFormatError,
            match=r"a\.png: size: image is 60x40 "
            r"\(WxH\), but the annotation says 61x40 \(image \(id 1, "
            r"file_name 'images/a.png'\)\)"):
        _load(ann)


def test_load_rejects_bad_mask_when_loading(tmp_path):
    ann = write_dataset(tmp_path, masks={'masks/a.png': np.zeros((40, 60, 3), np.uint8)})
    with pytest.raises(
            PaIRFormatError,
            match=r'masks/a\.png: mode: expected a '
            r'single-channel 8-bit PNG .* got mode RGB \(referenced by image '
            r"\(id 1, file_name 'images/a.png'\)\)"):
        _load(ann)


def test_flip_horizontal_checks_every_field(hand_dataset):
    before = _load(hand_dataset)
    flip = TRANSFORMS.build(dict(type='PaIRRandomFlip', prob=1.0))
    r = flip(_load(hand_dataset))
    assert r['flip'] is True and r['flip_direction'] == 'horizontal'
    # image mirrored: the red channel (BGR index 2) encodes x
    np.testing.assert_array_equal(r['img'], before['img'][:, ::-1])
    # boxes: x1' = W - x2, x2' = W - x1
    np.testing.assert_allclose(
        r['gt_bboxes'].numpy(),
        [[40, 3, 58, 38], [42, 10, 48, 16], [10, 5, 30, 39], [2, 20, 32, 40]])
    # mask: mirrored, left/right swapped, others kept
    m = r['gt_seg_map']
    assert m[5, 60 - 1 - 15] == 1  # head stays head
    assert m[12, 60 - 1 - 11] == 9  # left hand -> right hand
    assert m[26, 60 - 1 - 35] == 10  # butt stays butt
    assert m[31, 60 - 1 - 44] == 15  # left thigh -> right thigh
    assert m[39, 0] == 14  # right foot -> left foot
    assert m[0, 59] == 255 and m[20, 30] == 0
    expected = image_1_mask()[:, ::-1].copy()
    for left, right in ((6, 9), (12, 15), (14, 17)):
        lm, rm = expected == left, expected == right
        expected[lm], expected[rm] = right, left
    np.testing.assert_array_equal(m, expected)
    # part vectors swapped, pairs and actions untouched
    np.testing.assert_array_equal(r['gt_pair_parts'], [_parts([1, 9]), _parts([10, 15])])
    np.testing.assert_array_equal(r['gt_parts'], _parts([1, 9, 10, 15, 14]))
    assert r['gt_pair_subject_ids'].tolist() == [0, 2]
    assert r['gt_pair_object_ids'].tolist() == [1, 3]
    np.testing.assert_array_equal(r['gt_pair_actions'], before['gt_pair_actions'])
    assert r['gt_bboxes_labels'].tolist() == [0, 1, 0, 2]


def test_flip_vertical_keeps_part_labels(hand_dataset):
    flip = TRANSFORMS.build(dict(type='PaIRRandomFlip', prob=1.0, direction='vertical'))
    r = flip(_load(hand_dataset))
    np.testing.assert_array_equal(r['gt_seg_map'], image_1_mask()[::-1])
    np.testing.assert_array_equal(r['gt_pair_parts'], [_parts([1, 6]), _parts([10, 12])])


def test_flip_twice_is_identity(hand_dataset):
    flip = TRANSFORMS.build(dict(type='PaIRRandomFlip', prob=1.0))
    before = _load(hand_dataset)
    r = flip(flip(_load(hand_dataset)))
    for key in ('img', 'gt_seg_map', 'gt_pair_parts', 'gt_parts'):
        np.testing.assert_array_equal(r[key], before[key])


def _crop(results, x1, y1, w, h):
    crop = TRANSFORMS.build(dict(type='PaIRRandomCrop', crop_size=(w, h), allow_negative_crop=True))
    crop._rand_offset = lambda margin: (y1, x1)
    return crop(results)


def test_crop_drops_and_reindexes_pairs(tmp_path):
    img = dict(
        IMAGE_1,
        instances=[
            dict(bbox=[30, 5, 50, 39], category_id=0),  # person, out
            dict(bbox=[2, 3, 20, 38], category_id=0),  # person, in
            dict(bbox=[28, 20, 58, 40], category_id=2),  # chair, out
            dict(bbox=[12, 10, 18, 16], category_id=1),  # cup, in
            dict(bbox=[3, 20, 22, 30], category_id=2)
        ],  # chair, in
        interactions=[
            dict(subject_id=0, object_id=2, action_ids=[2], contact_parts=[10, 12]),
            dict(subject_id=1, object_id=3, action_ids=[0, 1], contact_parts=[1, 6]),
            dict(subject_id=0, object_id=3, action_ids=[0], contact_parts=[9]),
            dict(subject_id=1, object_id=4, action_ids=[2], contact_parts=[10])
        ])
    ann = write_dataset(tmp_path, images=[img])
    r = _crop(_load(ann), x1=0, y1=0, w=25, h=40)
    np.testing.assert_allclose(r['gt_bboxes'].numpy(),
                               [[2, 3, 20, 38], [12, 10, 18, 16], [3, 20, 22, 30]])
    assert r['gt_bboxes_labels'].tolist() == [0, 1, 2]
    # pairs 0 and 2 lost their subject or object; 1 and 3 survive, re-indexed
    assert r['gt_pair_subject_ids'].tolist() == [0, 0]
    assert r['gt_pair_object_ids'].tolist() == [1, 2]
    np.testing.assert_array_equal(r['gt_pair_actions'], [[1, 1, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(r['gt_pair_parts'], [_parts([1, 6]), _parts([10])])
    # gt_parts recomputed: surviving pairs' parts + parts in the cropped map
    # (the map keeps head and left hand; butt, thigh and foot were cut away)
    assert r['gt_seg_map'].shape == (40, 25)
    np.testing.assert_array_equal(r['gt_parts'], _parts([1, 6, 10]))
    assert r['img'].shape[:2] == (40, 25)


def test_crop_offset_translates_boxes_and_map(hand_dataset):
    r = _crop(_load(hand_dataset), x1=10, y1=5, w=40, h=30)
    np.testing.assert_allclose(r['gt_bboxes'].numpy(),
                               [[0, 0, 10, 30], [2, 5, 8, 11], [20, 0, 40, 30], [18, 15, 40, 30]])
    np.testing.assert_array_equal(r['gt_seg_map'], image_1_mask()[5:35, 10:50])
    assert r['gt_pair_subject_ids'].tolist() == [0, 2]
    assert r['gt_pair_object_ids'].tolist() == [1, 3]


def test_crop_without_boxes_left_returns_none(hand_dataset):
    crop = TRANSFORMS.build(dict(type='PaIRRandomCrop', crop_size=(5, 5)))
    crop._rand_offset = lambda margin: (0, 54)  # top-right corner: no box there
    assert crop(_load(hand_dataset)) is None


def test_mmdet_resize_keeps_boxes_pairs_and_map_consistent(hand_dataset):
    before = _load(hand_dataset)
    resize = TRANSFORMS.build(dict(type='Resize', scale_factor=2.0, keep_ratio=True))
    r = resize(_load(hand_dataset))
    assert r['img'].shape[:2] == (80, 120)
    np.testing.assert_allclose(r['gt_bboxes'].numpy(), before['gt_bboxes'].numpy() * 2)
    # nearest-neighbour: each label pixel becomes a 2x2 block, no new values
    np.testing.assert_array_equal(r['gt_seg_map'][::2, ::2], image_1_mask())
    np.testing.assert_array_equal(r['gt_seg_map'][1::2, 1::2], image_1_mask())
    for key in ('gt_pair_subject_ids', 'gt_pair_object_ids', 'gt_pair_actions', 'gt_pair_parts',
                'gt_parts'):
        np.testing.assert_array_equal(r[key], before[key])


def test_mmdet_random_resize_and_photometric(hand_dataset):
    before = _load(hand_dataset)
    np.random.seed(0)
    t = Compose([
        TRANSFORMS.build(dict(type='RandomResize', scale=[(90, 30), (120, 60)], keep_ratio=True)),
        TRANSFORMS.build(dict(type='PhotoMetricDistortion'))
    ])
    r = t(_load(hand_dataset))
    h, w = r['img'].shape[:2]
    assert r['gt_seg_map'].shape == (h, w)
    sx, sy = r['scale_factor']
    np.testing.assert_allclose(
        r['gt_bboxes'].numpy(), before['gt_bboxes'].numpy() * [sx, sy, sx, sy], rtol=1e-5)
    assert set(np.unique(r['gt_seg_map'])) <= set(np.unique(image_1_mask()))
    for key in ('gt_pair_subject_ids', 'gt_pair_object_ids', 'gt_pair_actions', 'gt_pair_parts',
                'gt_parts'):
        np.testing.assert_array_equal(r[key], before[key])


def test_pack_outputs_contract_types(hand_dataset):
    pack = TRANSFORMS.build(dict(type='PackPaIRInputs'))
    out = pack(_load(hand_dataset))
    x, s = out['inputs'], out['data_samples']
    assert x.shape == (3, 40, 60) and x.dtype == torch.uint8
    assert isinstance(s, PaIRDataSample)
    assert s.gt_instances.bboxes.dtype == torch.float32
    assert s.gt_instances.bboxes.shape == (4, 4)
    assert isinstance(s.gt_instances.bboxes, torch.Tensor)
    assert s.gt_instances.labels.tolist() == [0, 1, 0, 2]
    assert s.gt_pairs.subject_ids.tolist() == [0, 2]
    assert s.gt_pairs.object_ids.dtype == torch.int64
    assert s.gt_pairs.actions.shape == (2, 4)
    assert s.gt_pairs.contact_parts.shape == (2, 17)
    assert s.gt_parts.shape == (17, ) and s.gt_parts.dtype == torch.float32
    assert s.gt_sem_seg.sem_seg.shape == (1, 40, 60)
    assert s.gt_sem_seg.sem_seg.dtype == torch.int64
    assert torch.equal(s.gt_sem_seg.sem_seg[0], torch.from_numpy(image_1_mask()).long())
    assert s.img_id == 1 and s.file_name == 'images/a.png'
    assert s.contact_annotated is True and s.ori_shape == (40, 60)
    # the annotation's own instances, for the metrics' float64 boxes
    assert s.instances[1] == dict(bbox=[12.0, 10.0, 18.0, 16.0], bbox_label=1, ignore_flag=0)


def test_pack_rounds_float_images_to_uint8(hand_dataset):
    r = _load(hand_dataset)
    r['img'] = r['img'].astype(np.float32) - 300.0  # photometric can leave range
    r['img'][0, 0, 0] = 300.4
    r['img'][0, 1, 0] = 12.6
    out = TRANSFORMS.build(dict(type='PackPaIRInputs'))(r)
    assert out['inputs'].dtype == torch.uint8
    assert out['inputs'][0, 0, 0] == 255 and out['inputs'][0, 0, 1] == 13
    assert out['inputs'][1, 5, 5] == 0


def test_pack_of_an_empty_sample(tmp_path):
    img = dict(IMAGE_1, instances=[], interactions=[], contact_mask=None)
    ann = write_dataset(tmp_path, images=[img], masks={})
    out = TRANSFORMS.build(dict(type='PackPaIRInputs'))(_load(ann))
    s = out['data_samples']
    assert s.gt_instances.bboxes.shape == (0, 4)
    assert s.gt_pairs.actions.shape == (0, 4)
    assert s.gt_pairs.contact_parts.shape == (0, 17)
    assert s.gt_parts.sum() == 0 and s.contact_annotated is False


@pytest.mark.parametrize('config', ['pair1.py', 'pair2.py'])
def test_pair_config_pipelines_keep_pairs_consistent(hand_dataset, config):
    """The DETR-style PaIR-1/2 training pipeline (flip, colour, multi-scale resize or
    resize + crop + resize) on the hand-made image: every draw stays consistent."""
    import os.path as osp

    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(CONFIGS, '_base_/datasets', config))
    ds = PaIRDataset(ann_file=hand_dataset, pipeline=cfg.train_pipeline)
    np.random.seed(1)
    seen_fewer_pairs = False
    for _ in range(12):
        s = ds[0]['data_samples']
        h, w = s.img_shape
        assert 480 <= min(h, w) <= 800 and max(h, w) <= 1333
        assert s.gt_sem_seg.sem_seg.shape == (1, h, w)
        labels = s.gt_instances.labels
        pairs = s.gt_pairs
        assert (labels[pairs.subject_ids] == 0).all()
        assert (pairs.object_ids < len(labels)).all()
        seen_fewer_pairs |= len(pairs) < 2
    assert seen_fewer_pairs, 'crops never dropped a pair in 12 draws'
    # the test pipeline keeps the ground truth at the original size
    test = PaIRDataset(
        ann_file=hand_dataset, pipeline=cfg.test_pipeline, test_mode=True)[0]['data_samples']
    assert test.gt_sem_seg.sem_seg.shape == (1, 40, 60)
    assert test.img_shape == (800, 1200)
