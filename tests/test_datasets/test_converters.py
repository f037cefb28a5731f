"""HICO-DET / V-COCO (QPIC layout) + HOT masks → PaIR, on hand-written samples and on
the real files of ``../shared/data/real`` (skipped when that folder is absent)."""
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from pair_plugin.datasets import check_dataset
from pair_plugin.datasets.converters import (HOTMaskIndex, config_lines, convert_hico_det,
                                             convert_vcoco, join_key, pair_contact_parts)
from pair_plugin.datasets.converters.hoi_vocabularies import (COCO_91_IDS, HICO_HOI_CATEGORIES,
                                                              HICO_VERBS, VCOCO_ACTIONS)
from pair_plugin.registry import DATASETS
from pair_plugin.structures import PaIRFormatError
from tests.helpers import REAL_DATA, load_tool

REAL = REAL_DATA
#: what the converted sets are loaded with here: the image and its ground truth
LOAD = [dict(type='LoadImageFromFile'), dict(type='LoadPaIRAnnotations')]
needs_real = pytest.mark.skipif(not osp.isdir(REAL), reason=f'real sample data not found at {REAL}')


def _write_image(path, width, height):
    Image.fromarray(np.full((height, width, 3), 128, np.uint8)).save(path)


def _write_json(path, data):
    with open(path, 'w') as f:
        json.dump(data, f)


@pytest.fixture
def hico_sample(tmp_path):
    """Two HICO-DET train images in the QPIC layout and HOT masks for one of them."""
    img_dir = tmp_path / 'hico' / 'images' / 'train2015'
    img_dir.mkdir(parents=True)
    _write_image(img_dir / 'HICO_train2015_00000001.jpg', 100, 80)
    _write_image(img_dir / 'HICO_train2015_00000002.jpg', 50, 40)
    qpic = [
        dict(
            file_name='HICO_train2015_00000001.jpg',
            annotations=[
                dict(bbox=[10, 10, 50, 80], category_id=1),  # person
                dict(bbox=[40, 30, 70, 60], category_id=47),  # cup (COCO 47)
                dict(bbox=[10, 10, 50, 80], category_id=1),  # same person again
                dict(bbox=[40, 30, 70, 60], category_id=47),  # same cup again
                dict(bbox=[45, 62, 101, 81], category_id=62),  # chair, 1 px over
            ],
            hoi_annotation=[
                dict(subject_id=0, object_id=1, category_id=37),  # hold
                dict(subject_id=2, object_id=3, category_id=21),  # drink_with
                dict(subject_id=0, object_id=4, category_id=88),  # sit_on
            ]),
        dict(
            file_name='HICO_train2015_00000002.jpg',
            annotations=[
                dict(bbox=[1, 1, 20, 30], category_id=1),
                dict(bbox=[15, 10, 45, 35], category_id=2)
            ],  # bicycle
            hoi_annotation=[dict(subject_id=0, object_id=1, category_id=77)]),
        dict(
            file_name='HICO_train2015_00000003.jpg',  # not on disk
            annotations=[],
            hoi_annotation=[]),
    ]
    qpic_file = tmp_path / 'hico' / 'trainval_hico.json'
    _write_json(qpic_file, qpic)
    hot_dir = tmp_path / 'HOT' / 'annotations'
    hot_dir.mkdir(parents=True)
    mask = np.zeros((80, 100), np.uint8)
    mask[35:40, 42:48] = 9  # right hand, on the cup, inside the person box
    mask[35:40, 20:25] = 1  # head: inside the person, far from the cup
    mask[70:75, 45:50] = 10  # butt: near the chair (grown box), in the person
    Image.fromarray(mask).save(hot_dir / 'hake_train2015_HICO_train2015_00000001.png')
    # image 2's HOT mask has the wrong size: converted without a mask, reported
    Image.fromarray(np.zeros((10, 10),
                             np.uint8)).save(hot_dir / 'hake_train2015_HICO_train2015_00000002.png')
    return dict(
        qpic=str(qpic_file), img_dir=str(img_dir), hot=str(hot_dir), out=str(tmp_path / 'pair'))


def test_vocabularies():
    assert len(COCO_91_IDS) == 80 and COCO_91_IDS[0] == 1 and COCO_91_IDS[-1] == 90
    assert len(HICO_VERBS) == 117 and HICO_VERBS[87] == 'sit_on'
    assert len(set(HICO_HOI_CATEGORIES)) == 600
    assert VCOCO_ACTIONS[0] == 'hold_obj' and VCOCO_ACTIONS[27] == 'read_obj'
    assert len(VCOCO_ACTIONS) == 29


def test_join_key():
    assert join_key('hake_train2015_HICO_train2015_00012012.png') == join_key(
        'images/train2015/HICO_train2015_00012012.jpg') == ('hico', 'HICO_train2015_00012012')
    assert join_key('vcoco_000000521106.png') == join_key(
        'COCO_val2014_000000521106.jpg') == join_key('000000521106.jpg') == ('coco', 521106)
    assert join_key('wnp_office-data_04-21-53-rgbjpg-0205.png') is None


def test_pair_contact_parts_rule():
    mask = np.zeros((50, 50), np.uint8)
    mask[10, 10] = 6  # inside subject and object
    mask[40, 40] = 9  # inside the object only
    mask[2, 2] = 1  # inside the subject only, outside the grown object box
    assert pair_contact_parts(mask, [0, 0, 30, 30], [8, 8, 45, 45]) == [6]
    # the object box grows by max(4 px, 10% of its longer side)
    assert pair_contact_parts(mask, [0, 0, 30, 30], [12, 12, 20, 20]) == [6]
    assert pair_contact_parts(mask, [0, 0, 30, 30], [15, 15, 20, 20]) == []


def test_convert_hico_det_with_hot(hico_sample):
    report = convert_hico_det(
        hico_sample['qpic'],
        hico_sample['img_dir'],
        hico_sample['out'],
        'train',
        hot_mask_dir=hico_sample['hot'],
        progress=False)
    assert report['problems'] == []
    assert report['images'] == 2 and report['pairs'] == 3
    assert report['merged_instances'] == 2 and report['merged_entries'] == 1
    assert report['clipped_boxes'] == 1 and report['contact_masks'] == 1
    assert [p for p, _ in report['skipped']
            ] == [osp.join(hico_sample['img_dir'], 'HICO_train2015_00000003.jpg')]
    assert len(report['mask_skips']) == 1
    name, reason = report['mask_skips'][0]
    assert name == 'HICO_train2015_00000002.jpg'
    assert 'mask is 10x10 (WxH), but the image is 50x40' in reason

    ann = json.load(open(report['ann_file']))
    assert len(ann['metainfo']['objects']) == 80
    assert ann['metainfo']['actions'][87] == 'sit_on'
    assert len(ann['metainfo']['hoi_categories']) == 600
    img = ann['images'][0]
    # relative to the image folder, which the config names (data_prefix)
    assert img['file_name'] == 'HICO_train2015_00000001.jpg'
    assert report['img_prefix'] == osp.abspath(hico_sample['img_dir'])
    assert (img['width'], img['height']) == (100, 80)
    assert img['contact_mask'] == 'masks/train/HICO_train2015_00000001.png'
    # person 0, cup 41, chair 56 (0-based COCO-80); duplicates merged; chair clipped
    assert img['instances'] == [
        dict(bbox=[10.0, 10.0, 50.0, 80.0], category_id=0),
        dict(bbox=[40.0, 30.0, 70.0, 60.0], category_id=41),
        dict(bbox=[45.0, 62.0, 100.0, 80.0], category_id=56)
    ]
    # hold (36) and drink_with (20) merged into one pair; sit_on (87)
    assert img['interactions'] == [
        dict(subject_id=0, object_id=1, action_ids=[20, 36], contact_parts=[9]),
        dict(subject_id=0, object_id=2, action_ids=[87], contact_parts=[10])
    ]
    img2 = ann['images'][1]
    assert img2['contact_mask'] is None
    assert img2['interactions'] == [
        dict(subject_id=0, object_id=1, action_ids=[76], contact_parts=[])
    ]
    # the copied mask is the HOT mask
    out_mask = np.array(Image.open(osp.join(hico_sample['out'], img['contact_mask'])))
    assert out_mask[37, 45] == 9 and out_mask.shape == (80, 100)
    # the printed config lines load the images from their folder, the masks from out
    cfg = Config.fromstring('\n'.join(config_lines(report)), '.py')
    ds = DATASETS.build(dict(cfg.train_dataloader.dataset, pipeline=LOAD))
    assert len(ds) == 2 and ds.metainfo['actions'][36] == 'hold'
    item = ds[0]
    assert item['img'].shape == (80, 100, 3)
    assert item['gt_seg_map'][37, 45] == 9


def test_convert_hico_det_cli(hico_sample, capsys):
    tool = load_tool('tools/dataset_converters/hico_det_to_pair.py')
    rc = tool.main([
        '--qpic-json', hico_sample['qpic'], '--img-dir', hico_sample['img_dir'], '--out-dir',
        hico_sample['out'], '--split', 'train', '--quiet'
    ])
    out = capsys.readouterr().out
    assert rc == 0
    assert 'train.json: 2 images, 3 pairs, 0 contact masks' in out
    assert 'skipped image' in out and 'HICO_train2015_00000003.jpg' in out
    # the summary ends with the config lines that load the result
    lines = out.split('to use it, in your config:\n')[1]
    cfg = Config.fromstring('\n'.join(line[4:] for line in lines.splitlines()), '.py')
    dataset = cfg.train_dataloader.dataset
    assert dataset.ann_file == 'annotations/train.json'
    assert dataset.data_prefix.img_path.rstrip('/') == osp.abspath(hico_sample['img_dir'])


def test_convert_copy_and_link_make_a_self_contained_set(hico_sample, tmp_path):
    originals = {}
    for mode in ('copy', 'link'):
        out = str(tmp_path / mode)
        report = convert_hico_det(
            hico_sample['qpic'],
            hico_sample['img_dir'],
            out,
            'train',
            hot_mask_dir=hico_sample['hot'],
            progress=False,
            images=mode)
        assert report['problems'] == [] and report['img_prefix'] == ''
        names = [img['file_name'] for img in json.load(open(report['ann_file']))['images']]
        assert names == [
            'images/train/HICO_train2015_00000001.jpg', 'images/train/HICO_train2015_00000002.jpg'
        ]
        placed = osp.join(out, names[0])
        assert osp.islink(placed) == (mode == 'link')
        originals[mode] = open(placed, 'rb').read()
        assert not any('data_prefix' in line for line in config_lines(report))
    source = osp.join(hico_sample['img_dir'], 'HICO_train2015_00000001.jpg')
    assert originals['copy'] == originals['link'] == open(source, 'rb').read()
    # the copied set moves as one folder: images, masks and annotations together
    moved = str(tmp_path / 'elsewhere' / 'hico_pair')
    shutil.move(str(tmp_path / 'copy'), moved)
    assert check_dataset(osp.join(moved, 'annotations', 'train.json')) == []


@pytest.mark.parametrize('name', ['../other/x.jpg', '/abs/x.jpg', 'a/../../x.jpg'])
def test_convert_rejects_image_names_outside_the_image_folder(hico_sample, name):
    qpic = json.load(open(hico_sample['qpic']))
    qpic[1]['file_name'] = name
    _write_json(hico_sample['qpic'], qpic)
    with pytest.raises(PaIRFormatError, match='inside the image folder') as info:
        convert_hico_det(
            hico_sample['qpic'],
            hico_sample['img_dir'],
            hico_sample['out'],
            'train',
            progress=False)
    assert info.value.field == '[1].file_name'


@pytest.mark.parametrize('edit,field,message', [
    (lambda q: q[0]['annotations'][1].update(category_id=12), '[0].annotations[1]'
     '.category_id', '12 is not a COCO category id'),
    (lambda q: q[0]['hoi_annotation'][0].update(category_id=118),
     '[0].hoi_annotation[0].category_id', r'verb id 118 out of range \[1, 118\)'),
    (lambda q: q[0]['hoi_annotation'][0].update(subject_id=1), '[0].hoi_annotation[0].subject_id',
     'annotation 1 of HICO_train2015_00000001'
     '.jpg is not a person'),
    (lambda q: q[0]['hoi_annotation'][0].update(object_id=9), '[0].hoi_annotation[0].object_id',
     '9 does not index the 5 annotations'),
    (lambda q: q[1]['annotations'][0].update(bbox=[20, 1, 1, 30]), '[1].annotations[0].bbox',
     'expected x1 <= x2'),
    (lambda q: q[1].pop('annotations'), '[1].annotations', 'missing required field'),
])
def test_convert_rejects_bad_qpic_entries(hico_sample, edit, field, message):
    qpic = json.load(open(hico_sample['qpic']))
    edit(qpic)
    _write_json(hico_sample['qpic'], qpic)
    with pytest.raises(PaIRFormatError, match=message) as info:
        convert_hico_det(
            hico_sample['qpic'],
            hico_sample['img_dir'],
            hico_sample['out'],
            'train',
            progress=False)
    assert info.value.file == hico_sample['qpic']
    assert info.value.field == field


def test_convert_rejects_malformed_file(tmp_path):
    bad = tmp_path / 'x.json'
    bad.write_text('[{"file_name": ')
    with pytest.raises(PaIRFormatError, match='malformed JSON'):
        convert_hico_det(str(bad), str(tmp_path), str(tmp_path / 'o'), 'train', progress=False)
    bad.write_text('{"images": []}')
    with pytest.raises(PaIRFormatError, match='expected a list of images'):
        convert_vcoco(str(bad), str(tmp_path), str(tmp_path / 'o'), 'train', progress=False)


def test_convert_vcoco_sample(tmp_path):
    img_dir = tmp_path / 'val2014'
    img_dir.mkdir()
    _write_image(img_dir / 'COCO_val2014_000000000042.jpg', 64, 48)
    qpic = [
        dict(
            file_name='COCO_val2014_000000000042.jpg',
            img_id=42,
            annotations=[
                dict(bbox=[1, 1, 30, 47], category_id=1),
                dict(bbox=[20, 20, 40, 40], category_id=37)
            ],
            hoi_annotation=[
                dict(subject_id=0, object_id=1, category_id=0),  # hold_obj
                dict(subject_id=0, object_id=-1, category_id=1),  # stand
                dict(subject_id=0, object_id=1, category_id=25),  # kick_obj
            ])
    ]
    _write_json(tmp_path / 'test_vcoco.json', qpic)
    hot = tmp_path / 'hot'
    hot.mkdir()
    mask = np.zeros((48, 64), np.uint8)
    mask[30:34, 25:29] = 17
    Image.fromarray(mask).save(hot / 'vcoco_000000000042.png')
    report = convert_vcoco(
        str(tmp_path / 'test_vcoco.json'),
        str(img_dir),
        str(tmp_path / 'out'),
        'test',
        hot_mask_dir=str(hot),
        progress=False,
        images='copy')
    assert report['problems'] == [] and report['skipped_entries'] == 1
    ann = json.load(open(report['ann_file']))
    assert 'hoi_categories' not in ann['metainfo']
    img = ann['images'][0]
    assert img['id'] == 42 and img['instances'][1]['category_id'] == 32
    assert img['interactions'] == [
        dict(subject_id=0, object_id=1, action_ids=[0, 25], contact_parts=[17])
    ]
    assert check_dataset(report['ann_file']) == []


def test_hot_index(tmp_path):
    (tmp_path / 'a').mkdir()
    for name in ('hake_train2015_HICO_train2015_00000007.png', 'a/vcoco_000000000009.png',
                 'wnp_kitchen1-data_03.png'):
        Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / name)
    index = HOTMaskIndex(str(tmp_path))
    assert len(index) == 2 and index.unrecognised == ['wnp_kitchen1-data_03.png']
    assert index.find('HICO_train2015_00000007.jpg').endswith(
        'hake_train2015_HICO_train2015_00000007.png')
    assert index.find('COCO_train2014_000000000009.jpg').endswith('vcoco_000000000009.png')
    assert index.find('HICO_test2015_00000007.jpg') is None
    with pytest.raises(FileNotFoundError, match='HOT mask folder not found'):
        HOTMaskIndex(str(tmp_path / 'none'))


@needs_real
def test_real_vcoco_matches_the_original_vcoco_labels(tmp_path):
    """Every (person, action, object) of the original V-COCO subset (fredzzhang's
    layout, its own action order) is in the conversion of the QPIC-layout file."""
    report = convert_vcoco(
        osp.join(REAL, 'vcoco_real/annotations/test_vcoco_qpic_derived_test.json'),
        osp.join(REAL, 'vcoco_real/images'),
        str(tmp_path),
        'test',
        progress=False)
    assert report['problems'] == [] and report['skipped'] == []
    assert report['images'] == 9 and report['pairs'] == 19
    # no masks: the image folder can stand in for the data root
    assert check_dataset(report['ann_file'], data_root=osp.join(REAL, 'vcoco_real/images')) == []
    ours = json.load(open(report['ann_file']))
    by_name = {img['file_name'].split('/')[-1]: img for img in ours['images']}
    ref = json.load(open(osp.join(REAL, 'vcoco_real/annotations/instances_vcoco_test_subset.json')))
    checked = 0
    for ref_img in ref['annotations']:
        img = by_name[ref_img['file_name']]
        for bh, bo, action, obj in zip(ref_img['boxes_h'], ref_img['boxes_o'], ref_img['actions'],
                                       ref_img['objects']):
            name = ref['classes'][action].replace(' ', '_')
            found = [
                it for it in img['interactions']
                if np.allclose(img['instances'][it['subject_id']]['bbox'], bh, atol=0.01)
                and np.allclose(img['instances'][it['object_id']]['bbox'], bo, atol=0.01)
            ]
            assert found, (ref_img['file_name'], bh, bo)
            it = found[0]
            assert name in [VCOCO_ACTIONS[a] for a in it['action_ids']]
            # fredzzhang's objects list has 'background' first
            assert img['instances'][it['object_id']]['category_id'] == obj - 1
            checked += 1
    assert checked == 19 + 10  # 29 triplets in 19 pairs


@needs_real
def test_real_hico_det(tmp_path):
    report = convert_hico_det(
        osp.join(REAL, 'hicodet_real/annotations/test_hico_qpic_derived.json'),
        osp.join(REAL, 'hicodet_real/images/test2015'),
        str(tmp_path),
        'test',
        progress=False)
    assert report['problems'] == [] and report['images'] == 1
    assert check_dataset(
        report['ann_file'], data_root=osp.join(REAL, 'hicodet_real/images/test2015')) == []
    img = json.load(open(report['ann_file']))['images'][0]
    ref = json.load(open(osp.join(REAL, 'hicodet_real/annotations/instances_test2015_subset.json')))
    assert [img['width'], img['height']] == ref['size'][0]
    (inter, ) = img['interactions']
    verb = ref['verbs'][ref['annotation'][0]['verb'][0]]
    obj = ref['objects'][ref['annotation'][0]['object'][0]].replace('_', ' ')
    meta = json.load(open(report['ann_file']))['metainfo']
    assert [meta['actions'][a] for a in inter['action_ids']] == [verb]  # sit_on
    assert meta['objects'][img['instances'][inter['object_id']]['category_id']] == obj  # chair
    assert img['instances'][inter['subject_id']]['bbox'] == ref['annotation'][0]['boxes_h'][0]


@needs_real
@pytest.mark.parametrize('images', ['in_place', 'copy'])
def test_real_vcoco_set_moved_elsewhere_still_loads_and_browses(tmp_path, images):
    img_dir = osp.join(REAL, 'vcoco_real/images')
    report = convert_vcoco(
        osp.join(REAL, 'vcoco_real/annotations/test_vcoco_qpic_derived_test.json'),
        img_dir,
        str(tmp_path / 'converted'),
        'test',
        progress=False,
        images=images)
    moved = tmp_path / 'moved' / 'vcoco_pair'
    shutil.move(str(tmp_path / 'converted'), str(moved))
    ann = json.load(open(moved / 'annotations' / 'test.json'))
    assert not any('..' in img['file_name'].split('/') for img in ann['images'])
    # the printed lines with data_root pointing at the new folder
    cfg = Config.fromstring('\n'.join(config_lines(report)), '.py')
    dataset_cfg = dict(cfg.test_dataloader.dataset, data_root=str(moved))
    dataset = DATASETS.build(dict(dataset_cfg, pipeline=LOAD))
    assert len(dataset) == 9
    first = dataset[0]
    assert first['img'].shape[:2] == (first['height'], first['width'])

    browse = ['--img-prefix', img_dir] if images == 'in_place' else []
    out_dir = tmp_path / 'browse'
    written = load_tool('tools/data/browse_dataset.py').main([
        str(moved / 'annotations' / 'test.json'), '--out-dir',
        str(out_dir), '--max-images', '3', '--max-draw-size', '320', *browse
    ])
    visible = sorted(name for name in os.listdir(out_dir) if not name.startswith('.'))
    assert len(written) == 3 and visible == sorted(osp.basename(p) for p in written)
    assert all(name.startswith(('COCO_val2014_', 'images_test_COCO_val2014_')) for name in visible)
