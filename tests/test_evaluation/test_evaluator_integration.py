"""The metrics built from a config by mmengine's Evaluator, fed PaIRDataSamples (the
evaluator turns them into dicts with ``to_dict()``, as during ``tools/test.py``)."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from pair_plugin.evaluation import read_predictions_file
from pair_plugin.structures import PaIRDataSample


def data_sample(name, annotated=True):
    sample = PaIRDataSample(
        metainfo=dict(img_id=1, file_name=name, ori_shape=(2, 3), contact_annotated=annotated))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[0., 0., 9., 9.], [20., 20., 29., 29.]]), labels=torch.tensor([0, 1]))
    sample.gt_pairs = InstanceData(
        subject_ids=torch.tensor([0]),
        object_ids=torch.tensor([1]),
        actions=torch.tensor([[0., 1.]]),
        contact_parts=torch.zeros(1, 17))
    sample.gt_sem_seg = PixelData(sem_seg=torch.tensor([[[0, 6, 6], [0, 0, 255]]]))
    sample.pred_hois = InstanceData(
        subject_bboxes=torch.tensor([[0., 0., 9., 9.], [0., 0., 9., 9.]]),
        object_bboxes=torch.tensor([[20., 20., 29., 29.], [20., 20., 29., 29.]]),
        object_labels=torch.tensor([1, 1]),
        action_labels=torch.tensor([1, 0]),
        scores=torch.tensor([0.8, 0.6]))
    sample.pred_sem_seg = PixelData(sem_seg=torch.tensor([[[6, 6, 0], [0, 0, 3]]]))
    sample.pred_parts = torch.full((17, ), 0.5)
    return sample


def test_evaluator_from_config(tmp_path):
    init_default_scope('pair_plugin')
    out_file = str(tmp_path / 'predictions.json')
    evaluator = Evaluator([
        dict(type='HOIMetric'),
        dict(type='ContactMetric', part_weights='hot'),
        dict(type='DumpPaIRPredictions', out_file=out_file)
    ])
    evaluator.dataset_meta = dict(
        objects=('person', 'cup'), actions=('hold', 'drink'), hoi_categories=[(0, 1), (1, 1)])
    unannotated = data_sample('b.jpg', False)
    unannotated.pred_sem_seg = PixelData(sem_seg=torch.tensor([[[6, 6, 6], [0, 0, 0]]]))
    evaluator.process(data_samples=[data_sample('a.jpg'), unannotated], data_batch={})
    metrics = evaluator.evaluate(2)
    # (drink, cup) found twice (once per image, same boxes): both TP over 2 gts;
    # (hold, cup) is not a test category
    assert metrics['hoi/mAP'] == pytest.approx(100.0)
    # contact: the annotated image only (counting b.jpg would give SC-Acc 75); gt
    # part 6 at 2 pixels, predicted at 1 of them
    assert metrics['contact/SC-Acc'] == pytest.approx(50.0)
    assert metrics['contact/contact_precision'] == pytest.approx(50.0)
    records = read_predictions_file(out_file)
    assert [r['file_name'] for r in records] == ['a.jpg', 'b.jpg']
    assert records[0]['pred_hois']['scores'].tolist() == pytest.approx([0.8, 0.6])
    assert records[1]['contact_mask'].endswith('pred_masks/b.png')
