"""The predictions file: round trip, DumpPaIRPredictions, and a clear error for each
kind of bad input."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from pair_plugin.evaluation import (DumpPaIRPredictions, prediction_mask_path,
                                    read_prediction_mask, read_predictions_file,
                                    write_prediction_mask, write_predictions_file)
from pair_plugin.registry import METRICS
from pair_plugin.structures import PaIRFormatError

HOI = dict(subject_bbox=[0, 0, 9, 9], object_bbox=[20.5, 20, 29, 29.25], object_id=1,
           action_id=2, score=0.91)


def test_mask_paths_keep_the_relative_path_inside_the_masks_folder():
    assert prediction_mask_path('images/0001.jpg') == 'pred_masks/images/0001.png'
    assert prediction_mask_path('/abs/a.b.jpg', 'm') == 'm/abs/a.b.png'
    assert prediction_mask_path('../up/x.jpg') == 'pred_masks/__/up/x.png'


def test_round_trip(tmp_path):
    mask = np.array([[0, 1, 17], [255, 6, 0]], np.uint8)
    write_prediction_mask(str(tmp_path / 'pred_masks/images/a.png'), mask)
    records = [
        dict(file_name='images/a.jpg',
             pred_hois=dict(subject_bboxes=torch.tensor([[0., 0., 9., 9.]]),
                            object_bboxes=np.array([[20.5, 20, 29, 29.25]]),
                            object_labels=[1], action_labels=np.array([2]),
                            scores=torch.tensor([0.91])),
             contact_mask='pred_masks/images/a.png',
             part_scores=np.linspace(0, 1, 17)),
        dict(file_name='images/b.jpg',
             pred_hois=dict(subject_bboxes=np.zeros((0, 4)), object_bboxes=np.zeros((0, 4)),
                            object_labels=[], action_labels=[], scores=[]),
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
    np.testing.assert_array_equal(
        read_prediction_mask(pred_file, '[0].contact_mask', read[0]['contact_mask'],
                             (2, 3)), mask)


def write_entries(tmp_path, entries):
    path = tmp_path / 'pred.json'
    path.write_text(json.dumps(entries))
    return str(path)


@pytest.mark.parametrize('entries, field, message', [
    ({'file_name': 'a'}, '(top level)', 'a list of per-image predictions expected'),
    ([{'hois': []}], '[0].file_name', 'missing field'),
    ([{'file_name': 'a'}], '[0].hois', 'missing field'),
    ([{'file_name': 'a', 'hois': [dict(HOI, score=None)]}], '[0].hois[0].score',
     'a finite number expected'),
    ([{'file_name': 'a', 'hois': [{k: v for k, v in HOI.items() if k != 'score'}]}],
     '[0].hois[0]', "missing field(s) ['score']"),
    ([{'file_name': 'a', 'hois': [dict(HOI, subject_bbox=[0, 0, 9])]}],
     '[0].hois[0].subject_bbox', 'a box is 4 finite numbers'),
    ([{'file_name': 'a', 'hois': [dict(HOI, object_bbox=[10, 0, 9, 9])]}],
     '[0].hois[0].object_bbox', 'x2 < x1 or y2 < y1'),
    ([{'file_name': 'a', 'hois': [dict(HOI, object_id=5)]}], '[0].hois[0].object_id',
     'object id 5 out of range: the metainfo has 2'),
    ([{'file_name': 'a', 'hois': [dict(HOI, action_id=True)]}],
     '[0].hois[0].action_id', 'a 0-based action id'),
    ([{'file_name': 'a', 'hois': []}, {'file_name': 'a', 'hois': []}],
     '[1].file_name', 'a already has predictions at [0]'),
    ([{'file_name': 'a', 'hois': [], 'part_scores': [0.5] * 16}], '[0].part_scores',
     '17 finite numbers or null expected'),
    ([{'file_name': 'a', 'hois': [], 'contact_mask': 3}], '[0].contact_mask',
     'a path string or null expected'),
])
def test_bad_entries_name_the_file_and_field(tmp_path, entries, field, message):
    path = write_entries(tmp_path, entries)
    with pytest.raises(PaIRFormatError) as error:
        read_predictions_file(path, num_objects=2, num_actions=3)
    assert error.value.file == path
    assert error.value.field == field
    assert message in error.value.message


def test_malformed_json_and_missing_file(tmp_path):
    path = tmp_path / 'pred.json'
    path.write_text('[{"file_name": "a", "hois": [}]')
    with pytest.raises(PaIRFormatError, match=r'pred.json: line 1 column 30: malformed '
                       'JSON'):
        read_predictions_file(str(path))
    with pytest.raises(PaIRFormatError, match='nothing.json: \\(file\\): the predictions '
                       'file does not exist'):
        read_predictions_file(str(tmp_path / 'nothing.json'))


def test_bad_masks_name_the_file_and_field(tmp_path):
    pred_file = str(tmp_path / 'pred.json')
    good = tmp_path / 'good.png'
    write_prediction_mask(str(good), np.zeros((4, 6), np.uint8))
    with pytest.raises(PaIRFormatError, match=r'\[0\].contact_mask: mask .*good.png is '
                       r'6x4 \(w x h\) but the image is 5x4'):
        read_prediction_mask(pred_file, '[0].contact_mask', str(good), (4, 5))
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(rgb)
    with pytest.raises(PaIRFormatError, match='has mode RGB: a single-channel 8-bit'):
        read_prediction_mask(pred_file, '[0].contact_mask', str(rgb))
    values = tmp_path / 'values.png'
    Image.fromarray(np.full((4, 6), 40, np.uint8)).save(values)
    with pytest.raises(PaIRFormatError, match=r'holds values \[40\]'):
        read_prediction_mask(pred_file, '[0].contact_mask', str(values))
    with pytest.raises(PaIRFormatError, match='does not exist'):
        read_prediction_mask(pred_file, '[0].contact_mask', str(tmp_path / 'no.png'))
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(PaIRFormatError, match='cannot read mask'):
        read_prediction_mask(pred_file, '[0].contact_mask', str(broken))
    with pytest.raises(ValueError, match='values must be 0..17 or 255'):
        write_prediction_mask(str(tmp_path / 'x.png'), np.full((2, 2), 20))


def test_dump_metric_writes_the_file_and_masks(tmp_path):
    assert METRICS.get('DumpPaIRPredictions') is DumpPaIRPredictions
    out_file = str(tmp_path / 'out/predictions.json')
    metric = DumpPaIRPredictions(out_file=out_file)
    samples = [
        dict(file_name='images/a.jpg',
             pred_hois=dict(subject_bboxes=torch.tensor([[0., 0., 9., 9.]]),
                            object_bboxes=torch.tensor([[20., 20., 29., 29.]]),
                            object_labels=torch.tensor([1]),
                            action_labels=torch.tensor([2]),
                            scores=torch.tensor([0.5])),
             pred_sem_seg=dict(sem_seg=torch.tensor([[[0, 3], [17, 0]]])),
             pred_parts=torch.full((17, ), 0.25)),
        dict(file_name='images/b.jpg',
             pred_hois=dict(subject_bboxes=torch.zeros(0, 4),
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
    np.testing.assert_array_equal(
        read_prediction_mask(out_file, '[0].contact_mask', read[0]['contact_mask']),
        [[0, 3], [17, 0]])
    with pytest.raises(ValueError, match='must be a .json file'):
        DumpPaIRPredictions(out_file='x.pkl')
    with pytest.raises(ValueError, match='two records for images/b.jpg'):
        write_predictions_file(str(tmp_path / 'dup.json'), [samples[1], samples[1]])
