"""The checker: every kind of bad input is reported with file, field and message, none
is dropped, and the CLI exits non-zero. The dataset raises the same errors."""
import json
import os
import os.path as osp
import re

import numpy as np
import pytest
from pair_data_factory import IMAGE_1, IMAGE_2, edit_annotation, write_dataset
from PIL import Image

from pair_plugin.datasets import PaIRDataset, check_dataset
from pair_plugin.structures import PaIRFormatError
from tests.helpers import load_tool


def _set(path, value):
    """An edit that sets ``images[i]...`` (a list of keys) to ``value``."""

    def edit(ann):
        node = ann
        for key in path[:-1]:
            node = node[key]
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return edit


DELETE = object()

#: (name, edit of the annotation dict, field, message regex)
CONTENT_CASES = [
    ('box outside image', _set(['images', 0, 'instances', 3, 'bbox'], [28, 20, 61, 40]),
     'images[0].instances[3].bbox', r'box \[28, 20, 61, 40\] lies outside the 60x40 image'),
    ('negative box corner', _set(['images', 0, 'instances', 0, 'bbox'], [-1, 3, 20, 38]),
     'images[0].instances[0].bbox', r'lies outside the 60x40 image'),
    ('x2 < x1', _set(['images', 0, 'instances', 1, 'bbox'],
                     [18, 10, 12, 16]), 'images[0].instances[1].bbox', r'x2 \(12\) < x1 \(18\)'),
    ('y2 < y1', _set(['images', 0, 'instances', 1, 'bbox'],
                     [12, 16, 18, 10]), 'images[0].instances[1].bbox', r'y2 \(10\) < y1 \(16\)'),
    ('bbox not 4 numbers', _set(['images', 0, 'instances', 1, 'bbox'], [12, 10, 18]),
     'images[0].instances[1].bbox', r'expected \[x1, y1, x2, y2\] of 4 finite'),
    ('subject not a person', _set(['images', 0, 'interactions', 0, 'subject_id'],
                                  3), 'images[0].interactions[0].subject_id',
     r"instance 3 is a 'chair' \(category 2\), but a subject must be a person"),
    ('instance index out of range', _set(['images', 0, 'interactions', 1, 'object_id'], 4),
     'images[0].interactions[1].object_id', r'instance index 4 out of range \[0, 4\)'),
    ('action id out of range', _set(['images', 0, 'interactions', 0, 'action_ids'], [0, 4]),
     'images[0].interactions[0].action_ids[1]', r'action id 4 out of range \[0, 4\)'),
    ('object id out of range', _set(['images', 0, 'instances', 1, 'category_id'], 3),
     'images[0].instances[1].category_id', r'object id 3 out of range \[0, 3\)'),
    ('part id out of range', _set(['images', 0, 'interactions', 0, 'contact_parts'], [0, 6]),
     'images[0].interactions[0].contact_parts[0]', r'body part id 0 out of range \[1, 18\)'),
    ('empty action list', _set(['images', 0, 'interactions', 0, 'action_ids'], []),
     'images[0].interactions[0].action_ids', r'empty: every interaction needs at least one action'),
    ('action not a valid HOI category', _set(['images', 0, 'interactions', 0, 'action_ids'],
                                             [2]), 'images[0].interactions[0].action_ids[0]',
     r"\('sit_on', 'cup'\) = \[2, 1\] is not in metainfo.hoi_categories"),
    ('missing required field', _set(['images', 1, 'contact_mask'],
                                    DELETE), 'images[1].contact_mask', r'missing required field'),
    ('missing instance field', _set(['images', 0, 'instances', 2, 'category_id'], DELETE),
     'images[0].instances[2].category_id', r'missing required field'),
    ('duplicate image id', _set(['images', 1, 'id'],
                                1), 'images[1].id', r'duplicate image id 1 \(also images\[0\]\)'),
    ('duplicate file name', _set(['images', 1, 'file_name'], 'images/a.png'), 'images[1].file_name',
     r"duplicate file_name 'images/a.png'"),
    ('duplicate pair',
     _set(['images', 0, 'interactions', 1],
          dict(subject_id=0, object_id=1, action_ids=[0], contact_parts=[])),
     'images[0].interactions[1]', r'duplicate pair \(subject 0, object 1\)'),
    ('subject is its own object', _set(['images', 0, 'interactions', 0, 'object_id'], 0),
     'images[0].interactions[0].object_id', r'same instance as subject_id'),
    ('wrong type', _set(['images', 0, 'width'],
                        '60'), 'images[0].width', r"expected a positive integer, got '60'"),
    ('metainfo without person first', _set(['metainfo', 'objects'], ['cup', 'person', 'chair']),
     'metainfo.objects[0]', r"must be \"person\""),
]


@pytest.mark.parametrize(
    'name,edit,field,message', CONTENT_CASES, ids=[c[0] for c in CONTENT_CASES])
def test_each_bad_content_is_reported(tmp_path, name, edit, field, message):
    ann = write_dataset(tmp_path, images=[IMAGE_1, IMAGE_2])
    assert check_dataset(ann) == []
    edit_annotation(ann, edit)
    problems = check_dataset(ann)
    assert problems, name
    match = [p for p in problems if p.field == field]
    assert match, [str(p) for p in problems]
    assert match[0].file == ann
    assert re.search(message, match[0].message), match[0].message
    # the dataset refuses the same file, naming the same file, image and field
    with pytest.raises(PaIRFormatError) as info:
        PaIRDataset(ann_file=ann)
    assert info.value.file == ann
    assert info.value.field == problems[0].field
    if field.startswith('images['):
        index = int(field[len('images['):field.index(']')])
        image = json.load(open(ann))['images'][index]
        assert f"(id {image['id']}, file_name {image['file_name']!r})" in str(match[0])


def test_every_problem_is_listed_none_dropped(tmp_path):
    ann = write_dataset(tmp_path, images=[IMAGE_1, IMAGE_2])

    def edit(a):
        for k, inst in enumerate(a['images'][0]['instances']):
            inst['bbox'] = [50, 0, 40 + k, 5]  # 4 x2 < x1
        a['images'][1]['interactions'][0]['action_ids'] = [7, 8]  # 2 ids
        a['images'][1]['id'] = 1  # 1 duplicate

    edit_annotation(ann, edit)
    problems = check_dataset(ann)
    fields = [p.field for p in problems]
    assert fields == [f'images[0].instances[{k}].bbox' for k in range(4)] + [
        'images[1].id', 'images[1].interactions[0].action_ids[0]',
        'images[1].interactions[0].action_ids[1]'
    ]


def test_file_problems(tmp_path):
    """Missing image, unreadable image, wrong size, missing mask, RGB mask, mask of
    the wrong size, mask with values that are not part ids."""
    images = [
        dict(IMAGE_1, id=k + 1, file_name=f'images/{k}.png', contact_mask=f'masks/{k}.png')
        for k in range(7)
    ]
    masks = {f'masks/{k}.png': np.zeros((40, 60), np.uint8) for k in range(7)}
    ann = write_dataset(tmp_path, images=images, masks=masks)
    root = str(tmp_path)
    os.remove(osp.join(root, 'images/0.png'))
    with open(osp.join(root, 'images/1.png'), 'wb') as f:
        f.write(b'not an image at all')
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(osp.join(root, 'images/2.png'))
    os.remove(osp.join(root, 'masks/3.png'))
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(osp.join(root, 'masks/4.png'))
    Image.fromarray(np.zeros((41, 60), np.uint8)).save(osp.join(root, 'masks/5.png'))
    bad_values = np.zeros((40, 60), np.uint8)
    bad_values[0, 0], bad_values[1, 1] = 18, 200
    Image.fromarray(bad_values).save(osp.join(root, 'masks/6.png'))
    problems = [str(p) for p in check_dataset(ann)]
    expected = [
        rf"{ann}: images\[0\] \(id 1, file_name 'images/0.png'\): file_name: no such "
        r'image file: .*images/0.png',
        r'images/1.png: \(file\): cannot read image: .* \(referenced by .*train.json '
        r"images\[1\] \(id 2, file_name 'images/1.png'\): file_name\)",
        rf"{ann}: images\[2\] \(id 3, file_name 'images/2.png'\): width/height: 60x40 "
        r'in the annotation, but .*images/2.png is 50x40',
        rf"{ann}: images\[3\] \(id 4, file_name 'images/3.png'\): contact_mask: no "
        r'such contact mask: .*masks/3.png',
        r'masks/4.png: mode: expected a single-channel 8-bit PNG \(mode L or P\) '
        r'of part ids, got mode RGB',
        r'masks/5.png: size: contact mask is 60x41 \(WxH\), but the image is 60x40',
        r'masks/6.png: values: values \[18, 200\] are not part ids .*\(referenced by '
        r".*train.json images\[6\] \(id 7, file_name 'images/6.png'\): contact_mask\)",
    ]
    assert len(problems) == len(expected), problems
    for pattern, problem in zip(expected, problems):
        assert re.search(pattern, problem), (pattern, problem)


def test_malformed_and_missing_files(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"images": [1, 2,]}')
    problems = check_dataset(str(bad))
    assert len(problems) == 1
    assert problems[0].field == 'line 1 column 18'
    assert problems[0].message.startswith('malformed JSON')
    problems = check_dataset(str(tmp_path / 'none.json'))
    assert [p.message for p in problems] == ['no such annotation file']
    top = tmp_path / 'list.json'
    top.write_text('[]')
    assert 'expected a JSON object' in check_dataset(str(top))[0].message
    no_images = tmp_path / 'empty.json'
    no_images.write_text(json.dumps(dict(metainfo=dict(objects=['person'], actions=['a']))))
    assert [(p.field, p.message)
            for p in check_dataset(str(no_images))] == [('images', 'missing required field')]


def test_cli_exit_status_and_listing(tmp_path, capsys):
    checker = load_tool('tools/data/check_dataset.py')
    ann = write_dataset(tmp_path, images=[IMAGE_1, IMAGE_2])
    assert checker.main([ann, '--quiet']) == 0
    assert 'OK' in capsys.readouterr().out
    edit_annotation(ann, _set(['images', 0, 'instances', 1, 'bbox'], [18, 10, 12, 16]))
    edit_annotation(ann, _set(['images', 1, 'id'], 1))
    assert checker.main([ann, '--quiet']) == 1
    out = capsys.readouterr()
    assert out.out.strip().splitlines() == [
        f"{ann}: images[0] (id 1, file_name 'images/a.png'): instances[1].bbox: "
        'x2 (12) < x1 (18)',
        f"{ann}: images[1] (id 1, file_name 'images/b.png'): id: duplicate image id 1 "
        '(also images[0])'
    ]
    assert '2 problem(s)' in out.err


def test_cli_checks_images_under_their_own_prefix(tmp_path, capsys):
    """A converted set whose images stayed in place: masks under the data root, images
    under the prefix its conversion printed."""
    checker = load_tool('tools/data/check_dataset.py')
    ann = write_dataset(tmp_path / 'set', images=[IMAGE_1, IMAGE_2])
    os.makedirs(tmp_path / 'photos')
    os.rename(tmp_path / 'set' / 'images', tmp_path / 'photos' / 'images')
    assert checker.main([ann, '--quiet']) == 1
    assert 'no such image file' in capsys.readouterr().out
    assert checker.main([ann, '--quiet', '--img-prefix', str(tmp_path / 'photos')]) == 0
