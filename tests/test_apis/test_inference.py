"""init_model and inference_pair on a tiny PaIR-Net built from the synthetic config."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from pair_plugin.apis import build_inference_pipeline, inference_pair, init_model, load_image
from pair_plugin.structures import PaIRDataSample, PaIRFormatError
from tests.tiny_inference_model import ACTIONS, OBJECTS, tiny_config, write_annotation_file


@pytest.fixture(scope='module')
def trained(tiny_checkpoint):
    """The session's tiny checkpoint (dataset_meta in its meta, as the training runner
    writes it), its config, and the model loaded back."""
    loaded = init_model(tiny_checkpoint['cfg'], tiny_checkpoint['checkpoint'], device='cpu')
    return dict(
        cfg=tiny_checkpoint['cfg'],
        ckpt=tiny_checkpoint['checkpoint'],
        state=tiny_checkpoint['state'],
        model=loaded)


def photo(h=90, w=150) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_init_model_loads_weights_meta_and_config(trained):
    model = trained['model']
    loaded = model.state_dict()
    assert loaded.keys() == trained['state'].keys()
    for key, value in trained['state'].items():
        assert torch.equal(loaded[key], value), key
    assert model.dataset_meta['objects'] == OBJECTS
    assert model.dataset_meta['actions'] == ACTIONS
    assert model.cfg.model.interaction_head.transformer.num_queries == 4
    assert not model.training
    assert next(model.parameters()).device.type == 'cpu'


def test_dataset_meta_from_the_annotation_file_without_checkpoint_meta(tmp_path):
    data_root = str(tmp_path / 'data')
    write_annotation_file(data_root)
    model = init_model(tiny_config(data_root))
    assert model.dataset_meta['objects'] == OBJECTS
    assert model.dataset_meta['actions'] == ACTIONS


def test_the_class_names_are_read_without_checking_the_images(tmp_path):
    """As mmdet's inferencers (lazy_init): an image entry the full load would refuse
    does not keep init_model from the names."""
    data_root = str(tmp_path / 'data')
    ann_file = write_annotation_file(data_root)
    with open(ann_file) as f:
        ann = json.load(f)
    ann['images'][0]['width'] = -5
    with open(ann_file, 'w') as f:
        json.dump(ann, f)
    model = init_model(tiny_config(data_root))
    assert model.dataset_meta['objects'] == OBJECTS
    assert model.dataset_meta['actions'] == ACTIONS


def test_no_names_anywhere_warns(tmp_path):
    with pytest.warns(UserWarning, match='neither the checkpoint nor the config gives'):
        model = init_model(tiny_config(str(tmp_path / 'missing')))
    assert model.dataset_meta == {}


def test_broken_annotation_file_is_reported(tmp_path):
    data_root = tmp_path / 'data'
    (data_root / 'annotations').mkdir(parents=True)
    (data_root / 'annotations' / 'test.json').write_text('{"images": [')
    with pytest.raises(PaIRFormatError, match=r'test\.json: line 1 column'):
        init_model(tiny_config(str(data_root)))


def test_checkpoint_must_be_a_local_file(trained, tmp_path):
    with pytest.raises(ValueError, match='local checkpoint files only'):
        init_model(trained['cfg'], 'https://example.org/epoch_1.pth')
    with pytest.raises(FileNotFoundError, match=r'nope\.pth: checkpoint file not found'):
        init_model(trained['cfg'], str(tmp_path / 'nope.pth'))


def test_cfg_options_are_applied(trained):
    model = init_model(
        trained['cfg'], trained['ckpt'], cfg_options={'model.test_cfg.max_per_img': 3})
    result = inference_pair(model, photo())
    assert len(result.pred_hois) == 3


def test_inference_pipeline_reads_an_array_and_no_annotations(trained):
    pipeline = build_inference_pipeline(trained['model'].cfg)
    names = [type(t).__name__ for t in pipeline.transforms]
    assert names == ['LoadInferenceImage', 'Resize', 'PackPaIRInputs']


def test_inference_on_an_array(trained):
    img = photo()
    result = inference_pair(trained['model'], img)
    assert isinstance(result, PaIRDataSample)
    hois = result.pred_hois
    k = len(hois)
    assert k == 10  # max_per_img
    assert hois.subject_bboxes.shape == hois.object_bboxes.shape == (k, 4)
    assert hois.object_labels.shape == hois.action_labels.shape == (k, )
    assert (hois.object_labels < len(OBJECTS)).all()
    assert (hois.action_labels < len(ACTIONS)).all()
    scores = hois.scores
    assert (scores[:-1] >= scores[1:]).all() and ((scores >= 0) & (scores <= 1)).all()
    # in the original image's pixels, not the 128 x 96 network input
    assert result.ori_shape == (90, 150)
    assert result.pred_sem_seg.sem_seg.shape == (1, 90, 150)
    assert result.pred_sem_seg.sem_seg.min() >= 0
    assert result.pred_sem_seg.sem_seg.max() <= 17
    assert result.pred_parts.shape == (17, )
    assert result.img_path is None
    # deterministic
    again = inference_pair(trained['model'], img)
    assert torch.equal(again.pred_hois.scores, scores)
    assert torch.equal(again.pred_sem_seg.sem_seg, result.pred_sem_seg.sem_seg)


def test_boxes_follow_the_original_size(trained):
    """The same picture at twice the size gives boxes twice as large."""
    img = photo(48, 64)
    big = np.repeat(np.repeat(img, 2, axis=0), 2, axis=1)
    small_result = inference_pair(trained['model'], img)
    big_result = inference_pair(trained['model'], big)
    assert big_result.pred_sem_seg.sem_seg.shape == (1, 96, 128)
    for result, (h, w) in ((small_result, (48, 64)), (big_result, (96, 128))):
        for key in ('subject_bboxes', 'object_bboxes'):
            boxes = result.pred_hois.get(key)
            assert (boxes[:, 0::2] >= -1).all() and (boxes[:, 0::2] <= w + 1).all()
            assert (boxes[:, 1::2] >= -1).all() and (boxes[:, 1::2] <= h + 1).all()
    # both go through the network at 128 x 96 (the small one upscaled, so the inputs
    # differ a little): the mean predicted box of the big image is twice the small one's
    s = small_result.pred_hois.subject_bboxes.mean(0)
    b = big_result.pred_hois.subject_bboxes.mean(0)
    assert torch.allclose(b, 2 * s, atol=6.0), (b, 2 * s)


def test_paths_and_lists(trained, tmp_path):
    img = photo()
    png = str(tmp_path / 'p.png')
    Image.fromarray(img[..., ::-1]).save(png)  # BGR array -> RGB file
    gray = str(tmp_path / 'g.png')
    Image.fromarray(img[..., 0]).save(gray)
    results = inference_pair(trained['model'], [png, img, gray])
    assert isinstance(results, list) and len(results) == 3
    from_file, from_array, from_gray = results
    assert from_file.img_path == png and from_file.file_name == png
    assert from_array.img_path is None and from_array.file_name == 'array_1'
    assert from_gray.pred_sem_seg.sem_seg.shape == (1, 90, 150)
    # a file and the array it holds give the same predictions
    assert torch.equal(from_file.pred_hois.scores, from_array.pred_hois.scores)
    assert torch.equal(from_file.pred_sem_seg.sem_seg, from_array.pred_sem_seg.sem_seg)
    np.testing.assert_array_equal(load_image(png), img)


def test_bad_inputs(trained, tmp_path):
    with pytest.raises(
            ValueError, match=r'array_0: an image array must be \(H, W\), '
            r'\(H, W, 3\) BGR'):
        inference_pair(trained['model'], np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(ValueError, match='must be uint8'):
        inference_pair(trained['model'], np.zeros((4, 5, 3), np.float32))
    with pytest.raises(TypeError, match=r'inputs\[1\]: expected an image file'):
        inference_pair(trained['model'], [photo(), 3])
    bad = tmp_path / 'bad.webp'
    bad.write_bytes(b'RIFF0000WEBPnope')
    with pytest.raises(
            PaIRFormatError,
            match=r'bad\.webp: image: cut short \(truncated\): a WEBP file of 16 bytes'):
        inference_pair(trained['model'], str(bad))
