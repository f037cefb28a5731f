"""PaIRDataset: parsing, metainfo, filtering, lazy init, errors; annotation statistics."""
import os.path as osp

import numpy as np
import pytest
from pair_data_factory import IMAGE_1, IMAGE_2, IMAGE_3, METAINFO, edit_annotation, write_dataset

from pair_plugin.datasets import PaIRDataset, count_hoi_instances, count_part_images
from pair_plugin.registry import DATASETS
from pair_plugin.structures import PaIRFormatError


def test_parse_data_info(hand_dataset, tmp_path):
    ds = DATASETS.build(dict(type='PaIRDataset', ann_file=hand_dataset))
    assert len(ds) == 3
    info = ds.get_data_info(0)
    assert info['img_id'] == 1
    assert info['img_path'] == osp.join(str(tmp_path), 'images/a.png')
    assert info['file_name'] == 'images/a.png'
    assert (info['height'], info['width']) == (40, 60)
    assert info['seg_map_path'] == osp.join(str(tmp_path), 'masks/a.png')
    assert info['contact_annotated'] is True
    assert info['instances'][1] == dict(bbox=[12.0, 10.0, 18.0, 16.0], bbox_label=1, ignore_flag=0)
    assert info['interactions'][0] == dict(
        subject_id=0, object_id=1, action_ids=[0, 1], contact_parts=[1, 6])
    assert info['num_actions'] == 4
    info2 = ds.get_data_info(1)
    assert info2['seg_map_path'] is None and info2['contact_annotated'] is False
    assert ds.get_cat_ids(0) == [0, 1, 0, 2]


def test_metainfo_from_file(hand_dataset):
    ds = PaIRDataset(ann_file=hand_dataset)
    assert ds.metainfo['objects'] == ('person', 'cup', 'chair')
    assert ds.metainfo['classes'] == ds.metainfo['objects']
    assert ds.metainfo['actions'] == ('hold', 'drink_with', 'sit_on', 'carry')
    assert ds.metainfo['hoi_categories'] == [(0, 1), (1, 1), (2, 2), (3, 2)]


def test_metainfo_from_config(tmp_path):
    ann = write_dataset(tmp_path, metainfo=None)
    ds = PaIRDataset(
        ann_file=ann,
        metainfo=dict(classes=['person', 'cup', 'chair'], actions=METAINFO['actions']))
    assert ds.metainfo['objects'] == ('person', 'cup', 'chair')
    assert ds.metainfo['hoi_categories'] is None
    # lazy init: only the config's metainfo until full_init
    lazy = PaIRDataset(
        ann_file=ann,
        lazy_init=True,
        metainfo=dict(objects=['person', 'cup', 'chair'], actions=METAINFO['actions']))
    assert not lazy._fully_initialized
    assert len(lazy) == 3 and lazy._fully_initialized


def test_metainfo_missing_or_conflicting(tmp_path):
    ann = write_dataset(tmp_path, metainfo=None)
    with pytest.raises(
            PaIRFormatError, match=r'train\.json: metainfo: no '
            r'objects or actions'):
        PaIRDataset(ann_file=ann)
    ann = write_dataset(tmp_path)
    with pytest.raises(
            PaIRFormatError,
            match=r'metainfo\.actions: differs from '
            r"the dataset config's metainfo\.actions"):
        PaIRDataset(ann_file=ann, metainfo=dict(actions=['a', 'b', 'c', 'd']))
    # equal in both places is fine
    ds = PaIRDataset(ann_file=ann, metainfo=dict(actions=METAINFO['actions']))
    assert len(ds) == 3


def test_filter_empty_interactions(hand_dataset):
    ds = PaIRDataset(ann_file=hand_dataset, filter_cfg=dict(filter_empty_interactions=True))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1, 2]
    test = PaIRDataset(
        ann_file=hand_dataset, test_mode=True, filter_cfg=dict(filter_empty_interactions=True))
    assert len(test) == 3
    with pytest.raises(ValueError, match='unknown filter_cfg keys'):
        PaIRDataset(ann_file=hand_dataset, filter_cfg=dict(min_size=3))


def test_data_root_and_relative_ann_file(hand_dataset, tmp_path):
    ds = PaIRDataset(data_root=str(tmp_path), ann_file='annotations/train.json')
    assert ds.get_data_info(0)['img_path'] == osp.join(str(tmp_path), 'images/a.png')


def test_data_prefix_in_mmdets_or_mmsegs_names_and_data_root_for_a_key_left_out(tmp_path):
    ann = write_dataset(tmp_path)
    root = str(tmp_path)
    for prefix in (dict(img='pictures/'), dict(img_path='pictures/')):
        data = PaIRDataset(ann_file=ann, data_root=root, data_prefix=prefix)[0]
        assert data['img_path'] == osp.join(root, 'pictures', 'images/a.png')
        assert data['seg_map_path'] == osp.join(root, 'masks/a.png')
    data = PaIRDataset(ann_file=ann, data_root=root, data_prefix=dict(seg='/elsewhere/contact'))[0]
    assert data['seg_map_path'] == '/elsewhere/contact/masks/a.png'
    with pytest.raises(ValueError, match='gives both img and img_path'):
        PaIRDataset(ann_file=ann, data_prefix=dict(img='a', img_path='b'))
    with pytest.raises(ValueError, match=r'data_prefix.imgs is not one of'):
        PaIRDataset(ann_file=ann, data_prefix=dict(imgs='a'))


def test_bad_content_raises_first_problem_and_counts_the_rest(tmp_path):
    ann = write_dataset(tmp_path)

    def edit(a):
        a['images'][0]['instances'][1]['bbox'] = [18, 10, 12, 16]
        a['images'][1]['interactions'][0]['subject_id'] = 1
        a['images'][2]['id'] = 1

    edit_annotation(ann, edit)
    with pytest.raises(PaIRFormatError) as info:
        PaIRDataset(ann_file=ann)
    err = info.value
    assert err.file == ann
    assert err.field == 'images[0].instances[1].bbox'
    assert err.message.startswith('x2 (12) < x1 (18)')
    # the rest: subject 1 is a chair, and also the object; duplicate image id
    assert '(and 3 more problems; run tools/data/check_dataset.py' in err.message


def test_a_pair_index_out_of_range_stops_at_the_dataset_naming_the_image(tmp_path):
    """The model trusts the pairs: the dataset is where an index outside the image's
    instances is caught, with the image's id and file_name beside the JSON path."""
    image = dict(IMAGE_2, id=17, file_name='images/0017.png')
    ann = write_dataset(tmp_path, images=[IMAGE_1, IMAGE_3, image])
    edit_annotation(ann, lambda a: a['images'][2]['interactions'][0].update(object_id=2))
    with pytest.raises(PaIRFormatError) as info:
        PaIRDataset(ann_file=ann)
    assert str(
        info.value) == (f"{ann}: images[2] (id 17, file_name 'images/0017.png'): interactions[0]."
                        'object_id: instance index 2 out of range [0, 2)')
    assert info.value.field == 'images[2].interactions[0].object_id'
    assert info.value.image == dict(id=17, file_name='images/0017.png')


def test_missing_and_malformed_annotation_file(tmp_path):
    with pytest.raises(PaIRFormatError, match='no such annotation file'):
        PaIRDataset(ann_file=str(tmp_path / 'annotations/none.json'))
    bad = tmp_path / 'annotations' / 'bad.json'
    bad.parent.mkdir(parents=True)
    bad.write_text('{"images": [}')
    with pytest.raises(PaIRFormatError, match=r'bad\.json: line 1 column 13: malformed JSON'):
        PaIRDataset(ann_file=str(bad))


def test_count_hoi_instances(hand_dataset):
    counts = count_hoi_instances(hand_dataset)
    # image 1: (hold, cup), (drink_with, cup), (sit_on, chair); image 2: sit_on chair
    assert counts == {(0, 1): 1, (1, 1): 1, (2, 2): 2}


def test_count_part_images(tmp_path):
    mask_a = np.zeros((40, 60), np.uint8)
    mask_a[0:3, 0:3] = 6
    mask_a[10, 10] = 17
    mask_a[20:22, 20:22] = 255
    mask_c = np.zeros((20, 30), np.uint8)
    mask_c[5, 5] = 6
    img3 = dict(IMAGE_3, contact_mask='masks/c.png')
    ann = write_dataset(
        tmp_path,
        images=[IMAGE_1, IMAGE_2, img3],
        masks={
            'masks/a.png': mask_a,
            'masks/c.png': mask_c
        })
    counts = count_part_images(ann)
    expected = np.zeros(17, np.int64)
    expected[6 - 1] = 2  # both masks contain the left hand
    expected[17 - 1] = 1  # one contains the right foot; image 2 has no mask
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64


def test_stats_refuse_bad_files(tmp_path):
    ann = write_dataset(tmp_path, images=[IMAGE_1, IMAGE_2])
    edit_annotation(ann, lambda a: a['images'][1]['interactions'][0].update(action_ids=[9]))
    with pytest.raises(PaIRFormatError, match=r'action id 9 out of range'):
        count_hoi_instances(ann)


def test_a_pipeline_error_names_the_image_file(tmp_path):
    """A 0-byte image gives cv2's bare '!buf.empty()' inside mmcv's LoadImageFromFile:
    the dataset names the file, the entry and the reason."""
    ann = write_dataset(tmp_path, images=[IMAGE_2, IMAGE_3])
    open(tmp_path / 'images' / 'c.png', 'wb').close()
    dataset = PaIRDataset(
        ann_file=ann, pipeline=[dict(type='LoadImageFromFile'),
                                dict(type='LoadPaIRAnnotations')])
    assert dataset[0]['img'].shape == (20, 30, 3)
    with pytest.raises(PaIRFormatError) as error:
        dataset[1]
    assert str(error.value) == (f"{tmp_path / 'images' / 'c.png'}: (file): empty file (0 bytes) "
                                "(image (id 3, file_name 'images/c.png'))")
    # an error that is not the file's names the image and the transform
    dataset = PaIRDataset(ann_file=ann, pipeline=[dict(type='Resize', scale=(64, 64))])
    with pytest.raises(PaIRFormatError) as error:
        dataset[0]
    assert error.value.file == str(tmp_path / 'images' / 'b.png')
    assert error.value.field == '(pipeline)'
    assert error.value.message.startswith(
        "Resize failed on image (id 2, file_name 'images/b.png'): KeyError")
