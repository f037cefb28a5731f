"""TwoModelPipeline: an HOI detector and a contact segmenter, each from its own config, as
one model (Tables 1-2's two-model rows): what it predicts is each half's own prediction,
each half through its own data preprocessor; its checkpoint, configs and refusals; a tiny
pipeline through tools/test.py --out."""
import copy
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import pair_plugin.models  # noqa: F401
from pair_plugin.apis import inference_pair, init_model
from pair_plugin.models.detectors.two_model_pipeline import find_config, half_config
from pair_plugin.registry import DATASETS, MODELS
from tests.helpers import CONFIGS, REPO, load_tool, make_tiny_dataset, write_tiny_config
from tests.test_models.pairnet_cases import small_resnet18_cfg
from tests.test_models.qpic_stip_cases import small_detr_transformer_cfg

init_default_scope('pair_plugin')

PIPELINES = ('trans+unet', 'rcltrans+unet', 'sttrans+unet', 'distrans+unet', 'distrans+linknet',
             'distrans+manet', 'distrans+hot', 'distrans+pihot')
#: Table 1's two halves of each row, by their standalone configs
HALVES = {name: tuple(f'{half}_r50_pair1.py' for half in name.split('+')) for name in PIPELINES}


def write_tiny_halves(folder, contact_preprocessor: str = '') -> tuple:
    """Config files of a tiny HOI detector (the shipped Trans config on a ResNet-18 at 8
    channels, 3 stages, a 32-channel DETR, 6 queries, 10 triplets per image) and a tiny
    contact segmenter (the shipped UNet config on a ResNet-18 at 8 channels, a narrow
    decoder), for the synthetic set's 80 objects and 10 actions."""
    hoi = osp.join(str(folder), 'tiny_trans.py')
    with open(hoi, 'w') as f:
        f.write(f'''
_base_ = [{osp.join(CONFIGS, 'two_model', 'trans_r50_pair1.py')!r}]
model = dict(
    backbone=dict(_delete_=True, **{small_resnet18_cfg()!r}),
    interaction_head=dict(in_channels=32, num_actions=10,
                          transformer=dict(_delete_=True, **{small_detr_transformer_cfg(6)!r})),
    test_cfg=dict(max_per_img=10))
''')
    contact = osp.join(str(folder), 'tiny_unet.py')
    with open(contact, 'w') as f:
        f.write(f'''
_base_ = [{osp.join(CONFIGS, 'two_model', 'unet_r50_pair1.py')!r}]
model = dict(
    {contact_preprocessor}
    backbone=dict(depth=18, base_channels=8, init_cfg=None),
    contact_head=dict(in_channels=(8, 16, 32, 64), decoder_channels=(32, 16, 16, 8, 8)))
''')
    return hoi, contact


def pipeline_cfg(hoi_config, contact_config, hoi=None, contact=None) -> dict:
    return dict(
        type='TwoModelPipeline',
        hoi_detector=dict(config=hoi_config, **(hoi or {})),
        contact_segmenter=dict(config=contact_config, **(contact or {})))


def tiny_batch(data_root, num_images=2) -> dict:
    """The tiny set's first test images through a 64-pixel test pipeline, collated."""
    cfg = Config.fromfile(write_tiny_config(osp.join(data_root, 'cfg.py'), data_root))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in range(num_images)])


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_pipeline')
    data = make_tiny_dataset(str(root / 'data'), num_train=2, num_val=2, num_test=2)
    # the contact half pads to 64 with another mean: each half must keep its own
    hoi, contact = write_tiny_halves(
        root,
        contact_preprocessor='data_preprocessor=dict(pad_size_divisor=64, '
        'mean=[100., 110., 120.]),')
    return dict(root=root, data=data, hoi=hoi, contact=contact)


def test_predictions_are_each_halfs_own(tiny):
    torch.manual_seed(0)
    model = MODELS.build(pipeline_cfg(tiny['hoi'], tiny['contact'])).eval()
    batch = tiny_batch(tiny['data'])
    with torch.no_grad():
        preds = model.test_step(copy.deepcopy(batch))
        hois = model.hoi_detector.test_step(copy.deepcopy(batch))
        contact = model.contact_segmenter.test_step(copy.deepcopy(batch))
    assert model.contact_segmenter.data_preprocessor.pad_size_divisor == 64
    assert len(preds) == 2
    for pred, hoi, seg, sample in zip(preds, hois, contact, batch['data_samples']):
        # the HOI detector's triplets, the segmenter's map and part scores, at the image size
        assert len(pred.pred_hois) == 10
        for key in ('subject_bboxes', 'object_bboxes', 'object_labels', 'action_labels', 'scores'):
            torch.testing.assert_close(pred.pred_hois[key], hoi.pred_hois[key])
        assert torch.equal(pred.pred_sem_seg.sem_seg, seg.pred_sem_seg.sem_seg)
        torch.testing.assert_close(pred.pred_parts, seg.pred_parts)
        assert pred.pred_sem_seg.sem_seg.shape[-2:] == sample.ori_shape
        # the ground truth stays on the sample for the metrics
        assert 'gt_instances' in pred and pred.img_path == sample.img_path
    # the segmenter saw its own normalisation and padding: the batch it was given
    seg_inputs, seg_samples = model.half_inputs('contact_segmenter', batch['inputs'],
                                                batch['data_samples'])
    assert seg_inputs.shape[-2:] == (64, 64) and seg_samples[0].batch_input_shape == (64, 64)
    image = batch['inputs'][0].float()[[2, 1, 0]]
    h, w = image.shape[-2:]
    torch.testing.assert_close(seg_inputs[0, 0, :h, :w], (image[0] - 100.) / 58.395)
    # tensor mode: the HOI detector's raw outputs, then the segmenter's S at its padded size
    with torch.no_grad():
        outs = model(batch['inputs'], batch['data_samples'], mode='tensor')
        s_only = model.contact_segmenter._forward(seg_inputs)
    assert outs[-1].shape == (2, 18, 64, 64)
    torch.testing.assert_close(outs[-1], s_only[0])


def test_training_is_refused_with_the_per_model_commands(tiny):
    model = MODELS.build(pipeline_cfg(tiny['hoi'], tiny['contact']))
    batch = tiny_batch(tiny['data'])
    data = model.data_preprocessor(batch, True)
    with pytest.raises(RuntimeError, match='does not train.*tiny_trans.py and .*tiny_unet.py'):
        model(**data, mode='loss')


def test_halves_load_their_checkpoints_and_wrong_ones_are_named(tiny, tmp_path):
    torch.manual_seed(1)
    reference = MODELS.build(pipeline_cfg(tiny['hoi'], tiny['contact']))
    hoi_ckpt, contact_ckpt = str(tmp_path / 'hoi.pth'), str(tmp_path / 'contact.pth')
    torch.save(dict(state_dict=reference.hoi_detector.state_dict()), hoi_ckpt)
    torch.save(dict(state_dict=reference.contact_segmenter.state_dict()), contact_ckpt)
    torch.manual_seed(2)
    loaded = MODELS.build(
        pipeline_cfg(
            tiny['hoi'],
            tiny['contact'],
            hoi=dict(checkpoint=hoi_ckpt),
            contact=dict(checkpoint=contact_ckpt)))
    for key, value in reference.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    # init_weights leaves a loaded half as it is
    loaded.init_weights()
    for key, value in reference.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    # a checkpoint of the other half, a missing file, a missing config: named
    with pytest.raises(
            ValueError,
            match='model.hoi_detector.checkpoint: .*contact.pth does not '
            'hold the weights'):
        MODELS.build(pipeline_cfg(tiny['hoi'], tiny['contact'], hoi=dict(checkpoint=contact_ckpt)))
    with pytest.raises(FileNotFoundError, match='model.contact_segmenter.checkpoint: .*nope.pth'):
        MODELS.build(
            pipeline_cfg(tiny['hoi'], tiny['contact'], contact=dict(checkpoint='nope.pth')))
    with pytest.raises(
            FileNotFoundError, match='model.hoi_detector.config: config file not '
            'found: no/such.py'):
        MODELS.build(pipeline_cfg('no/such.py', tiny['contact']))


def test_config_paths_are_found_as_mim_finds_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the repository
    expected = osp.join(REPO, 'configs', 'two_model', 'unet_r50_pair1.py')
    assert find_config('configs/two_model/unet_r50_pair1.py') == expected
    assert find_config('unet_r50_pair1.py') == expected  # by name, as mim train
    (tmp_path / 'configs' / 'two_model').mkdir(parents=True)
    local = tmp_path / 'configs' / 'two_model' / 'unet_r50_pair1.py'
    local.write_text('model = dict()\n')
    assert find_config('configs/two_model/unet_r50_pair1.py') == str(local)  # cwd first


@pytest.mark.parametrize('name', PIPELINES)
def test_table1_configs_name_their_two_halves(name):
    cfg = Config.fromfile(osp.join(CONFIGS, 'two_model', f'{name}_r50_pair1.py'))
    assert cfg.model.type == 'TwoModelPipeline'
    hoi = half_config(cfg.model.hoi_detector, 'model.hoi_detector')
    contact = half_config(cfg.model.contact_segmenter, 'model.contact_segmenter')
    assert (osp.basename(hoi.filename), osp.basename(contact.filename)) == HALVES[name]
    assert hoi.model.type == 'HOIDetector' and contact.model.type == 'ContactSegmenter'
    assert cfg.model.hoi_detector.checkpoint is None
    # the same test data and both metrics
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/test.json'
    assert [m['type'] for m in cfg.test_evaluator] == ['HOIMetric', 'ContactMetric']


def test_pihot_pipeline_refuses_to_build_without_its_frozen_networks():
    cfg = Config.fromfile(osp.join(CONFIGS, 'two_model', 'distrans+pihot_r50_pair1.py'))
    with torch.device('meta'), pytest.raises(
            ValueError,
            match=r'model.contact_segmenter \(.*pihot_r50_pair1.py\): .*'
            r'model.backbone.person_segmenter.checkpoint.*model.contact_segmenter.cfg_options'):
        MODELS.build(cfg.model)


def test_tiny_pipeline_through_the_converter_and_tools_test(tiny, tmp_path):
    """Two checkpoints joined into one; tools/test.py --out with it: both metrics, the
    predictions file of every test image, and the same numbers from that file."""
    torch.manual_seed(3)
    hoi = MODELS.build(Config.fromfile(tiny['hoi']).model)
    contact = MODELS.build(Config.fromfile(tiny['contact']).model)
    names = json.load(open(osp.join(tiny['data'], 'annotations', 'train.json')))['metainfo']
    test_images = json.load(open(osp.join(tiny['data'], 'annotations', 'test.json')))['images']
    meta = dict(dataset_meta=dict(objects=names['objects'], actions=names['actions']))
    hoi_ckpt, contact_ckpt = str(tmp_path / 'hoi.pth'), str(tmp_path / 'contact.pth')
    torch.save(dict(state_dict=hoi.state_dict(), meta=meta), hoi_ckpt)
    torch.save(dict(state_dict=contact.state_dict(), meta=meta), contact_ckpt)
    cfg = write_tiny_config(
        str(tmp_path / 'pipeline.py'),
        tiny['data'],
        extra=f'model = dict(_delete_=True, **{pipeline_cfg(tiny["hoi"], tiny["contact"])!r})\n'
        'custom_hooks = []\n')
    joined = tmp_path / 'pipeline.pth'
    load_tool('tools/model_converters/two_models_to_pipeline.py').main(
        [cfg, hoi_ckpt, contact_ckpt, str(joined)])
    stored = torch.load(joined, weights_only=True)
    assert stored['meta']['dataset_meta']['actions'] == names['actions']
    assert (tmp_path / 'pipeline.pth.sha256').is_file()
    assert set(
        stored['state_dict']) == {f'hoi_detector.{k}'
                                  for k in hoi.state_dict()
                                  } | {f'contact_segmenter.{k}'
                                       for k in contact.state_dict()}

    # the joined checkpoint through init_model and inference_pair (PaIRInferencer)
    model = init_model(cfg, str(joined))
    for key, value in contact.state_dict().items():
        assert torch.equal(model.contact_segmenter.state_dict()[key], value), key
    image = osp.join(tiny['data'], test_images[0]['file_name'])
    result = inference_pair(model, image)
    assert len(result.pred_hois) == 10 and result.pred_parts.shape == (17, )
    assert result.pred_sem_seg.sem_seg.shape[-2:] == (test_images[0]['height'],
                                                      test_images[0]['width'])

    out_json = tmp_path / 'preds' / 'predictions.json'
    work_dir = tmp_path / 'work'
    load_tool('tools/test.py').main(
        [cfg, str(joined), '--work-dir',
         str(work_dir), '--out',
         str(out_json)])
    (scalars, ) = work_dir.glob('*/*.json')
    metrics = json.loads(scalars.read_text())
    assert {'hoi/mAP', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU'} <= set(metrics)
    preds = json.loads(out_json.read_text())
    assert sorted(p['file_name'] for p in preds) == sorted(im['file_name'] for im in test_images)
    for entry in preds:
        assert len(entry['hois']) == 10 and len(entry['part_scores']) == 17
        assert (out_json.parent / entry['contact_mask']).is_file()
    # the file alone gives the same numbers
    report = tmp_path / 'offline.json'
    ann = osp.join(tiny['data'], 'annotations')
    assert load_tool('tools/analysis/eval_predictions.py').main([
        osp.join(ann, 'test.json'),
        str(out_json), '--train-ann-file',
        osp.join(ann, 'train.json'), '--out',
        str(report)
    ]) == 0
    offline = json.loads(report.read_text())['metrics']
    shared = [key for key in metrics if key in offline]
    assert {'hoi/mAP', 'contact/C-Acc', 'contact/mIoU'} <= set(shared)
    for key in shared:
        assert offline[key] == pytest.approx(metrics[key], abs=1e-4, nan_ok=True), key
