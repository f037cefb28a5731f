"""tools/analysis/eval_predictions.py end to end on tiny files written by the test."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pair_plugin.evaluation import write_prediction_mask
from tests.helpers import REPO, load_tool

TOOL = Path(REPO) / 'tools/analysis/eval_predictions.py'
PERSON, CUP = [0, 0, 9, 9], [20, 20, 29, 29]


def make_split(root: Path) -> Path:
    """Two 4x6 images: a.jpg holds a cup (hand = part 6 in contact), b.jpg sits on a
    chair without contact annotation."""
    (root / 'masks').mkdir(parents=True)
    gt_mask = np.zeros((4, 6), np.uint8)
    gt_mask[0, :4] = 6  # 4 pixels of part 6 (left hand)
    gt_mask[3, :] = 255
    Image.fromarray(gt_mask).save(root / 'masks/a.png')
    ann = dict(
        metainfo=dict(
            objects=['person', 'cup', 'chair'],
            actions=['hold', 'sit_on'],
            hoi_categories=[[0, 1], [1, 2]]),
        images=[
            dict(
                id=1,
                file_name='images/a.jpg',
                width=40,
                height=40,
                contact_mask='masks/a.png',
                instances=[dict(bbox=PERSON, category_id=0),
                           dict(bbox=CUP, category_id=1)],
                interactions=[dict(subject_id=0, object_id=1, action_ids=[0], contact_parts=[6])]),
            dict(
                id=2,
                file_name='images/b.jpg',
                width=40,
                height=40,
                contact_mask=None,
                instances=[dict(bbox=PERSON, category_id=0),
                           dict(bbox=CUP, category_id=2)],
                interactions=[dict(subject_id=0, object_id=1, action_ids=[1], contact_parts=[10])]),
        ])
    # the ground-truth mask is 4x6 but the image 40x40: fix the sizes to agree
    ann['images'][0].update(width=6, height=4)
    ann['images'][0]['instances'] = [
        dict(bbox=[0, 0, 2, 3], category_id=0),
        dict(bbox=[3, 0, 5, 3], category_id=1)
    ]
    (root / 'annotations').mkdir()
    ann_file = root / 'annotations/test.json'
    ann_file.write_text(json.dumps(ann))
    return ann_file


def make_predictions(root: Path, mask_size=(4, 6)) -> Path:
    """a.jpg: (hold, cup) found; b.jpg: (sit_on, chair) with a wrong person box, and a
    (hold, cup) although b.jpg holds no cup. Contact: 2 of the 4 part-6 pixels found,
    the other 2 predicted 255 (a miss), part 9 where there is no contact."""
    pred_mask = np.zeros(mask_size, np.uint8)
    pred_mask[0, :2] = 6
    pred_mask[0, 2:4] = 255
    pred_mask[1, :2] = 9
    write_prediction_mask(str(root / 'out/pred_masks/a.png'), pred_mask)
    entries = [
        dict(
            file_name='images/a.jpg',
            contact_mask='pred_masks/a.png',
            hois=[
                dict(
                    subject_bbox=[0, 0, 2, 3],
                    object_bbox=[3, 0, 5, 3],
                    object_id=1,
                    action_id=0,
                    score=0.9)
            ]),
        dict(
            file_name='images/b.jpg',
            contact_mask=None,
            hois=[
                dict(
                    subject_bbox=[20, 20, 30, 30],
                    object_bbox=CUP,
                    object_id=2,
                    action_id=1,
                    score=0.8),
                dict(
                    subject_bbox=[30, 0, 39, 9],
                    object_bbox=[30, 30, 39, 39],
                    object_id=1,
                    action_id=0,
                    score=0.95)
            ]),
    ]
    pred_file = root / 'out/predictions.json'
    pred_file.write_text(json.dumps(entries))
    return pred_file


def test_command_line_end_to_end(tmp_path):
    ann_file = make_split(tmp_path / 'data')
    pred_file = make_predictions(tmp_path)
    out = tmp_path / 'metrics.json'
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([
        sys.executable,
        str(TOOL),
        str(ann_file),
        str(pred_file), '--part-weights', 'hot', '--out',
        str(out)
    ],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = dict(
        line.split(': ') for line in proc.stdout.splitlines()
        if line.startswith(('hoi/', 'contact/')))
    # HOI, Default: (hold, cup) ranks FP 0.95 (b.jpg), TP 0.9 -> AP 50; (sit_on,
    # chair) missed -> 0. Known Object: b.jpg holds no cup in an interaction, so its
    # (hold, cup) does not count -> AP 100
    assert float(lines['hoi/mAP']) == pytest.approx(25.0)
    assert float(lines['hoi/mAP_ko']) == pytest.approx(50.0)
    assert float(lines['hoi/mean_max_recall_ko']) == pytest.approx(50.0)
    # contact on a.jpg only: SC-Acc 2/4 (the two 255s are misses), C-Acc too; IoU of
    # part 6 = 2 / 4 (part 9 ignored by HOT)
    assert float(lines['contact/SC-Acc']) == pytest.approx(50.0)
    assert float(lines['contact/C-Acc']) == pytest.approx(50.0)
    assert float(lines['contact/mIoU']) == pytest.approx(50.0 / 17, abs=1e-4)
    assert float(lines['contact/contact_precision']) == pytest.approx(50.0)
    assert float(lines['contact/strict_mIoU']) == pytest.approx((2 / 4 + 0) / 17 * 100, abs=1e-4)
    report = json.loads(out.read_text())
    assert report['metrics']['hoi/mAP'] == pytest.approx(25.0)
    assert report['metrics']['hoi/mAP_ko'] == pytest.approx(50.0)
    assert [c['name'] for c in report['hoi_categories']] == ['hold cup', 'sit_on chair']
    assert [c['ap'] for c in report['hoi_categories']] == pytest.approx([50.0, 0.0])
    assert [c['ap_ko'] for c in report['hoi_categories']] == pytest.approx([100.0, 0.0])
    assert report['contact_parts'][5]['iou'] == pytest.approx(50.0)
    pixels = np.array(report['contact_confusion']['pixels'])  # [prediction, truth]
    assert pixels.sum() == 18 and (pixels[6, 6], pixels[0, 6], pixels[9, 0]) == (2, 2, 2)


def test_confusion_plot_rows_are_ground_truth_shares(tmp_path, capsys):
    """a.png: of the 14 no-contact pixels 2 are predicted part 9 and 12 none; of the
    4 left-hand pixels 2 are found and 2 predicted none (255); no other part has a
    pixel."""
    tool = load_tool('tools/analysis/eval_predictions.py')
    ann_file = make_split(tmp_path / 'data')
    pred_file = make_predictions(tmp_path)
    plot = tmp_path / 'confusion.png'
    assert tool.main([str(ann_file),
                      str(pred_file), '--no-hoi', '--confusion-plot',
                      str(plot)]) == 0
    assert f'part confusion matrix: {plot}' in capsys.readouterr().out
    confusion = np.zeros((18, 18), np.int64)  # [prediction, truth]
    confusion[0, 0], confusion[9, 0], confusion[6, 6], confusion[0, 6] = 12, 2, 2, 2
    shares = tool.confusion_shares(confusion)  # [truth, prediction]
    assert shares[0, 0] == pytest.approx(12 / 14) and shares[0, 9] == pytest.approx(2 / 14)
    assert shares[6, 6] == shares[6, 0] == 0.5
    assert np.isnan(shares[[k for k in range(18) if k not in (0, 6)]]).all()

    image = np.asarray(Image.open(plot).convert('RGB')).astype(int)
    assert image.shape == (950, 1100, 3)
    # 16 of the 18 rows have no pixel (grey); two rows hold the four shares
    grey = (np.abs(image - 0xdd).sum(-1) <= 3).mean()
    assert grey > 0.15
    with pytest.raises(SystemExit):
        tool.parse_args(
            [str(ann_file),
             str(pred_file), '--no-contact', '--confusion-plot',
             str(plot)])


def test_float32_boundary_gives_one_number_on_every_route(tmp_path, capsys):
    """A ground-truth box that float32 cannot hold, matched at IoU exactly 0.5 in
    float64: the tool and HOIMetric fed directly both find the triplet."""
    from evaluation_samples import BOUNDARY_GT_BOX, BOUNDARY_PRED_BOX, hoi_sample

    from pair_plugin.evaluation import HOIMetric
    person = [10.1, 0, 30.1, 20]
    (tmp_path / 'data/annotations').mkdir(parents=True)
    ann_file = tmp_path / 'data/annotations/test.json'
    ann_file.write_text(
        json.dumps(
            dict(
                metainfo=dict(objects=['person', 'cup'], actions=['hold']),
                images=[
                    dict(
                        id=1,
                        file_name='a.jpg',
                        width=64,
                        height=64,
                        contact_mask=None,
                        instances=[
                            dict(bbox=person, category_id=0),
                            dict(bbox=BOUNDARY_GT_BOX, category_id=1)
                        ],
                        interactions=[
                            dict(subject_id=0, object_id=1, action_ids=[0], contact_parts=[])
                        ])
                ])))
    pred_file = tmp_path / 'predictions.json'
    pred_file.write_text(
        json.dumps([
            dict(
                file_name='a.jpg',
                hois=[
                    dict(
                        subject_bbox=person,
                        object_bbox=BOUNDARY_PRED_BOX,
                        object_id=1,
                        action_id=0,
                        score=0.9)
                ])
        ]))
    tool = load_tool('tools/analysis/eval_predictions.py')
    assert tool.main([str(ann_file), str(pred_file), '--no-contact']) == 0
    assert 'hoi/mAP: 100.0000' in capsys.readouterr().out

    metric = HOIMetric()
    metric.dataset_meta = dict(objects=('person', 'cup'), actions=('hold', ))
    metric.process({}, [
        hoi_sample([person, BOUNDARY_GT_BOX], [0, 1], [(0, 1, [0])],
                   [(person, BOUNDARY_PRED_BOX, 1, 0, 0.9)],
                   num_actions=1)
    ])
    assert metric.compute_metrics(metric.results)['mAP'] == pytest.approx(100.0)


def test_missing_entries_and_bad_masks(tmp_path, capsys):
    tool = load_tool('tools/analysis/eval_predictions.py')
    ann_file = make_split(tmp_path / 'data')
    pred_file = make_predictions(tmp_path)
    entries = json.loads(pred_file.read_text())
    pred_file.write_text(json.dumps(entries[:1]))
    assert tool.main([str(ann_file), str(pred_file)]) == 1
    err = capsys.readouterr().err
    assert 'predictions.json: (entries): 1 images of' in err
    assert "['images/b.jpg']" in err

    assert tool.main([str(ann_file), str(pred_file), '--allow-missing', '--no-contact']) == 0
    assert 'hoi/mAP: 50.0000' in capsys.readouterr().out  # b.jpg's (sit_on, chair) 0

    pred_file.write_text(json.dumps(entries + [dict(file_name='images/zz.jpg', hois=[])]))
    assert tool.main([str(ann_file), str(pred_file)]) == 1
    assert '[2].file_name: images/zz.jpg is not an image of' in capsys.readouterr().err

    make_predictions(tmp_path, mask_size=(5, 6))
    assert tool.main([str(ann_file), str(pred_file)]) == 1
    assert ("pred_masks/a.png: size: predicted contact mask is 6x5 (WxH), but the image "
            "is 6x4 (referenced by " in capsys.readouterr().err)

    entries[0]['contact_mask'] = None
    pred_file.write_text(json.dumps(entries))
    assert tool.main([str(ann_file), str(pred_file)]) == 1
    assert 'has a contact annotation but no predicted mask' in capsys.readouterr().err


def test_errors_table_json_and_plot(tmp_path, capsys):
    """--errors-plot: a.jpg's triplet is found, b.jpg's human box is missed; one
    stacked bar per object class (and one for all), coloured by outcome."""
    tool = load_tool('tools/analysis/eval_predictions.py')
    ann_file = make_split(tmp_path / 'data')
    pred_file = make_predictions(tmp_path)
    out, plot = tmp_path / 'metrics.json', tmp_path / 'errors.png'
    assert tool.main([
        str(ann_file),
        str(pred_file), '--no-hoi', '--no-contact', '--errors-plot',
        str(plot), '--out',
        str(out)
    ]) == 0
    printed = capsys.readouterr().out
    assert 'hoi_errors/found: 50.0000' in printed
    assert 'hoi_errors/missed_human: 50.0000' in printed
    assert 'hoi/mAP' not in printed
    report = json.loads(out.read_text())
    rows = {r['name']: r for r in report['hoi_errors_per_object']}
    assert rows['cup']['found'] == 100.0 and rows['chair']['missed_human'] == 100.0
    assert [r['name'] for r in report['hoi_errors_per_category']] == ['hold cup', 'sit_on chair']

    image = np.asarray(Image.open(plot).convert('RGB'))
    assert image.shape[0] >= 200 and image.shape[1] == 900

    def share(colour: str) -> float:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(image.astype(int) - rgb).sum(-1) <= 6).mean())

    human, obj, cls, act, found = (share(c) for c in tool.ERROR_COLOURS)
    # three bars: all (half found, half missed human), cup (found), chair (missed
    # human): as much green as dark grey, and no other outcome's colour outside the
    # legend's small patches
    assert found > 0.02 and human > 0.02
    assert abs(found - human) < 0.1 * found
    assert max(obj, cls, act) < 0.002
