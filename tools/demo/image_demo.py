# Run PaIR-Net on photos: a picture of the predictions and a JSON of the triplets each.
"""PaIR-Net image demo (through :class:`pair_plugin.apis.PaIRInferencer`).

    python tools/demo/image_demo.py photo.jpg [more.png | a_folder ...] \\
        configs/pairnet_r18_synthetic.py work_dirs/main_job/epoch_26.pth \\
        --out-dir outputs/demo --device cpu --score-thr 0.3
    # the exported graph in ONNX Runtime (tools/deployment/export_onnx.py)
    python tools/demo/image_demo.py photo.jpg configs/pairnet_r18_synthetic.py \\
        pairnet.onnx --backend onnxruntime

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

Images are decoded as in training and testing (mmcv's ``LoadImageFromFile`` with the
config's settings): any size, grayscale, RGBA, palette, 16-bit, EXIF-rotated JPEG and
WebP (EXIF orientation applied, alpha dropped, 16-bit to its 8 high bits). A bad file
(missing, empty, cut, not an image, over Pillow's decompression-bomb limit, or so thin
that the test resize leaves no pixel) is reported with its name and the reason and the others go on
(``--no-skip-unreadable`` stops at the first instead). Either way the results of the
images done are written, and the exit status is 1 when any file failed.
Pictures of images whose longer side exceeds ``--max-draw-size`` (default 2048) are
drawn scaled down by one factor, boxes and contact map together (the JSON and the
contact PNG stay at full size); pass ``--max-draw-size 0`` to draw at full size. The
time of reading, inference and drawing of each image is printed at the end.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import cv2
import mmcv
import numpy as np

from pair_plugin.apis.demo_command_line import add_model_arguments, build_inferencer
from pair_plugin.apis.pair_inferencer import list_image_files
from pair_plugin.progress import ProgressDisplay
from pair_plugin.structures import PaIRFormatError, with_object_alias


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run PaIR-Net on images: a PNG of the predictions and a JSON of '
        'the triplets per image')
    parser.add_argument('inputs', nargs='+', help='image files and/or folders of images')
    add_model_arguments(parser, 'images', max_draw_size=2048)
    parser.add_argument(
        '--out-dir', default='outputs/demo', help='where the pictures and JSON files go')
    parser.add_argument(
        '--skip-unreadable',
        action=argparse.BooleanOptionalAction,
        default=True,
        help='report each unreadable image and go on (the default); '
        '--no-skip-unreadable stops at the first')
    return parser.parse_args()


def collect_images(inputs):
    """Files as given; folders give their image files (not recursive), sorted."""
    files = []
    for item in inputs:
        if osp.isdir(item):
            files.extend(osp.join(item, name) for name in list_image_files(item))
        elif osp.isfile(item):
            files.append(item)
        else:
            raise FileNotFoundError(f'{item}: no such image file or folder')
    return files


def output_stems(files):
    """``<stem>`` of each file; files sharing a stem get their extension added."""
    stems = [osp.splitext(osp.basename(f))[0] for f in files]
    stems = [
        stem + '_' + osp.splitext(f)[1].lstrip('.').lower() if stems.count(stem) > 1 else stem
        for stem, f in zip(stems, files)
    ]
    seen = {}
    unique = []
    for stem in stems:  # the same file given twice
        seen[stem] = seen.get(stem, 0) + 1
        unique.append(stem if seen[stem] == 1 else f'{stem}_{seen[stem]}')
    return unique


def hois_with_names(entry, dataset_meta):
    """The ``hois`` of a predictions-file entry, rounded, with the object and action
    names."""
    objects = with_object_alias(dataset_meta).get('objects') or ()
    actions = dataset_meta.get('actions') or ()
    hois = []
    for hoi in entry['hois']:
        o, a = hoi['object_id'], hoi['action_id']
        hois.append(
            dict(
                subject_bbox=[round(v, 2) for v in hoi['subject_bbox']],
                object_bbox=[round(v, 2) for v in hoi['object_bbox']],
                object_id=o,
                object_name=objects[o] if o < len(objects) else f'object {o}',
                action_id=a,
                action_name=actions[a] if a < len(actions) else f'action {a}',
                score=round(hoi['score'], 4)))
    return hois


def read_batch(loader, batch, failed):
    """``(items for the inferencer, their stems)``, read by the inferencer's ``loader``;
    unreadable files go to ``failed`` as ``(path, reason)``."""
    items, stems = [], []
    for path, stem in batch:
        try:
            image = loader.read(path)
        except (PaIRFormatError, FileNotFoundError) as err:
            failed.append((path, str(err)))
            continue
        items.append(dict(img=image, img_path=path, file_name=path))
        stems.append(stem)
    return items, stems


def write_outputs(args, inferencer, dataset_meta, item, stem, pred, picture):
    """``<stem>_contact.png``, ``<stem>.json`` and ``<stem>.png`` of one image; the JSON
    keeps the triplets the picture shows (above ``--score-thr``)."""
    entry = inferencer.pred2dict(pred, pred_score_thr=args.score_thr)
    contact_file = f'{stem}_contact.png'
    cv2.imwrite(osp.join(args.out_dir, contact_file), entry['contact_mask'])
    record = dict(
        file_name=item['img_path'],
        width=int(item['img'].shape[1]),
        height=int(item['img'].shape[0]),
        hois=hois_with_names(entry, dataset_meta),
        contact_mask=contact_file,
        part_scores=[round(p, 4) for p in entry['part_scores']])
    with open(osp.join(args.out_dir, f'{stem}.json'), 'w') as f:
        json.dump(record, f, indent=1)
    mmcv.imwrite(picture[..., ::-1], osp.join(args.out_dir, f'{stem}.png'))


def main():
    args = parse_args()
    files = collect_images(args.inputs)
    stems = output_stems(files)
    os.makedirs(args.out_dir, exist_ok=True)

    start = time.perf_counter()
    inferencer = build_inferencer(args)
    load_s = time.perf_counter() - start
    dataset_meta = inferencer.model.dataset_meta

    timings, failed = [], []
    progress = ProgressDisplay(len(files), 'image_demo')
    jobs = list(zip(files, stems))
    for first in range(0, len(jobs), args.batch_size):
        batch = jobs[first:first + args.batch_size]
        t0 = time.perf_counter()
        items, batch_stems = read_batch(inferencer.loader, batch, failed)
        t1 = time.perf_counter()
        if items:
            result = inferencer(
                items, batch_size=len(items), return_datasamples=True, skip_unreadable=True)
            # an input the model cannot take (a degenerate size) is reported, not run
            refused = {f['index'] for f in result['failed']}
            failed.extend((items[f['index']]['img_path'], f['error']) for f in result['failed'])
            kept = [i for i in range(len(items)) if i not in refused]
            items = [items[i] for i in kept]
            batch_stems = [batch_stems[i] for i in kept]
            preds = result['predictions']
        if items:
            t2 = time.perf_counter()
            pictures = inferencer.visualize(
                items, preds, return_vis=True, pred_score_thr=args.score_thr)
            for item, stem, pred, picture in zip(items, batch_stems, preds, pictures):
                write_outputs(args, inferencer, dataset_meta, item, stem, pred, picture)
            t3 = time.perf_counter()
            n = len(items)
            for item in items:
                timings.append((item['img_path'], item['img'].shape[1], item['img'].shape[0],
                                (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n))
        progress.update(len(batch))
        if failed and not args.skip_unreadable:
            break
    progress.close()

    print(f'\nmodel loaded in {load_s:.1f} s ({args.backend}); per image, a batch of '
          f'{args.batch_size} shares its time:')
    print(f'{"image":48s} {"size":>11s} {"read s":>7s} {"infer s":>7s} {"draw s":>7s}')
    for path, w, h, read_s, infer_s, draw_s in timings:
        print(f'{osp.basename(path)[:48]:48s} {f"{w}x{h}":>11s} {read_s:7.2f} '
              f'{infer_s:7.2f} {draw_s:7.2f}')
    if timings:
        totals = np.array([t[3:] for t in timings]).sum(0)
        print(f'{len(timings)} images: read {totals[0]:.1f} s, inference '
              f'{totals[1]:.1f} s ({totals[1] / len(timings):.3f} s per image), drawing '
              f'and writing {totals[2]:.1f} s')
    print(f'wrote {len(timings)} pictures (<name>.png), triplet files (<name>.json) and contact '
          f'maps (<name>_contact.png) to {osp.abspath(args.out_dir)}')
    # each error names its file
    if failed and not args.skip_unreadable:
        print(
            f'stopped: {failed[0][1]}\n(the images done are written; without '
            '--no-skip-unreadable each unreadable image is reported and the others go on)',
            file=sys.stderr)
    else:
        for _, err in failed:
            print(f'skipped: {err}', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
