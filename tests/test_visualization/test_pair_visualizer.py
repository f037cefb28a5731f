"""PaIRVisualizer: what the pictures contain, pixel by pixel where geometry is known."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import VISUALIZERS as ROOT_VISUALIZERS
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from pair_drawing_cases import (GRAY, HEIGHT, HUMAN_BOX, META, OBJECT_BOX, PART_BLOCKS, WIDTH,
                                blended, colour_mask, contact_map, edge_band, gray_image, gt_sample,
                                is_green, is_red, outline_hits, pred_sample, unique_name)

from pair_plugin.structures import PART_PALETTE
from pair_plugin.visualization import PaIRVisualizer


def make_visualizer(**kwargs) -> PaIRVisualizer:
    vis = PaIRVisualizer.get_instance(unique_name(), **kwargs)
    vis.dataset_meta = dict(META)
    return vis


def drawn_texts(vis):
    return [t.get_text() for t in vis.ax_save.texts]


def text_extents(vis):
    """x1, y1, x2, y2 in image pixels of each text drawn, its background included."""
    renderer = vis.fig_save_canvas.get_renderer()
    to_data = vis.ax_save.transData.inverted()
    extents = []
    for t in vis.ax_save.texts:
        t.update_bbox_position_size(renderer)
        e = t.get_bbox_patch().get_window_extent(renderer)
        (x1, y1), (x2, y2) = to_data.transform([[e.x0, e.y0], [e.x1, e.y1]])
        extents.append((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)))
    return extents


def text_mask(vis, shape=(HEIGHT, WIDTH), margin=1):
    """Pixels under any text drawn (with a margin for anti-aliasing)."""
    mask = np.zeros(shape, bool)
    for x1, y1, x2, y2 in text_extents(vis):
        mask[max(int(y1) - margin, 0):int(np.ceil(y2)) + margin,
             max(int(x1) - margin, 0):int(np.ceil(x2)) + margin] = True
    return mask


def test_prediction_boxes_on_their_edges_and_nowhere_else(tmp_path):
    vis = make_visualizer(draw_legend=False)
    out = tmp_path / 'pred.png'
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False, out_file=str(out))
    img = cv2.imread(str(out))[..., ::-1]  # the file, RGB
    assert img.shape == (HEIGHT, WIDTH, 3)
    np.testing.assert_array_equal(img, vis.get_image())

    red, green = is_red(img), is_green(img)
    # every red pixel is on the human box outline, every green one on the object's
    assert red.sum() > 0 and not (red & ~edge_band(HUMAN_BOX)).any()
    assert green.sum() > 0 and not (green & ~edge_band(OBJECT_BOX)).any()
    # and the outlines are drawn all round
    assert outline_hits(red, HUMAN_BOX) > 0.95
    assert outline_hits(green, OBJECT_BOX) > 0.95


def test_contact_colours_exactly_where_the_mask_says():
    alpha = 0.6
    vis = make_visualizer(draw_legend=False, alpha=alpha)
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False)
    img = vis.get_image()
    seg = contact_map()
    for part in PART_BLOCKS:
        expected = blended(part, alpha)
        where = colour_mask(img, expected, tol=1)
        # all pixels of the part carry its blended colour, and no other pixel does
        np.testing.assert_array_equal(where, seg == part)
    # outside the contact blocks, the boxes and the labels, the image is untouched
    untouched = (seg == 0) & ~edge_band(HUMAN_BOX) & ~edge_band(OBJECT_BOX)
    labels = text_mask(vis)
    assert 0 < labels.sum() < 0.2 * labels.size
    assert (img[untouched & ~labels] == GRAY).all()


def test_alpha_one_paints_the_pure_part_colour():
    vis = make_visualizer(draw_legend=False, alpha=1.0)
    sample = pred_sample(scores=(0.1, ))  # no triplet drawn, only the map
    vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    img = vis.get_image()
    seg = contact_map()
    for part in PART_BLOCKS:
        assert colour_mask(img[seg == part][None], PART_PALETTE[part], 0).all()
    assert (img[seg == 0] == GRAY).all()


def test_legend_lists_present_parts_in_their_colours_at_top_right():
    vis = make_visualizer(draw_legend=True)
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False)
    img = vis.get_image()
    texts = drawn_texts(vis)
    # legend entries: part name and CPAM's probability, parts of the map only
    assert 'left hand 0.75' in texts and 'right hand 0.50' in texts
    assert not any(t.startswith('head') for t in texts)
    for part in PART_BLOCKS:
        swatch = colour_mask(img, PART_PALETTE[part], tol=0)
        ys, xs = np.nonzero(swatch)
        assert len(ys) > 20, f'no legend swatch for part {part}'
        assert xs.min() > WIDTH / 2 and ys.max() < HEIGHT / 3
    # the two entries are stacked, left hand (part 6) above right hand (part 9)
    y6 = np.nonzero(colour_mask(img, PART_PALETTE[6], 0))[0]
    y9 = np.nonzero(colour_mask(img, PART_PALETTE[9], 0))[0]
    assert y6.max() < y9.min()


def test_triplet_labels_names_scores_dedupe_and_threshold():
    vis = make_visualizer(draw_legend=False)
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False, pred_score_thr=0.3)
    texts = drawn_texts(vis)
    # one line per triplet above 0.3: action (blue), object (green), score; 'ride'
    # scored 0.1 and is left out; the object box is labelled once
    assert texts == ['umbrella', 'hold', ' umbrella', ' 0.90', 'carry', ' umbrella', ' 0.80']
    colours = {t.get_text(): t.get_color() for t in vis.ax_save.texts}
    assert colours['hold'] == (0.0, 0.0, 1.0)
    assert colours[' umbrella'] == (0.0, 150 / 255, 0.0)
    # both triplets share the boxes: one box each, and the lines are stacked
    assert [len(c.get_paths()) for c in vis.ax_save.collections] == [1, 1]
    # the lines stand above the human box, the best one nearest to it; the object
    # name below the object box: no label covers the inside of a box
    ys = [t.get_position()[1] for t in vis.ax_save.texts]
    assert ys[4] == ys[5] == ys[6] < ys[1] == ys[2] == ys[3]
    extents = text_extents(vis)
    assert all(y2 <= HUMAN_BOX[1] for _, _, _, y2 in extents[1:])
    assert extents[0][1] >= OBJECT_BOX[3]
    assert extents[1][0] == pytest.approx(HUMAN_BOX[0], abs=5)
    # pieces of a line follow each other left to right
    assert extents[1][2] == pytest.approx(extents[2][0], abs=0.5)
    assert extents[2][2] == pytest.approx(extents[3][0], abs=0.5)


def test_labels_go_inside_when_the_image_has_no_room_outside():
    vis = make_visualizer(draw_legend=False)
    sample = pred_sample(with_map=False)
    sample.pred_hois.subject_bboxes[:] = torch.tensor([20., 2., 150., 220.])
    sample.pred_hois.object_bboxes[:] = torch.tensor([180., 100., 290., HEIGHT - 1.])
    vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    extents = text_extents(vis)
    object_label, human_lines = extents[0], extents[1:]
    # inside the human box, below its top edge, and inside the object box, above its
    # bottom edge; still within the image
    assert all(2 < y1 and y2 < 220 for _, y1, _, y2 in human_lines)
    assert 100 < object_label[1] and object_label[3] < HEIGHT - 1


def test_names_fall_back_to_ids_without_metainfo():
    vis = PaIRVisualizer.get_instance(unique_name(), draw_legend=False)
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False)
    assert drawn_texts(vis)[:3] == ['object 1', 'action 0', ' object 1']


def test_object_names_from_mmdets_classes_alias():
    vis = PaIRVisualizer.get_instance(unique_name(), draw_legend=False)
    vis.dataset_meta = {k: v for k, v in META.items() if k != 'objects'}
    vis.dataset_meta['classes'] = META['objects']
    vis.add_datasample('img', gray_image(), pred_sample(), draw_gt=False)
    assert drawn_texts(vis)[0] == META['objects'][1]


def test_below_threshold_draws_no_box():
    vis = make_visualizer()
    vis.add_datasample(
        'img', gray_image(), pred_sample(scores=(0.2, 0.1)), draw_gt=False, pred_score_thr=0.3)
    img = vis.get_image()
    assert not is_red(img).any() and not is_green(img).any()


def test_ground_truth_and_prediction_side_by_side():
    vis = make_visualizer(draw_legend=False)
    sample = pred_sample()
    gt = gt_sample()
    for key in ('gt_instances', 'gt_pairs', 'gt_sem_seg'):
        sample.set_field(gt.get(key), key)
    vis.add_datasample('img', gray_image(), sample)
    img = vis.get_image()
    assert img.shape == (HEIGHT, 2 * WIDTH, 3)
    left, right = img[:, :WIDTH], img[:, WIDTH:]
    gt_human, gt_object = gt.gt_instances.bboxes.tolist()
    assert not (is_red(left) & ~edge_band(gt_human)).any()
    assert outline_hits(is_red(left), gt_human) > 0.95
    assert outline_hits(is_green(left), gt_object) > 0.95
    assert outline_hits(is_red(right), HUMAN_BOX) > 0.95
    assert not (is_red(right) & ~edge_band(HUMAN_BOX)).any()
    # GT contact (part 12) on the left only, predicted parts on the right only
    gt_colour = blended(12, vis.alpha)
    assert colour_mask(left, gt_colour, 1).sum() == 20 * 40
    assert not colour_mask(right, gt_colour, 1).any()
    assert colour_mask(right, blended(6, vis.alpha), 1).sum() == 40 * 60
    assert not colour_mask(left, blended(6, vis.alpha), 1).any()
    # the GT pair is labelled with its action and object names, without a score
    vis2 = make_visualizer(draw_legend=False)
    vis2.add_datasample('img', gray_image(), gt, draw_pred=False)
    assert drawn_texts(vis2) == ['bicycle', 'ride', ' bicycle']


def test_gt_without_pairs_draws_instances_by_class():
    vis = make_visualizer(draw_legend=False)
    gt = gt_sample()
    del gt.gt_pairs
    vis.add_datasample('img', gray_image(), gt, draw_pred=False)
    img = vis.get_image()
    gt_human, gt_object = gt.gt_instances.bboxes.tolist()
    assert outline_hits(is_red(img), gt_human) > 0.95
    assert outline_hits(is_green(img), gt_object) > 0.95
    assert drawn_texts(vis) == ['person', 'bicycle']


def test_max_draw_size_scales_image_boxes_and_mask_together():
    vis = make_visualizer(draw_legend=False, max_draw_size=WIDTH)
    big = gray_image((2 * HEIGHT, 2 * WIDTH))
    sample = pred_sample(with_map=False)
    for key in ('subject_bboxes', 'object_bboxes'):
        setattr(sample.pred_hois, key, sample.pred_hois.get(key) * 2)
    seg = np.kron(contact_map(), np.ones((2, 2), dtype=np.int64))
    sample.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(seg)[None])
    vis.add_datasample('img', big, sample, draw_gt=False)
    img = vis.get_image()
    assert img.shape == (HEIGHT, WIDTH, 3)
    assert outline_hits(is_red(img), HUMAN_BOX) > 0.95
    assert not (is_red(img) & ~edge_band(HUMAN_BOX)).any()
    assert outline_hits(is_green(img), OBJECT_BOX) > 0.95
    np.testing.assert_array_equal(colour_mask(img, blended(6, vis.alpha), 1), contact_map() == 6)


def test_grayscale_input_and_nothing_to_draw():
    vis = make_visualizer()
    vis.add_datasample('img', np.full((HEIGHT, WIDTH), 7, np.uint8), None)
    img = vis.get_image()
    assert img.shape == (HEIGHT, WIDTH, 3) and (img == 7).all()


def test_bad_contact_maps_are_reported():
    vis = make_visualizer()
    sample = pred_sample(with_map=False)
    sample.pred_sem_seg = PixelData(sem_seg=torch.zeros(1, HEIGHT // 2, WIDTH))
    with pytest.raises(
            ValueError,
            match=r'contact map of size \(120, 320\) does not '
            r'match the image of size \(240, 320\)'):
        vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    seg = torch.zeros(1, HEIGHT, WIDTH, dtype=torch.long)
    seg[0, 0, 0] = 40
    sample.pred_sem_seg = PixelData(sem_seg=seg)
    with pytest.raises(ValueError, match=r'ids \[40\] outside 0..17 and 255'):
        vis.add_datasample('img', gray_image(), sample, draw_gt=False)


def test_ignored_pixels_are_not_painted():
    vis = make_visualizer(draw_legend=False)
    gt = gt_sample()
    seg = gt.gt_sem_seg.sem_seg.clone()
    seg[0, :20, :] = 255
    gt.gt_sem_seg = PixelData(sem_seg=seg)
    vis.add_datasample('img', gray_image(), gt, draw_pred=False)
    assert (vis.get_image()[:20, :] == GRAY).all()


def test_local_and_tensorboard_backends_from_config(tmp_path):
    init_default_scope('pair_plugin')
    vis = ROOT_VISUALIZERS.build(
        dict(
            type='PaIRVisualizer',
            name=unique_name(),
            save_dir=str(tmp_path),
            vis_backends=[dict(type='LocalVisBackend'),
                          dict(type='TensorboardVisBackend')]))
    assert isinstance(vis, PaIRVisualizer)
    vis.dataset_meta = dict(META)
    vis.add_datasample('val_img', gray_image(), pred_sample(), draw_gt=False, step=7)
    local = tmp_path / 'vis_data' / 'vis_image' / 'val_img_7.png'
    img = cv2.imread(str(local))[..., ::-1]
    assert img.shape == (HEIGHT, WIDTH, 3)
    assert outline_hits(is_red(img), HUMAN_BOX) > 0.95
    vis.close()

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = glob.glob(osp.join(tmp_path, 'vis_data', '**', 'events.out.*'), recursive=True)
    assert events
    acc = EventAccumulator(osp.dirname(events[0]), size_guidance={'images': 0})
    acc.Reload()
    assert 'val_img' in acc.Tags()['images']
    (event, ) = acc.Images('val_img')
    assert event.step == 7
    assert (event.width, event.height) == (WIDTH, HEIGHT)


def test_lines_thicken_with_the_image_size():

    def left_edge_thickness(scale):
        vis = make_visualizer(draw_legend=False)
        sample = pred_sample(with_map=False)
        for key in ('subject_bboxes', 'object_bboxes'):
            setattr(sample.pred_hois, key, sample.pred_hois.get(key) * scale)
        vis.add_datasample(
            'img', gray_image((HEIGHT * scale, WIDTH * scale)), sample, draw_gt=False)
        img = vis.get_image()
        row = img[int(HUMAN_BOX[3] * scale * 0.8)]  # a row crossing the human box
        assert img.shape[:2] == (HEIGHT * scale, WIDTH * scale)
        red = is_red(row[None])[0]
        left = red[:int((HUMAN_BOX[0] + HUMAN_BOX[2]) / 2 * scale)]
        cols = np.flatnonzero(left)
        assert abs(cols.mean() - HUMAN_BOX[0] * scale) < 1.5
        return len(cols)

    small, large = left_edge_thickness(1), left_edge_thickness(8)
    assert 2 <= small <= 5 and large >= 2 * small


def test_mmengine_drawing_methods_still_compose():
    """The base class's own methods draw on the same picture (mask via imshow)."""
    vis = make_visualizer()
    vis.set_image(gray_image())
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[10:20, 30:60] = True
    vis.draw_binary_masks(mask, colors=(0, 0, 255), alphas=1.0)
    vis.draw_bboxes(np.array([[100., 100., 200., 200.]]), edge_colors=(255, 0, 0), alpha=1.0)
    img = vis.get_image()
    assert (img[mask] == (0, 0, 255)).all()
    assert (img[30:90, 120:180] == GRAY).all()
    assert outline_hits(is_red(img), [100., 100., 200., 200.]) > 0.95


def test_draw_labels_false_leaves_every_contact_pixel_visible():
    vis = make_visualizer(draw_legend=False, draw_labels=False)
    sample = pred_sample()
    # contact block under where the labels would be
    seg = contact_map({6: (32, 60, 22, 140)})
    sample.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(seg)[None])
    vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    img = vis.get_image()
    assert drawn_texts(vis) == []
    inner = (seg == 6) & ~edge_band(HUMAN_BOX)
    assert colour_mask(img[inner][None], blended(6, vis.alpha), 1).all()
    assert outline_hits(is_red(img), HUMAN_BOX) > 0.95


def test_near_duplicate_boxes_are_drawn_once_and_distinct_ones_apart():
    vis = make_visualizer(draw_legend=False)
    sample = pred_sample(scores=(0.9, 0.8, 0.7))
    human = torch.tensor(HUMAN_BOX)
    # triplet 2: the same person, box shifted by 2 px (IoU > 0.9); triplet 3: another
    # person beside (IoU with the first well under 0.9)
    other = torch.tensor([160., 20., 300., 90.])
    sample.pred_hois.subject_bboxes = torch.stack(
        [human, human + torch.tensor([2., 2., 2., 2.]), other])
    vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    human_boxes = vis.ax_save.collections[1]
    assert len(human_boxes.get_paths()) == 2
    # the merged lines sit above the first (best) box; the other person's line
    # above its own box
    texts = drawn_texts(vis)
    assert texts.count('hold') == texts.count('carry') == texts.count('ride') == 1
    img = vis.get_image()
    assert outline_hits(is_red(img), HUMAN_BOX) > 0.95
    shifted = [v + 2 for v in HUMAN_BOX]
    # the shifted duplicate is not drawn: its right edge column is not red
    col = int(shifted[2]) + 2
    assert not is_red(img[int(HUMAN_BOX[1]) + 10:int(HUMAN_BOX[3]) - 10, col]).any()
    assert outline_hits(is_red(img), other.tolist()) > 0.9


def test_empty_ground_truth_and_predictions_leave_the_image_as_it_is():
    vis = make_visualizer()
    sample = gt_sample()
    sample.gt_instances = sample.gt_instances[:0]
    sample.gt_pairs = sample.gt_pairs[:0]
    sample.gt_sem_seg = PixelData(sem_seg=torch.full((1, HEIGHT, WIDTH), 255))
    preds = pred_sample(with_map=False)
    sample.pred_hois = preds.pred_hois[:0]
    vis.add_datasample('img', gray_image(), sample)
    img = vis.get_image()
    assert img.shape == (HEIGHT, 2 * WIDTH, 3) and (img == GRAY).all()


def test_labels_of_boxes_at_the_image_border_stay_in_bounds():
    import warnings
    vis = make_visualizer(draw_legend=False)
    sample = pred_sample(with_map=False)
    # boxes touching the left and right borders: their label anchors would fall outside
    sample.pred_hois.subject_bboxes[:] = torch.tensor([0., 40., 120., 220.])
    sample.pred_hois.object_bboxes[:] = torch.tensor([200., 60., WIDTH, 200.])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        vis.add_datasample('img', gray_image(), sample, draw_gt=False)
    # no mmengine 'text/bbox/polygon is out of bounds' warning
    assert not [w for w in caught if 'out of bounds' in str(w.message)]
    # the labels are drawn, from the left edge on, and the boxes still reach the borders
    texts = drawn_texts(vis)
    assert texts and min(t.get_position()[0] for t in vis.ax_save.texts) >= 0.0
    img = vis.get_image()
    assert is_red(img)[60:200, :3].any() and is_green(img)[80:180, -3:].any()
