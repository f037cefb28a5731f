"""A standalone contact model through tools/train.py and tools/test.py (what `mim train` and
`mim test` run), on the tiny synthetic set: the shipped UNet-R50 config, shrunk."""
import json
import os.path as osp

from tests.helpers import REPO, make_tiny_dataset, train_and_test_in_process


def write_tiny_contact_config(path: str, data_root: str) -> str:
    """configs/two_model/unet_r50_pair1.py with a ResNet-50 at 8 base channels (stages of
    32 to 256 channels, from scratch), a narrow UNet, 64-pixel images, one epoch."""
    data_root = data_root.rstrip('/') + '/'
    text = f'''
_base_ = [{osp.join(REPO, 'configs', 'two_model', 'unet_r50_pair1.py')!r}]
data_root = {data_root!r}
model = dict(
    backbone=dict(base_channels=8, init_cfg=None),
    contact_head=dict(in_channels=(32, 64, 128, 256), decoder_channels=(32, 16, 16, 8, 8)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPaIRAnnotations'),
    dict(type='PaIRRandomFlip', prob=0.5),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='PackPaIRInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadPaIRAnnotations'),
    dict(type='PackPaIRInputs')
]
_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    **_loader,
    batch_sampler=None,
    dataset=dict(data_root=data_root, ann_file='annotations/train.json',
                 filter_cfg=dict(filter_empty_interactions=False), pipeline=train_pipeline))
val_dataloader = dict(
    **_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/val.json', pipeline=test_pipeline))
test_dataloader = dict(
    **_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/test.json', pipeline=test_pipeline))
val_evaluator = [
    dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json'),
    dict(type='ContactMetric', train_ann_file=data_root + 'annotations/train.json'),
]
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=100)
param_scheduler = []
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=-1),
    visualization=dict(draw=False))
log_processor = dict(window_size=1)
randomness = dict(seed=0, deterministic=False)
'''
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_standalone_unet_trains_and_tests_with_the_contact_metrics(tmp_path):
    data = make_tiny_dataset(str(tmp_path / 'data'))
    cfg = write_tiny_contact_config(str(tmp_path / 'unet_tiny.py'), data)
    out_json = tmp_path / 'preds' / 'predictions.json'
    result = train_and_test_in_process(cfg, str(tmp_path / 'work'), str(out_json))
    # the contact metrics, and no HOI numbers
    metrics = result['metrics']
    assert {'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU', 'contact/wIoU'} <= set(metrics)
    assert not any(key.startswith('hoi/') for key in metrics)
    lines = [line for line in result['log'].splitlines() if 'INFO - HOIMetric' in line]
    assert len(lines) == 1 and 'predicts no HOI triplets' in lines[0]
    # the predictions file: every test image, its contact mask and part scores, no triplets
    preds = result['predictions']
    test_images = json.load(open(osp.join(data, 'annotations', 'test.json')))['images']
    assert sorted(p['file_name'] for p in preds) == sorted(im['file_name'] for im in test_images)
    for entry in preds:
        assert entry['hois'] == [] and len(entry['part_scores']) == 17
        assert (out_json.parent / entry['contact_mask']).is_file()
