"""PaIRInferencer with the PyTorch backend: inputs, batches, the predictions file, the
pictures, the progress lines and the errors."""
import json
import logging
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData, PixelData
from PIL import Image

from pair_plugin.apis import PaIRInferencer, init_model
from pair_plugin.evaluation.predictions_file import read_prediction_mask, read_predictions_file
from pair_plugin.structures import PaIRDataSample, PaIRFormatError
from tests.bad_images import write_bad_images, write_bytes, write_single_colour_png
from tests.tiny_inference_model import ACTIONS, OBJECTS


@pytest.fixture(scope='module')
def model(tiny_checkpoint):
    return init_model(tiny_checkpoint['config_file'], tiny_checkpoint['checkpoint'])


def photos(count=3, h=60, w=80, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(count)]


def write_folder(folder, images):
    os.makedirs(folder)
    for i, img in enumerate(images):
        Image.fromarray(img[..., ::-1]).save(osp.join(folder, f'p{i}.png'))
    with open(osp.join(folder, 'notes.txt'), 'w') as f:
        f.write('not an image')


def test_a_folder_a_list_and_arrays_give_the_same_predictions(model, tmp_path):
    images = photos()
    folder = str(tmp_path / 'in')
    write_folder(folder, images)
    inferencer = PaIRInferencer(model, show_progress=False)
    from_folder = inferencer(folder)['predictions']
    assert [p['file_name'] for p in from_folder] == ['p0.png', 'p1.png', 'p2.png']
    paths = [osp.join(folder, f'p{i}.png') for i in range(3)]
    from_list = inferencer(paths)['predictions']
    assert [p['file_name'] for p in from_list] == paths
    from_arrays = inferencer(images)['predictions']
    assert [p['file_name'] for p in from_arrays] == ['array_0', 'array_1', 'array_2']
    one = inferencer(images[1])['predictions']
    assert len(one) == 1
    for a, b in zip(from_folder, from_arrays):
        assert a['hois'] == b['hois']
        np.testing.assert_array_equal(a['contact_mask'], b['contact_mask'])
    assert one[0]['hois'] == from_arrays[1]['hois']


def test_entries_have_the_predictions_file_form(model):
    inferencer = PaIRInferencer(model, show_progress=False)
    entry = inferencer(photos(1), pred_score_thr=0)['predictions'][0]
    assert set(entry) == {'file_name', 'hois', 'contact_mask', 'part_scores'}
    assert len(entry['hois']) == 10  # max_per_img: 0 keeps the whole top-K
    hoi = entry['hois'][0]
    assert set(hoi) == {'subject_bbox', 'object_bbox', 'object_id', 'action_id', 'score'}
    scores = [h['score'] for h in entry['hois']]
    assert scores == sorted(scores, reverse=True)
    for h in entry['hois']:
        for key in ('subject_bbox', 'object_bbox'):
            x1, y1, x2, y2 = h[key]
            assert 0 <= x1 <= x2 <= 80 and 0 <= y1 <= y2 <= 60
    assert entry['contact_mask'].shape == (60, 80)
    assert entry['contact_mask'].dtype == np.uint8 and entry['contact_mask'].max() <= 17
    assert len(entry['part_scores']) == 17
    json.dumps({k: v for k, v in entry.items() if k != 'contact_mask'})


def sample_with_scores(scores, height=20, width=30):
    """A prediction of four triplets with the given scores, no contact."""
    count = len(scores)
    sample = PaIRDataSample(metainfo=dict(file_name='x.png', ori_shape=(height, width)))
    sample.pred_hois = InstanceData(
        subject_bboxes=torch.tensor([[1., 2., 3., 4.]]).repeat(count, 1),
        object_bboxes=torch.tensor([[5., 6., 7., 8.]]).repeat(count, 1),
        object_labels=torch.arange(count),
        action_labels=torch.arange(count) % 3,
        scores=torch.tensor(scores))
    sample.pred_sem_seg = PixelData(sem_seg=torch.zeros(1, height, width, dtype=torch.uint8))
    sample.pred_parts = torch.zeros(17)
    return sample


def test_one_threshold_decides_what_is_kept_and_drawn(model):
    """Scores 0.9, 0.31, 0.3, 0.1: above the default 0.3 are the first two (0.3 itself is
    not above); 0 keeps all four; the visualizer draws by the same comparison."""
    inferencer = PaIRInferencer(model, show_progress=False)
    sample = sample_with_scores([0.9, 0.31, 0.3, 0.1])
    kept = inferencer.pred2dict(sample)['hois']
    assert [h['score'] for h in kept] == pytest.approx([0.9, 0.31])
    assert [h['object_id'] for h in kept] == [0, 1]
    assert len(inferencer.pred2dict(sample, pred_score_thr=0)['hois']) == 4
    assert [h['action_id']
            for h in inferencer.pred2dict(sample, pred_score_thr=0.2)['hois']] == [0, 1, 2]
    drawn = inferencer._get_visualizer()._pred_triplets(sample, 0.3)
    assert len(drawn) == 2


def test_a_call_keeps_the_triplets_above_its_threshold(model):
    inferencer = PaIRInferencer(model, show_progress=False)
    image = photos(1)[0]
    sample = inferencer(image, return_datasamples=True)['predictions'][0]
    scores = sample.pred_hois.scores.tolist()
    assert len(scores) == 10  # the data sample is the model's whole top-K
    for thr in (0.3, scores[4]):  # the default, and one that keeps exactly four
        entry = (inferencer(image)
                 if thr == 0.3 else inferencer(image, pred_score_thr=thr))['predictions'][0]
        assert [h['score'] for h in entry['hois']] == pytest.approx([s for s in scores if s > thr])
    assert len(inferencer(image, pred_score_thr=scores[4])['predictions'][0]['hois']) == 4


def test_pictures_of_large_images_are_capped_at_2048_px(model, tmp_path):
    big = np.zeros((100, 2100, 3), np.uint8)
    capped = PaIRInferencer(model, show_progress=False)(big, return_vis=True)
    assert capped['visualization'][0].shape == (98, 2048, 3)  # 100 * 2048 / 2100 = 97.5
    full = PaIRInferencer(
        model, show_progress=False, visualizer=dict(max_draw_size=None))(
            big, return_vis=True)
    assert full['visualization'][0].shape == (100, 2100, 3)


def test_each_inferencer_draws_with_its_own_options(model):
    """mmengine keeps one visualizer per name: an inferencer made after another is gone
    (which may take the gone one's address) still gets a visualizer of its options."""
    for size in range(100, 120):
        inferencer = PaIRInferencer(model, show_progress=False, visualizer=dict(max_draw_size=size))
        assert inferencer._get_visualizer().max_draw_size == size
        del inferencer


def test_batches_give_the_predictions_of_single_images(model):
    """Images of one size fill the batch without padding: batching changes nothing."""
    images = photos(3)
    inferencer = PaIRInferencer(model, show_progress=False)
    single = inferencer(images, batch_size=1, return_datasamples=True)['predictions']
    batched = inferencer(images, batch_size=2, return_datasamples=True)['predictions']
    for a, b in zip(single, batched):
        torch.testing.assert_close(a.pred_hois.scores, b.pred_hois.scores)
        torch.testing.assert_close(a.pred_hois.subject_bboxes, b.pred_hois.subject_bboxes)
        assert torch.equal(a.pred_sem_seg.sem_seg, b.pred_sem_seg.sem_seg)


def test_out_dir_holds_a_predictions_file_masks_and_pictures(model, tmp_path):
    images = photos(2, h=48, w=72)
    out_dir = str(tmp_path / 'out')
    inferencer = PaIRInferencer(model, show_progress=False)
    result = inferencer(images, batch_size=2, out_dir=out_dir, return_vis=True, pred_score_thr=0.0)
    assert sorted(os.listdir(out_dir)) == ['pred_masks', 'predictions.json', 'vis']
    records = read_predictions_file(
        osp.join(out_dir, 'predictions.json'), num_objects=len(OBJECTS), num_actions=len(ACTIONS))
    for record, entry in zip(records, result['predictions']):
        assert record['file_name'] == entry['file_name']
        assert entry['contact_mask'] == f'pred_masks/{entry["file_name"]}.png'
        mask = read_prediction_mask(record['contact_mask'], (48, 72))
        fresh = inferencer(images[records.index(record)])['predictions'][0]
        np.testing.assert_array_equal(mask, fresh['contact_mask'])
        np.testing.assert_allclose(record['pred_hois']['scores'],
                                   [h['score'] for h in entry['hois']])
    assert sorted(os.listdir(osp.join(out_dir, 'vis'))) == ['array_0.png', 'array_1.png']
    picture = np.asarray(Image.open(osp.join(out_dir, 'vis', 'array_0.png')))
    assert picture.shape == (48, 72, 3)
    np.testing.assert_array_equal(picture, result['visualization'][0])
    # the picture is the image with the predictions drawn on it, not the image itself
    assert not np.array_equal(picture, images[0][..., ::-1])
    # no_save_pred / no_save_vis write nothing of theirs
    quiet = str(tmp_path / 'quiet')
    inferencer(images, out_dir=quiet, no_save_pred=True, no_save_vis=True)
    assert not osp.exists(quiet) or os.listdir(quiet) == []


def test_cfg_options_reach_the_model_and_the_pipeline(model):
    inferencer = PaIRInferencer(
        model.cfg,
        show_progress=False,
        cfg_options={
            'model.test_cfg.max_per_img': 3,
            'test_dataloader.dataset.pipeline.1.scale': (64, 48)
        })
    sample = inferencer(photos(1), return_datasamples=True)['predictions'][0]
    assert len(sample.pred_hois) == 3
    assert sample.img_shape == (48, 64) and sample.ori_shape == (60, 80)


def test_progress_is_reported_per_batch(model, capsys):
    PaIRInferencer(model)(photos(3), batch_size=2)
    out = capsys.readouterr().out
    assert 'PaIRInferencer: 2/2 (100%)' in out


def test_a_call_can_silence_the_progress(model, capsys):
    """As docs/inference.md shows: show_progress per call, over the constructor's."""
    PaIRInferencer(model)(photos(2), show_progress=False)
    assert 'PaIRInferencer:' not in capsys.readouterr().out
    PaIRInferencer(model, show_progress=False)(photos(2), show_progress=True)
    assert 'PaIRInferencer: 2/2 (100%)' in capsys.readouterr().out


def logged_messages(call) -> list:
    """The messages the current MMLogger receives while ``call()`` runs."""
    logger = MMLogger.get_current_instance()
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        call()
    finally:
        logger.removeHandler(handler)
    return [record.getMessage() for record in records]


def test_a_call_with_out_dir_says_what_it_wrote_where(model, tmp_path):
    out_dir = str(tmp_path / 'out')
    inferencer = PaIRInferencer(model, show_progress=False)
    messages = logged_messages(lambda: inferencer(photos(2), out_dir=out_dir))
    assert [m for m in messages if 'wrote' in m] == [
        f'PaIRInferencer: wrote the predictions of 2 images in {out_dir}/predictions.json '
        f'(contact masks in {out_dir}/pred_masks); pictures in {out_dir}/vis'
    ]
    messages = logged_messages(lambda: inferencer(photos(2), out_dir=out_dir, no_save_vis=True))
    assert [m for m in messages if 'wrote' in m] == [
        f'PaIRInferencer: wrote the predictions of 2 images in {out_dir}/predictions.json '
        f'(contact masks in {out_dir}/pred_masks)'
    ]
    assert not [m for m in logged_messages(lambda: inferencer(photos(1))) if 'wrote' in m]


def test_errors_name_what_is_wrong(model, tmp_path):
    inferencer = PaIRInferencer(model, show_progress=False)
    with pytest.raises(FileNotFoundError, match=r'absent\.jpg: no such image file'):
        inferencer([str(tmp_path / 'absent.jpg')], skip_unreadable=False)
    result = inferencer([str(tmp_path / 'absent.jpg')])  # by default reported, not raised
    assert result['predictions'] == []
    assert [f['index'] for f in result['failed']] == [0]
    assert 'absent.jpg' in result['failed'][0]['error']
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no image files'):
        inferencer(str(empty))
    with pytest.raises(TypeError, match=r'inputs\[0\]: expected an image file'):
        inferencer([3])
    img = photos(1)[0]
    with pytest.raises(ValueError, match=r"name \['same'\] more than once"):
        inferencer([dict(img=img, file_name='same'),
                    dict(img=img, file_name='same')],
                   out_dir=str(tmp_path / 'o'))
    with pytest.raises(ValueError, match='backend must be one of'):
        PaIRInferencer(model, backend='tensorrt')
    with pytest.raises(ValueError, match=r'model\.onnx: an exported graph'):
        PaIRInferencer(model.cfg, str(tmp_path / 'model.onnx'))
    with pytest.raises(ValueError, match='batch_size must be >= 1'):
        inferencer(img, batch_size=0)


def write_good_and_bad_folder(folder):
    """Two good photos, and an empty, a cut, a text and a 14000 x 14000
    file (over Pillow's decompression-bomb limit), and a 20000 x 2 one (the test resize
    to 128 x 96 leaves it 0 pixels high)."""
    write_folder(folder, photos(2))  # p0.png, p1.png
    reasons = write_bad_images(folder)  # cut.jpg, cut.png, empty.png, text.jpg
    write_single_colour_png(osp.join(folder, 'bomb.png'), 14000, 14000)
    Image.fromarray(np.zeros((2, 20000), np.uint8)).save(osp.join(folder, 'thin.png'))
    return dict(
        reasons, **{
            'bomb.png':
            'too large to decode safely',
            'thin.png':
            'degenerate size 20000x2 (WxH): the test resize to (128, 96) keeping the '
            'ratio makes it 128x0',
        })


def test_bad_files_are_reported_by_name_and_the_others_go_on(model, tmp_path):
    folder = str(tmp_path / 'in')
    reasons = write_good_and_bad_folder(folder)
    out_dir = tmp_path / 'out'
    inferencer = PaIRInferencer(model, show_progress=False)
    result = inferencer(folder, batch_size=3, out_dir=str(out_dir))  # goes on by default
    names = sorted(list(reasons) + ['p0.png', 'p1.png'])  # the folder's order
    assert [p['file_name'] for p in result['predictions']] == ['p0.png', 'p1.png']
    assert [(f['index'], f['file_name']) for f in result['failed']] == [(names.index(n), n)
                                                                        for n in sorted(reasons)]
    for failure in result['failed']:
        assert failure['error'].startswith(osp.join(folder, failure['file_name']) + ': ')
        assert reasons[failure['file_name']] in failure['error'], failure['error']
    # the predictions file holds the good ones, as they are alone (to batching's rounding)
    records = read_predictions_file(str(out_dir / 'predictions.json'))
    assert [r['file_name'] for r in records] == ['p0.png', 'p1.png']
    alone = inferencer([osp.join(folder, 'p1.png')])['predictions'][0]
    np.testing.assert_allclose(
        records[1]['pred_hois']['scores'], [h['score'] for h in alone['hois']], rtol=1e-5)
    assert sorted(os.listdir(out_dir / 'vis')) == ['p0.png', 'p1.png']


def test_without_skipping_the_first_bad_file_stops_the_call_after_saving_the_rest(model, tmp_path):
    folder = str(tmp_path / 'in')
    write_folder(folder, photos(2))
    write_bytes(osp.join(folder, 'p1b.png'), b'')  # between p1.png and nothing after
    out_dir = tmp_path / 'out'
    inferencer = PaIRInferencer(model, show_progress=False)
    with pytest.raises(PaIRFormatError) as error:
        inferencer(folder, out_dir=str(out_dir), skip_unreadable=False)
    assert error.value.file == osp.join(folder, 'p1b.png')
    assert error.value.message.startswith('empty file (0 bytes) (')
    assert 'holds the 2 images done; skip_unreadable=True (the default)' in error.value.message
    records = read_predictions_file(str(out_dir / 'predictions.json'))
    assert [r['file_name'] for r in records] == ['p0.png', 'p1.png']
    # an array the model cannot take, among arrays
    with pytest.raises(PaIRFormatError, match=r'array_1: image: degenerate size 3000x1'):
        inferencer([photos(1)[0], np.zeros((1, 3000, 3), np.uint8)], skip_unreadable=False)
