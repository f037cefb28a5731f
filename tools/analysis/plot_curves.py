# Plot training curves (losses by iteration, metrics by epoch) of an mmengine work dir.
#
#   python tools/analysis/plot_curves.py work_dirs/main_job [--out curves.png]
#
# Reads the newest <work_dir>/<timestamp>/vis_data/scalars.json written by mmengine's
# LocalVisBackend (one JSON object per line: train lines carry "iter"/"loss*", validation
# lines carry the metric names and "step" = epoch).
import argparse
import glob
import json
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

METRIC_KEYS = ('hoi/mAP', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU', 'contact/wIoU')


def find_scalars(work_dir: str) -> str:
    candidates = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not candidates:
        sys.exit(f'plot_curves: no */vis_data/scalars.json under {work_dir} '
                 '(was the run made with LocalVisBackend?)')
    return candidates[-1]


def read_scalars(path: str):
    train, val = [], []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                sys.exit(f'plot_curves: {path}: line {lineno}: not JSON ({err})')
            (train if 'loss' in row else val).append(row)
    return train, val


def metric_names(val_rows):
    names = []
    for row in val_rows:
        for key, value in row.items():
            if key in ('step', 'epoch', 'iter', 'data_time', 'time'):
                continue
            if isinstance(value, (int, float)) and key not in names:
                names.append(key)
    preferred = [k for k in METRIC_KEYS if k in names]
    return preferred or names


def plot(train_rows, val_rows, out_file: str):
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(13, 4.5))
    loss_keys = [
        k for k in (train_rows[0] if train_rows else {})
        if k == 'loss' or (k.startswith('loss_') and '.' not in k)
    ]
    iters = [row.get('iter', row.get('step')) for row in train_rows]
    for key in loss_keys:
        ax_loss.plot(iters, [row.get(key) for row in train_rows], label=key)
    ax_loss.set_xlabel('iteration')
    ax_loss.set_ylabel('loss')
    ax_loss.set_yscale('log')
    ax_loss.set_title('training losses')
    if loss_keys:
        ax_loss.legend(fontsize=7)
    epochs = [row.get('step', row.get('epoch')) for row in val_rows]
    for key in metric_names(val_rows):
        ax_metric.plot(epochs, [row.get(key) for row in val_rows], 'o-', label=key)
    ax_metric.set_xlabel('epoch')
    ax_metric.set_ylabel('%')
    ax_metric.set_title('validation metrics')
    if val_rows:
        ax_metric.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('work_dir')
    parser.add_argument('--out', help='PNG file (default: <work_dir>/curves.png)')
    args = parser.parse_args()
    scalars = find_scalars(args.work_dir)
    train_rows, val_rows = read_scalars(scalars)
    out = args.out or osp.join(args.work_dir, 'curves.png')
    plot(train_rows, val_rows, out)
    print(f'curves of {len(train_rows)} logged iterations and '
          f'{len(val_rows)} validations: {out}')


if __name__ == '__main__':
    main()
