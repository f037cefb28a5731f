"""The offline evaluation on real V-COCO boxes (9 COCO photos, converted to the PaIR
format by the project's converter): perfect predictions score 100, and perturbed ones score what
the plain QPIC transcription says. Skips when the shared real data is absent."""
import json
from pathlib import Path

import numpy as np
import pytest
from plain_hoi_reference import PlainHOIEvaluator

from tests.helpers import REAL_DATA, load_tool

REAL = Path(REAL_DATA) / 'vcoco_real'
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f'real sample data not found at {REAL}')


def predictions_from_ground_truth(ann, rng, perturb):
    """One triplet per ground-truth (pair, action); with ``perturb``, also a duplicate,
    a shifted object box (IoU < 0.5) and a wrong action, at random scores."""
    entries = []
    for img in ann['images']:
        hois = []
        for inter in img['interactions']:
            sub = img['instances'][inter['subject_id']]['bbox']
            obj = img['instances'][inter['object_id']]
            for action in inter['action_ids']:
                hoi = dict(
                    subject_bbox=sub,
                    object_bbox=obj['bbox'],
                    object_id=obj['category_id'],
                    action_id=action,
                    score=float(rng.uniform(0.3, 1)) if perturb else 0.9)
                hois.append(hoi)
                if perturb:
                    w = obj['bbox'][2] - obj['bbox'][0]
                    shifted = [
                        obj['bbox'][0] + w, obj['bbox'][1], obj['bbox'][2] + w, obj['bbox'][3]
                    ]
                    other_action = (action + 1) % len(ann['metainfo']['actions'])
                    hois += [
                        dict(hoi, score=float(rng.uniform(0, 1))),
                        dict(hoi, object_bbox=shifted, score=float(rng.uniform(0, 1))),
                        dict(hoi, action_id=other_action, score=float(rng.uniform(0, 1)))
                    ]
        entries.append(dict(file_name=img['file_name'], hois=hois, contact_mask=None))
    return entries


def reference_map(ann, entries):
    gts, preds = [], []
    num_actions = len(ann['metainfo']['actions'])
    for img, entry in zip(ann['images'], entries):
        actions = np.zeros((len(img['interactions']), num_actions))
        for p, inter in enumerate(img['interactions']):
            actions[p, inter['action_ids']] = 1
        gts.append(
            dict(
                boxes=[i['bbox'] for i in img['instances']],
                labels=[i['category_id'] for i in img['instances']],
                subject_ids=[i['subject_id'] for i in img['interactions']],
                object_ids=[i['object_id'] for i in img['interactions']],
                actions=actions))
        preds.append(
            dict(
                subject_bboxes=[h['subject_bbox'] for h in entry['hois']],
                object_bboxes=[h['object_bbox'] for h in entry['hois']],
                object_labels=[h['object_id'] for h in entry['hois']],
                action_labels=[h['action_id'] for h in entry['hois']],
                scores=[h['score'] for h in entry['hois']]))
    return PlainHOIEvaluator(preds, gts, [], []).evaluate()['mAP'] * 100


@pytest.mark.parametrize('perturb', [False, True])
def test_real_vcoco_boxes(tmp_path, capsys, perturb):
    from pair_plugin.datasets.converters import convert_vcoco
    convert_vcoco(
        str(REAL / 'annotations/test_vcoco_qpic_derived_test.json'),
        str(REAL / 'images'),
        str(tmp_path / 'vcoco'),
        'test',
        progress=False)
    ann_file = tmp_path / 'vcoco/annotations/test.json'
    ann = json.loads(ann_file.read_text())
    assert sum(len(img['interactions']) for img in ann['images']) > 5
    entries = predictions_from_ground_truth(ann, np.random.default_rng(0), perturb)
    pred_file = tmp_path / 'predictions.json'
    pred_file.write_text(json.dumps(entries))
    assert load_tool('tools/analysis/eval_predictions.py').main(
        [str(ann_file), str(pred_file), '--no-contact']) == 0
    printed = dict(
        line.split(': ') for line in capsys.readouterr().out.splitlines()
        if line.startswith('hoi/'))
    expected = reference_map(ann, entries)
    assert float(printed['hoi/mAP']) == pytest.approx(expected, abs=1e-4)
    if perturb:
        assert 0 < expected < 100
    else:
        assert expected == pytest.approx(100.0)
