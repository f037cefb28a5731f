"""Score a predictions file against a PaIR annotation file: HOI mAP and contact metrics.

    python tools/analysis/eval_predictions.py data/pair/annotations/test.json \\
        work_dirs/pairnet/predictions.json \\
        --train-ann-file data/pair/annotations/train.json

The predictions file is what ``tools/test.py --out`` writes, or what any other method
writes in the same format (``docs/metrics.md``); the numbers are the ones
``HOIMetric`` and ``ContactMetric`` give during ``tools/test.py`` with the same options.
Every annotated image needs an entry in the predictions file (``--allow-missing`` scores
a missing one as "no HOI and no contact predicted" and says how many there were); an
entry for an image that the annotation file does not hold is an error. Exit code 0 on
success, 1 on a bad input file (the message names the file and the field).

The images go through the test pipeline's ``LoadPaIRAnnotations`` and
``PackPaIRInputs`` and into mmengine's ``Evaluator``, as in ``tools/test.py``, with the
file's predictions in place of the model's: both routes give the same numbers. HOI mAP
is reported in HICO-DET's Default and Known Object settings.

``--confusion-plot confusion.png`` draws the contact metric's part confusion matrix
(rows: ground-truth label, normalised; columns: predicted label). ``--errors`` adds
:class:`HOIErrorAnalysis`: for each object class, the share of the ground-truth triplets
lost at each requirement of a match (human box, object box, object class, action) and
the median best object-box IoU; ``--errors-plot errors.png`` draws those shares as one
stacked bar per object class (docs/metrics.md, "Where the triplets are lost").
"""
import argparse
import json
import os.path as osp
import sys
from datetime import datetime

import numpy as np
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger, print_log
from mmengine.structures import InstanceData, PixelData

from pair_plugin.datasets import LoadPaIRAnnotations, PackPaIRInputs, PaIRDataset
from pair_plugin.evaluation import (HOI_ERROR_OUTCOMES, ContactMetric, HOIErrorAnalysis, HOIMetric,
                                    read_prediction_mask, read_predictions_file)
from pair_plugin.progress import track_progress
from pair_plugin.structures import BODY_PARTS, PaIRFormatError
from pair_plugin.structures.format_checks import referenced_by


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Score a PaIR predictions file (HOI mAP and contact metrics)')
    parser.add_argument('ann_file', help='annotation file of the evaluated split')
    parser.add_argument('pred_file', help='predictions file (JSON)')
    parser.add_argument(
        '--data-root',
        help='folder the annotation paths are relative to (default: the parent of the '
        "annotation file's folder)")
    parser.add_argument(
        '--train-ann-file',
        help='annotation file of the training split: rare categories (HOI) and wIoU '
        'part weights (contact)')
    parser.add_argument(
        '--train-data-root',
        help="data root of the training split's masks (default: the parent of its "
        "annotation file's folder)")
    parser.add_argument(
        '--rare-categories',
        help='JSON file of [action_id, object_id] pairs that are rare (instead of '
        '--train-ann-file)')
    parser.add_argument(
        '--part-weights',
        nargs='+',
        help="wIoU weights of parts 1..17: 17 numbers, or 'hot' for HOT's counts "
        '(instead of the training masks)')
    parser.add_argument(
        '--top-k',
        type=int,
        default=100,
        help='triplets kept per image (default 100, as QPIC); 0 for no cut')
    parser.add_argument(
        '--triplet-nms',
        type=float,
        default=None,
        metavar='THR',
        help="GEN-VLKT's triplet NMS threshold (0.7 there); off by default")
    parser.add_argument(
        '--eval-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='score contact on maps nearest-resized to H x W (PIHOT: 60 80); '
        'default: original size (HOT)')
    parser.add_argument('--no-hoi', action='store_true', help='skip HOI mAP')
    parser.add_argument(
        '--no-contact',
        action='store_true',
        help='skip the contact metrics (e.g. an HOI-only method)')
    parser.add_argument(
        '--errors',
        action='store_true',
        help='also say where the ground-truth triplets are lost (human, object box, '
        'object class, action), per object class')
    parser.add_argument(
        '--errors-plot',
        metavar='PNG',
        help='draw those shares, one stacked bar per object class (implies --errors)')
    parser.add_argument(
        '--confusion-plot',
        metavar='PNG',
        help='draw the part confusion matrix of the contact maps (rows: ground truth, '
        'normalised)')
    parser.add_argument(
        '--classwise',
        action='store_true',
        help='print and save the per-category / per-part results')
    parser.add_argument(
        '--allow-missing',
        action='store_true',
        help='score annotated images without an entry as having no prediction '
        '(no HOI, no contact)')
    parser.add_argument(
        '--out', help='write the metrics (and per-class results) '
        'to this JSON file')
    args = parser.parse_args(argv)
    args.errors = args.errors or args.errors_plot is not None
    if args.no_hoi and args.no_contact and not args.errors:
        parser.error('--no-hoi and --no-contact leave nothing to score')
    if args.train_ann_file and args.rare_categories:
        parser.error('give --train-ann-file or --rare-categories for rare categories')
    if args.no_contact and args.confusion_plot:
        parser.error('--confusion-plot draws the contact maps: drop --no-contact')
    return args


def build_metrics(args) -> list:
    """The metrics the options ask for."""
    metrics = []
    if not args.no_hoi:
        rare = None
        if args.rare_categories:
            with open(args.rare_categories) as f:
                rare = json.load(f)
        metrics.append(
            HOIMetric(
                train_ann_file=None if rare is not None else args.train_ann_file,
                rare_categories=rare,
                top_k=args.top_k or None,
                triplet_nms_thr=args.triplet_nms,
                classwise=args.classwise))
    if args.errors:
        metrics.append(HOIErrorAnalysis(top_k=args.top_k or None, triplet_nms_thr=args.triplet_nms))
    if not args.no_contact:
        weights = args.part_weights
        if weights is not None and not (len(weights) == 1 and weights[0].lower() == 'hot'):
            weights = [float(w) for w in weights]
        elif weights is not None:
            weights = 'hot'
        metrics.append(
            ContactMetric(
                train_ann_file=None if weights is not None else args.train_ann_file,
                data_root=args.train_data_root,
                part_weights=weights,
                eval_size=args.eval_size,
                classwise=args.classwise))
    return metrics


def empty_predictions() -> dict:
    return dict(
        subject_bboxes=np.zeros((0, 4)),
        object_bboxes=np.zeros((0, 4)),
        object_labels=np.zeros(0, np.int64),
        action_labels=np.zeros(0, np.int64),
        scores=np.zeros(0))


def add_predictions(sample, prediction: dict, pred_index, args) -> None:
    """Put an entry's predictions on the packed data sample, as the model would."""
    sample.pred_hois = InstanceData(**prediction['pred_hois'])
    if args.no_contact or not sample.contact_annotated:
        return
    height, width = sample.gt_sem_seg.shape
    if pred_index is None:  # --allow-missing: no contact predicted anywhere
        mask = np.zeros((height, width), np.uint8)
    elif prediction['contact_mask'] is None:
        raise PaIRFormatError(
            args.pred_file, f'[{pred_index}].contact_mask',
            'the image has a contact annotation but no predicted mask (use '
            '--no-contact to score HOI only)', dict(file_name=sample.file_name))
    else:
        mask = read_prediction_mask(
            prediction['contact_mask'], (height, width),
            referenced_by(args.pred_file, f'[{pred_index}].contact_mask',
                          dict(file_name=sample.file_name)))
    sample.pred_sem_seg = PixelData(sem_seg=mask[None])


def evaluate(args):
    """Score ``args.pred_file``; returns the metrics and the metric objects (and logs
    the tables)."""
    # a new logger per run, named like mmengine's runs (a cached one would keep writing
    # to the stdout of an earlier in-process call)
    logger = MMLogger.get_instance(
        f'eval_predictions_{datetime.now():%Y%m%d_%H%M%S_%f}', log_level='INFO')
    dataset = PaIRDataset(
        ann_file=osp.abspath(args.ann_file),
        data_root=args.data_root or '',
        pipeline=[LoadPaIRAnnotations(with_seg=not args.no_contact),
                  PackPaIRInputs()],
        test_mode=True)
    metainfo = dataset.metainfo
    predictions = read_predictions_file(args.pred_file, len(metainfo['objects']),
                                        len(metainfo['actions']))
    by_name = {p['file_name']: i for i, p in enumerate(predictions)}
    names = {dataset.get_data_info(i)['file_name'] for i in range(len(dataset))}
    unknown = [i for i, p in enumerate(predictions) if p['file_name'] not in names]
    if unknown:
        raise PaIRFormatError(
            args.pred_file, f'[{unknown[0]}].file_name',
            f'{predictions[unknown[0]]["file_name"]} is not an image of {args.ann_file} '
            f'({len(unknown)} such entries)')
    missing = sorted(names - set(by_name))
    if missing and not args.allow_missing:
        raise PaIRFormatError(
            args.pred_file, '(entries)',
            f'{len(missing)} images of {args.ann_file} have no entry, e.g. '
            f'{missing[:3]} (--allow-missing scores them as having no prediction)')
    if missing:
        print_log(
            f'{len(missing)} of {len(dataset)} images have no entry in '
            f'{args.pred_file}: scored as having no prediction',
            logger=logger)

    metrics = build_metrics(args)
    evaluator = Evaluator(metrics)
    evaluator.dataset_meta = metainfo
    print_log(f'scoring {len(dataset)} images of {args.ann_file}', logger=logger)
    for i in track_progress(range(len(dataset)), title='scoring'):
        sample = dataset[i]['data_samples']
        index = by_name.get(sample.file_name)
        prediction = (
            predictions[index] if index is not None else dict(
                pred_hois=empty_predictions(), contact_mask=None))
        add_predictions(sample, prediction, index, args)
        evaluator.process([sample])
    return evaluator.evaluate(len(dataset)), metrics


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        scores, metrics = evaluate(args)
    except (PaIRFormatError, ValueError, KeyError) as error:
        print(f'eval_predictions: error: {error}', file=sys.stderr)
        return 1
    print('\n'.join(f'{name}: {value:.4f}' for name, value in scores.items()))
    errors = next((m for m in metrics if isinstance(m, HOIErrorAnalysis)), None)
    contact = next((m for m in metrics if isinstance(m, ContactMetric)), None)
    if args.errors_plot:
        plot_errors(errors, args.errors_plot)
        print(f'where the triplets are lost: {args.errors_plot}')
    if args.confusion_plot:
        plot_confusion(contact.confusion, args.confusion_plot)
        print(f'part confusion matrix: {args.confusion_plot}')
    if args.out:
        report = dict(metrics=scores)
        for metric in metrics:
            if metric is errors:
                report['hoi_errors_per_object'] = metric.per_object_results
                report['hoi_errors_per_category'] = metric.per_category_results
            elif isinstance(metric, HOIMetric):
                report['hoi_categories'] = metric.per_category_results
            else:
                report['contact_parts'] = metric.per_part_results
                report['contact_confusion'] = dict(
                    rows='prediction',
                    columns='ground truth',
                    labels=['none', *BODY_PARTS],
                    pixels=metric.confusion.tolist())
        with open(args.out, 'w') as f:
            json.dump(report, f, indent=1)
        print(f'metrics written to {args.out}')
    return 0


def confusion_shares(confusion: np.ndarray) -> np.ndarray:
    """(18, 18) ``[g, p]``: the share of the ground-truth label g's pixels predicted
    p (each row sums to 1; NaN for a label without pixels), from the metric's
    ``[p, g]`` pixel counts."""
    by_truth = np.asarray(confusion, np.float64).T
    with np.errstate(invalid='ignore', divide='ignore'):
        return by_truth / by_truth.sum(axis=1, keepdims=True)


def plot_confusion(confusion: np.ndarray, out_file: str) -> None:
    """The part confusion matrix as a picture: one row per ground-truth label (no
    contact, then the 17 parts) with the share of its pixels given each predicted
    label (:func:`confusion_shares`), its pixel count beside its name, grey when it has
    none.

    Args:
        confusion (np.ndarray): (18, 18) pixel counts, ``[p, g]`` = predicted p, truth g
            (:attr:`ContactMetric.confusion`).
        out_file (str): the image file to write.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    shares = confusion_shares(confusion)
    pixels = np.asarray(confusion).sum(axis=0)
    labels = ['no contact', *BODY_PARTS]
    fig, ax = plt.subplots(figsize=(11, 9.5))
    cmap = plt.get_cmap('Blues').with_extremes(bad='#dddddd')
    shown = ax.imshow(np.ma.masked_invalid(shares * 100), cmap=cmap, vmin=0, vmax=100)
    for g, p in zip(*np.nonzero(np.nan_to_num(shares) >= 0.005)):
        ax.text(
            p,
            g,
            f'{shares[g, p] * 100:.0f}',
            ha='center',
            va='center',
            fontsize=7,
            color='white' if shares[g, p] > 0.5 else 'black')
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha='right', fontsize=8)
    ax.set_yticks(
        range(len(labels)), [f'{name} ({int(n):,})' for name, n in zip(labels, pixels)], fontsize=8)
    ax.set_xlabel('predicted label')
    ax.set_ylabel('ground-truth label (pixels)')
    ax.set_title('Contact: % of each ground-truth label\'s pixels per predicted label')
    fig.colorbar(shown, ax=ax, fraction=0.04, label='% of the row')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


#: bar colours of the outcomes (HOI_ERROR_OUTCOMES order): lost early = dark
ERROR_COLOURS = ('#4d4d4d', '#d62728', '#ff7f0e', '#bcbd22', '#2ca02c')


def plot_errors(errors: HOIErrorAnalysis, out_file: str) -> None:
    """One stacked bar per object class (and one for all triplets, on top): the
    share of its ground-truth triplets at each outcome, with the number of triplets
    and the median best object IoU at the end of the bar."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = [errors.overall_result] + sorted(errors.per_object_results, key=lambda r: -r['found'])
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.4 * len(rows)))
    y = list(range(len(rows)))[::-1]
    left = [0.0] * len(rows)
    for name, colour in zip(HOI_ERROR_OUTCOMES, ERROR_COLOURS):
        widths = [r[name] for r in rows]
        ax.barh(y, widths, left=left, color=colour, label=name.replace('_', ' '))
        left = [a + b for a, b in zip(left, widths)]
    for row, pos in zip(rows, y):
        ax.text(
            100,
            pos,
            f"  {row['num_gts']}  IoU {row['median_best_object_iou']:.2f}",
            va='center',
            fontsize=8)
    ax.set_yticks(y, [r['name'] for r in rows])
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel('% of the ground-truth triplets (number; median best object-box IoU)')
    ax.legend(ncol=5, fontsize=8, loc='lower center', bbox_to_anchor=(0.45, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


if __name__ == '__main__':
    sys.exit(main())
