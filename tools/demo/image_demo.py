# Run PaIR-Net on photos: a picture of the predictions and a JSON of the triplets each.
"""PaIR-Net image demo.

    python tools/demo/image_demo.py photo.jpg [more.png | a_folder ...] \\
        configs/pairnet_r18_synthetic.py work_dirs/main_job/epoch_26.pth \\
        --out-dir outputs/demo --device cpu --score-thr 0.3

For every input image ``<stem>`` it writes to ``--out-dir``:

- ``<stem>.png``: the image with the triplets scoring above ``--score-thr`` (human boxes
  red, object boxes green, action names blue and object names green) and the contact
  map, each body part in its colour, with a legend;
- ``<stem>.json``: ``{"file_name", "width", "height", "hois": [{"subject_bbox",
  "object_bbox", "object_id", "object_name", "action_id", "action_name", "score"}],
  "contact_mask", "part_scores"}``: the ``hois`` entries of the predictions file of
  ``docs/dataset.md`` (boxes x1y1x2y2 in the original image's pixels) plus the names,
  for the triplets above ``--score-thr`` (``--score-thr 0`` keeps all top-K);
- ``<stem>_contact.png``: the predicted contact map at the image's size (8-bit, 0 none,
  k = body part k), the file that ``contact_mask`` names.

Any size, grayscale, RGBA, palette, 16-bit, EXIF-rotated JPEG and WebP input is read
(EXIF orientation applied, alpha dropped); an unreadable file stops the demo with an
error naming it, unless ``--skip-unreadable``. Pictures of images whose longer side
exceeds ``--max-draw-size`` (default 2048) are drawn scaled down by one factor, boxes
and contact map together (the JSON and the contact PNG stay at full size); pass
``--max-draw-size 0`` to draw at full size.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from pair_plugin.apis import inference_pair, init_model, load_image
from pair_plugin.registry import VISUALIZERS
from pair_plugin.structures import PaIRFormatError

#: file extensions taken from a folder
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run PaIR-Net on images: a PNG of the predictions and a JSON of '
        'the triplets per image')
    parser.add_argument('inputs', nargs='+', help='image files and/or folders of images')
    parser.add_argument('config', help='the model config file')
    parser.add_argument('checkpoint', help='the checkpoint file (a local path)')
    parser.add_argument('--out-dir', default='outputs/demo',
                        help='where the pictures and JSON files go')
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu', 'cuda:0'")
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='draw and list the triplets scoring above this')
    parser.add_argument('--max-draw-size', type=int, default=2048,
                        help='draw pictures of larger images scaled down to this '
                        'longer side (0: full size)')
    parser.add_argument('--alpha', type=float, default=0.6,
                        help='opacity of the contact colours')
    parser.add_argument('--skip-unreadable', action='store_true',
                        help='report unreadable images and go on')
    return parser.parse_args()


def collect_images(inputs):
    """Files as given; folders give their image files (not recursive), sorted."""
    files = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(
                osp.join(item, name) for name in os.listdir(item)
                if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS
                and osp.isfile(osp.join(item, name)))
            if not found:
                raise FileNotFoundError(
                    f'{item}: no image files ({", ".join(IMAGE_EXTENSIONS)}) in '
                    f'this folder')
            files.extend(found)
        elif osp.isfile(item):
            files.append(item)
        else:
            raise FileNotFoundError(f'{item}: no such image file or folder')
    return files


def output_stems(files):
    """``<stem>`` of each file; files sharing a stem get their extension added."""
    stems = [osp.splitext(osp.basename(f))[0] for f in files]
    stems = [
        stem + '_' + osp.splitext(f)[1].lstrip('.').lower()
        if stems.count(stem) > 1 else stem for stem, f in zip(stems, files)
    ]
    seen = {}
    unique = []
    for stem in stems:  # the same file given twice
        seen[stem] = seen.get(stem, 0) + 1
        unique.append(stem if seen[stem] == 1 else f'{stem}_{seen[stem]}')
    return unique


def hois_to_json(result, dataset_meta, score_thr):
    """The ``hois`` entries of the predictions file, with the names added."""
    hois = result.pred_hois
    objects = dataset_meta.get('objects') or dataset_meta.get('classes') or ()
    actions = dataset_meta.get('actions') or ()
    scores = hois.scores.detach().cpu().numpy()
    subj = hois.subject_bboxes.detach().cpu().numpy()
    obj = hois.object_bboxes.detach().cpu().numpy()
    obj_labels = hois.object_labels.detach().cpu().numpy()
    act_labels = hois.action_labels.detach().cpu().numpy()
    entries = []
    for i in np.flatnonzero(scores > score_thr):
        o, a = int(obj_labels[i]), int(act_labels[i])
        entries.append(dict(
            subject_bbox=[round(float(v), 2) for v in subj[i]],
            object_bbox=[round(float(v), 2) for v in obj[i]],
            object_id=o,
            object_name=objects[o] if o < len(objects) else f'object {o}',
            action_id=a,
            action_name=actions[a] if a < len(actions) else f'action {a}',
            score=round(float(scores[i]), 4)))
    return entries


def main():
    args = parse_args()
    files = collect_images(args.inputs)
    stems = output_stems(files)
    os.makedirs(args.out_dir, exist_ok=True)

    start = time.perf_counter()
    model = init_model(args.config, args.checkpoint, device=args.device)
    load_s = time.perf_counter() - start

    vis_cfg = dict(model.cfg.get('visualizer', dict(type='PaIRVisualizer')))
    vis_cfg.update(
        name='image_demo', vis_backends=None, alpha=args.alpha,
        max_draw_size=args.max_draw_size or None)
    vis_cfg.pop('save_dir', None)
    visualizer = VISUALIZERS.build(vis_cfg)
    visualizer.dataset_meta = model.dataset_meta

    timings = []
    failed = []
    progress = ProgressBar(len(files))
    for path, stem in zip(files, stems):
        t0 = time.perf_counter()
        try:
            image = load_image(path)
        except (PaIRFormatError, FileNotFoundError) as err:
            if not args.skip_unreadable:
                raise
            failed.append((path, str(err)))
            progress.update()
            continue
        t1 = time.perf_counter()
        result = inference_pair(model, image)
        t2 = time.perf_counter()

        contact = result.pred_sem_seg.sem_seg[0].cpu().numpy().astype(np.uint8)
        contact_file = f'{stem}_contact.png'
        cv2.imwrite(osp.join(args.out_dir, contact_file), contact)
        record = dict(
            file_name=path,
            width=int(image.shape[1]),
            height=int(image.shape[0]),
            hois=hois_to_json(result, model.dataset_meta, args.score_thr),
            contact_mask=contact_file,
            part_scores=[round(float(p), 4)
                         for p in result.pred_parts.detach().cpu().numpy()])
        with open(osp.join(args.out_dir, f'{stem}.json'), 'w') as f:
            json.dump(record, f, indent=1)

        visualizer.add_datasample(
            stem, image[..., ::-1], result, draw_gt=False,
            pred_score_thr=args.score_thr,
            out_file=osp.join(args.out_dir, f'{stem}.png'))
        t3 = time.perf_counter()
        timings.append((path, image.shape[1], image.shape[0], len(record['hois']),
                        t1 - t0, t2 - t1, t3 - t2))
        progress.update()

    print(f'\nmodel loaded in {load_s:.1f} s')
    print(f'{"image":48s} {"size":>11s} {"hois":>5s} {"read s":>7s} '
          f'{"infer s":>7s} {"draw s":>7s}')
    for path, w, h, n, read_s, infer_s, draw_s in timings:
        print(f'{osp.basename(path)[:48]:48s} {f"{w}x{h}":>11s} {n:5d} '
              f'{read_s:7.2f} {infer_s:7.2f} {draw_s:7.2f}')
    if timings:
        totals = np.array([t[4:] for t in timings]).sum(0)
        print(f'{len(timings)} images: read {totals[0]:.1f} s, inference '
              f'{totals[1]:.1f} s, drawing and writing {totals[2]:.1f} s')
    for path, err in failed:
        print(f'skipped {path}: {err}', file=sys.stderr)
    print(f'results in {osp.abspath(args.out_dir)}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
