"""A standalone HOI model (configs/two_model/trans_r50_pair1.py, shrunk) through
tools/train.py and tools/test.py on the tiny synthetic set."""
import os.path as osp

from mmengine.config import Config

from tests.helpers import CONFIGS, make_tiny_dataset, train_and_test_in_process, write_tiny_config
from tests.test_models.pairnet_cases import small_resnet18_cfg
from tests.test_models.qpic_stip_cases import small_detr_transformer_cfg


def tiny_trans_model() -> dict:
    """The shipped Trans model (HOIDetector + QPICHead, its losses and matcher) on a
    ResNet-18 at 8 base channels (F_B: stage 3, 32 channels) with a 32-channel DETR
    transformer; the synthetic set's 80 objects and 10 actions."""
    model = Config.fromfile(osp.join(CONFIGS, 'two_model', 'trans_r50_pair1.py')).model
    model.backbone = small_resnet18_cfg()
    model.interaction_head.in_channels = 32
    model.interaction_head.transformer = small_detr_transformer_cfg(num_queries=6)
    model.interaction_head.num_actions = 10
    model.test_cfg.max_per_img = 10
    return model.to_dict()


def test_trans_trains_and_tests_with_hoi_metrics_and_no_contact(tmp_path):
    data = make_tiny_dataset(str(tmp_path / 'data'), num_train=2, num_val=2, num_test=2)
    # ContactMetric stays in the evaluators: it says once that there is no contact map
    extra = f'''
model = dict(_delete_=True, **{tiny_trans_model()!r})
'''
    cfg = write_tiny_config(str(tmp_path / 'trans_cfg.py'), data, extra=extra)
    result = train_and_test_in_process(cfg, str(tmp_path / 'work'), str(tmp_path / 'preds.json'))
    values, preds = result['metrics'], result['predictions']
    assert 'hoi/mAP' in values and not any(k.startswith('contact/') for k in values)
    lines = [line for line in result['log'].splitlines() if 'ContactMetric:' in line]
    assert len(lines) == 1 and 'predicts no contact map (an HOI-only model)' in lines[0]
    assert len(preds) == 2 and all(0 < len(p['hois']) <= 10 for p in preds)
    assert all(p['contact_mask'] is None and 'part_scores' not in p for p in preds)
