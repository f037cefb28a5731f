"""The predictions file: round trip, DumpPaIRPredictions, and a clear error for each
kind of bad input."""
import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

from pair_plugin.evaluation import (DumpPaIRPredictions, prediction_mask_path, read_prediction_mask,
                                    read_predictions_file, write_prediction_mask,
                                    write_predictions_file)
from pair_plugin.registry import METRICS
from pair_plugin.structures import PaIRFormatError
from pair_plugin.structures.format_checks import referenced_by

HOI = dict(
    subject_bbox=[0, 0, 9, 9],
    object_bbox=[20.5, 20, 29, 29.25],
    object_id=1,
    action_id=2,
    score=0.91)


def test_mask_paths_keep_the_relative_path_inside_the_masks_folder():
    assert prediction_mask_path('images/0001.jpg') == 'pred_masks/images/0001.png'
    assert prediction_mask_path('/abs/a.b.jpg', 'm') == 'm/abs/a.b.png'
    assert prediction_mask_path('../up/x.jpg') == 'pred_masks/__/up/x.png'


def test_round_trip(tmp_path):
    mask = np.array([[0, 1, 17], [255, 6, 0]], np.uint8)
    write_prediction_mask(str(tmp_path / 'pred_masks/images/a.png'), mask)
    records = [
        dict(
            file_name='images/a.jpg',
            pred_hois=dict(
                subject_bboxes=torch.tensor([[0., 0., 9., 9.]]),
                object_bboxes=np.array([[20.5, 20, 29, 29.25]]),
                object_labels=[1],
                action_labels=np.array([2]),
                scores=torch.tensor([0.91])),
            contact_mask='pred_masks/images/a.png',
            part_scores=np.linspace(0, 1, 17)),
        dict(
            file_name='images/b.jpg',
            pred_hois=dict(
                subject_bboxes=np.zeros((0, 4)),
                object_bboxes=np.zeros((0, 4)),
                object_labels=[],
                action_labels=[],
                scores=[]),
            contact_mask=None),
    ]
    pred_file = str(tmp_path / 'predictions.json')
    write_predictions_file(pred_file, records)
    content = json.loads((tmp_path / 'predictions.json').read_text())
    assert content[0]['hois'][0]['object_bbox'] == [20.5, 20.0, 29.0, 29.25]
    assert content[0]['hois'][0]['score'] == pytest.approx(0.91)
    assert content[1] == dict(file_name='images/b.jpg', hois=[], contact_mask=None)

    read = read_predictions_file(pred_file, num_objects=2, num_actions=3)
    assert [r['file_name'] for r in read] == ['images/a.jpg', 'images/b.jpg']
    hois = read[0]['pred_hois']
    np.testing.assert_array_equal(hois['subject_bboxes'], [[0, 0, 9, 9]])
    np.testing.assert_array_equal(hois['object_labels'], [1])
    np.testing.assert_array_equal(hois['action_labels'], [2])
    assert hois['scores'][0] == np.float32(0.91)  # float32 values survive exactly
    assert read[1]['pred_hois']['subject_bboxes'].shape == (0, 4)
    np.testing.assert_allclose(read[0]['part_scores'], np.linspace(0, 1, 17))
    assert read[1]['contact_mask'] is None and read[1]['part_scores'] is None
    assert read[0]['contact_mask'] == str(tmp_path / 'pred_masks/images/a.png')
    np.testing.assert_array_equal(read_prediction_mask(read[0]['contact_mask'], (2, 3)), mask)


def write_entries(tmp_path, entries):
    path = tmp_path / 'pred.json'
    path.write_text(json.dumps(entries))
    return str(path)


@pytest.mark.parametrize('entries, field, message', [
    ({
        'file_name': 'a'
    }, '(root)', 'expected an array of per-image predictions, got '
     'object'),
    ([{
        'hois': []
    }], '[0].file_name', 'missing required field'),
    ([{
        'file_name': 'a'
    }], '[0].hois', 'missing required field'),
    ([{
        'file_name': 'a',
        'hois': [dict(HOI, score=None)]
    }], '[0].hois[0].score', 'expected a finite number, got None'),
    ([{
        'file_name': 'a',
        'hois': [{
            k: v
            for k, v in HOI.items() if k != 'score'
        }]
    }], '[0].hois[0].score', 'missing required field'),
    ([{
        'file_name': 'a',
        'hois': [dict(HOI, subject_bbox=[0, 0, 9])]
    }], '[0].hois[0].subject_bbox', 'expected [x1, y1, x2, y2] of 4 finite numbers'),
    ([{
        'file_name': 'a',
        'hois': [dict(HOI, object_bbox=[10, 0, 9, 9])]
    }], '[0].hois[0].object_bbox', 'x2 (9) < x1 (10)'),
    ([{
        'file_name': 'a',
        'hois': [dict(HOI, object_id=5)]
    }], '[0].hois[0].object_id', 'object id 5 out of range [0, 2)'),
    ([{
        'file_name': 'a',
        'hois': [dict(HOI, action_id=True)]
    }], '[0].hois[0].action_id', 'expected an integer action id, got True'),
    ([{
        'file_name': 'a',
        'hois': []
    }, {
        'file_name': 'a',
        'hois': []
    }], '[1].file_name', "duplicate file_name 'a' (also [0])"),
    ([{
        'file_name': 'a',
        'hois': [],
        'part_scores': [0.5] * 16
    }], '[0].part_scores', 'expected an array of 17 finite numbers'),
    ([{
        'file_name': 'a',
        'hois': [],
        'contact_mask': 3
    }], '[0].contact_mask', 'expected a path string or null, got 3'),
])
def test_bad_entries_name_the_file_and_field(tmp_path, entries, field, message):
    path = write_entries(tmp_path, entries)
    with pytest.raises(PaIRFormatError) as error:
        read_predictions_file(path, num_objects=2, num_actions=3)
    assert error.value.file == path
    assert error.value.field == field
    assert message in error.value.message


def test_errors_name_the_entry_file_name(tmp_path):
    path = write_entries(tmp_path, [{
        'file_name': 'images/0017.jpg',
        'hois': [dict(HOI, score=float('nan'))]
    }])
    with pytest.raises(PaIRFormatError) as error:
        read_predictions_file(path)
    assert str(error.value) == (f"{path}: [0] (file_name 'images/0017.jpg'): "
                                'hois[0].score: expected a finite number, got nan')


def test_malformed_json_and_missing_file(tmp_path):
    path = tmp_path / 'pred.json'
    path.write_text('[{"file_name": "a", "hois": [}]')
    with pytest.raises(
            PaIRFormatError, match=r'pred.json: line 1 column 30: malformed '
            'JSON'):
        read_predictions_file(str(path))
    with pytest.raises(
            PaIRFormatError, match=r'nothing.json: \(file\): no such '
            'predictions file'):
        read_predictions_file(str(tmp_path / 'nothing.json'))


def test_bad_masks_name_the_mask_and_where_it_was_named(tmp_path):
    where = referenced_by('pred.json', '[0].contact_mask', dict(file_name='a.jpg'))
    good = tmp_path / 'good.png'
    write_prediction_mask(str(good), np.zeros((4, 6), np.uint8))
    with pytest.raises(PaIRFormatError) as error:
        read_prediction_mask(str(good), (4, 5), where)
    assert str(
        error.value) == (f'{good}: size: predicted contact mask is 6x4 (WxH), but the image is 5x4 '
                         "(referenced by pred.json [0] (file_name 'a.jpg'): contact_mask)")
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(rgb)
    with pytest.raises(PaIRFormatError, match='rgb.png: mode: .* got mode RGB'):
        read_prediction_mask(str(rgb))
    with pytest.raises(PaIRFormatError, match='no such predicted contact mask'):
        read_prediction_mask(str(tmp_path / 'no.png'))
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(PaIRFormatError, match='cannot read predicted contact mask'):
        read_prediction_mask(str(broken))
    # values outside 0..17 are read as they are: ContactMetric scores them as misses
    values = tmp_path / 'values.png'
    Image.fromarray(np.full((4, 6), 255, np.uint8)).save(values)
    assert (read_prediction_mask(str(values)) == 255).all()
    with pytest.raises(ValueError, match='values must be 0..17 or 255'):
        write_prediction_mask(str(tmp_path / 'x.png'), np.full((2, 2), 20))


def test_dump_metric_writes_the_file_and_masks(tmp_path):
    assert METRICS.get('DumpPaIRPredictions') is DumpPaIRPredictions
    out_file = str(tmp_path / 'out/predictions.json')
    metric = DumpPaIRPredictions(out_file=out_file)
    samples = [
        dict(
            file_name='images/a.jpg',
            pred_hois=dict(
                subject_bboxes=torch.tensor([[0., 0., 9., 9.]]),
                object_bboxes=torch.tensor([[20., 20., 29., 29.]]),
                object_labels=torch.tensor([1]),
                action_labels=torch.tensor([2]),
                scores=torch.tensor([0.5])),
            pred_sem_seg=dict(sem_seg=torch.tensor([[[0, 3], [17, 0]]])),
            pred_parts=torch.full((17, ), 0.25)),
        dict(
            file_name='images/b.jpg',
            pred_hois=dict(
                subject_bboxes=torch.zeros(0, 4),
                object_bboxes=torch.zeros(0, 4),
                object_labels=torch.zeros(0, dtype=torch.long),
                action_labels=torch.zeros(0, dtype=torch.long),
                scores=torch.zeros(0))),
    ]
    metric.process({}, samples)
    assert (tmp_path / 'out/pred_masks/images/a.png').is_file()  # written at once
    assert metric.evaluate(2) == {}
    read = read_predictions_file(out_file)
    assert read[0]['pred_hois']['scores'].tolist() == [0.5]
    assert read[0]['part_scores'].tolist() == [0.25] * 17
    assert read[1]['contact_mask'] is None and read[1]['pred_hois']['scores'].size == 0
    np.testing.assert_array_equal(read_prediction_mask(read[0]['contact_mask']), [[0, 3], [17, 0]])
    with pytest.raises(ValueError, match='must be a .json file'):
        DumpPaIRPredictions(out_file='x.pkl')
    with pytest.raises(ValueError, match='two records for images/b.jpg'):
        write_predictions_file(str(tmp_path / 'dup.json'), [samples[1], samples[1]])


def test_a_bad_box_reads_the_same_in_both_files(tmp_path):
    """The annotation checker and the predictions reader share their field checkers."""
    from pair_plugin.datasets import check_annotation_content
    box = [10, 0, 9, 9]
    ann = dict(
        metainfo=dict(objects=['person', 'cup'], actions=['hold']),
        images=[
            dict(
                id=1,
                file_name='a.jpg',
                width=40,
                height=40,
                contact_mask=None,
                instances=[dict(bbox=box, category_id=0)],
                interactions=[])
        ])
    (problem, ) = check_annotation_content(ann, 'ann.json')
    path = write_entries(tmp_path, [{'file_name': 'a.jpg', 'hois': [dict(HOI, subject_bbox=box)]}])
    with pytest.raises(PaIRFormatError) as error:
        read_predictions_file(path)
    assert problem.message == error.value.message == 'x2 (9) < x1 (10)'
    assert problem.image['file_name'] == error.value.image['file_name'] == 'a.jpg'


@pytest.mark.parametrize('mask, message', [
    ('../x.png', "'../x.png' leaves the predictions file's folder"),
    ('pred_masks/../../x.png', "leaves the predictions file's folder"),
    ('/abs/x.png', "absolute path '/abs/x.png'"),
])
def test_a_mask_path_outside_the_file_folder_is_refused(tmp_path, mask, message):
    path = write_entries(tmp_path, [{
        'file_name': 'images/7.jpg',
        'hois': [],
        'contact_mask': mask
    }])
    with pytest.raises(PaIRFormatError) as error:
        read_predictions_file(path)
    assert error.value.file == path
    assert error.value.field == '[0].contact_mask'
    assert error.value.image['file_name'] == 'images/7.jpg'
    assert message in error.value.message


def test_a_symlink_out_of_the_folder_is_refused_one_inside_is_read(tmp_path):
    folder = tmp_path / 'preds'
    (folder / 'pred_masks').mkdir(parents=True)
    write_prediction_mask(str(tmp_path / 'secret.png'), np.zeros((2, 2), np.uint8))
    write_prediction_mask(str(folder / 'pred_masks/real.png'), np.zeros((2, 2), np.uint8))
    (folder / 'pred_masks/out.png').symlink_to(tmp_path / 'secret.png')
    (folder / 'pred_masks/in.png').symlink_to(folder / 'pred_masks/real.png')
    (folder / 'linked_dir').symlink_to(tmp_path)
    for mask in ('pred_masks/out.png', 'linked_dir/secret.png'):
        path = write_entries(folder, [{'file_name': 'a.jpg', 'hois': [], 'contact_mask': mask}])
        with pytest.raises(
                PaIRFormatError,
                match=r'\[0\] \(file_name .a\.jpg.\): contact_mask: '
                f"'{mask}' is \\(or lies under\\) a symlink to .*secret.png, outside"):
            read_predictions_file(path)
    path = write_entries(folder, [{
        'file_name': 'a.jpg',
        'hois': [],
        'contact_mask': 'pred_masks/x/../in.png'
    }])
    assert read_predictions_file(path)[0]['contact_mask'] == str(folder / 'pred_masks/in.png')


def test_writers_replace_a_file_only_when_the_new_one_is_complete(tmp_path, monkeypatch):
    from pair_plugin.evaluation import predictions_file
    pred_file = tmp_path / 'predictions.json'
    write_predictions_file(str(pred_file), [])
    old = pred_file.read_text()

    def disk_full(content, f):
        f.write('[{"file_name": "a')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(predictions_file.json, 'dump', disk_full)
    record = dict(
        file_name='a.jpg',
        pred_hois=dict(
            subject_bboxes=np.zeros((0, 4)),
            object_bboxes=np.zeros((0, 4)),
            object_labels=[],
            action_labels=[],
            scores=[]),
        contact_mask=None)
    with pytest.raises(OSError, match='No space left'):
        write_predictions_file(str(pred_file), [record])
    assert pred_file.read_text() == old == '[]'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['predictions.json']
    mask_file = tmp_path / 'm.png'
    write_prediction_mask(str(mask_file), np.ones((2, 3), np.uint8))
    assert read_prediction_mask(str(mask_file)).tolist() == [[1, 1, 1], [1, 1, 1]]
    # the umask's permissions, as a plain open() gives (not a temporary file's 0600)
    assert mask_file.stat().st_mode & 0o777 == pred_file.stat().st_mode & 0o777
    assert pred_file.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
