"""Learning on the synthetic set: train the small PaIR-Net, validate every epoch, record the curve.

    PYTHONPATH=. python tools/benchmarks/train_synthetic.py
    PYTHONPATH=. python tools/benchmarks/train_synthetic.py --data-root data/synthetic \
        --work-dir work_dirs/train_synthetic --cfg-options train_cfg.max_epochs=4

Generates the synthetic set (the generator's defaults: docs/dataset.md) when ``--data-root``
has no annotations, trains CONFIG (default ``configs/pairnet_r18_synthetic.py``, its
default schedule) in this process with mmengine's Runner, validates after every epoch,
and writes into the work dir:

- ``curve.json``: the run (config, options, machine, load average) and, per epoch, the
  iteration, the wall-clock seconds since training started (validation included), the
  training and validation seconds, and the validation metrics in percent (``hoi/mAP``,
  ``contact/SC-Acc``, ``contact/C-Acc``, ``contact/mIoU``, ``contact/wIoU``, ...);
- ``curve.csv``: the same per-epoch numbers, one row per epoch;
- ``curves.png`` (or ``--plot``): losses and metrics, drawn by
  ``tools/analysis/plot_curves.py``;

and prints the table. It is a benchmark, not a test: a run takes the config's whole
schedule. The main job (``tools/main_job.sh``) trains the same config through ``mim``.
"""
import argparse
import csv
import importlib.util
import json
import math
import os
import os.path as osp
import platform
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from pair_plugin.datasets import config_with_data_root
from pair_plugin.datasets.synthetic import generate_synthetic_dataset
from pair_plugin.engine import set_cpu_threads

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py')
PLOT_TOOL = osp.join(REPO, 'tools', 'analysis', 'plot_curves.py')
#: the metrics of the table, in this order (percent)
TABLE_METRICS = ('hoi/mAP', 'contact/SC-Acc', 'contact/C-Acc', 'contact/mIoU', 'contact/wIoU',
                 'contact/contact_precision')
#: issue 6's target on the validation split within 15 CPU-minutes
TARGETS = {'hoi/mAP': 30.0, 'contact/C-Acc': 50.0}
TIME_LIMIT_S = 15 * 60


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config',
        nargs='?',
        default=DEFAULT_CONFIG,
        help='config (default: configs/pairnet_r18_synthetic.py)')
    parser.add_argument(
        '--data-root',
        default=osp.join(REPO, 'data', 'synthetic'),
        help='the synthetic set; generated with the generator\'s '
        'defaults when it has no annotations (default: data/synthetic)')
    parser.add_argument(
        '--work-dir',
        default=osp.join(REPO, 'work_dirs', 'train_synthetic'),
        help='where the checkpoints, logs, curve.json/.csv and the '
        'plot go (default: work_dirs/train_synthetic)')
    parser.add_argument('--plot', help='PNG of the curves (default: <work-dir>/curves.png)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: as tools/train.py, '
        'OMP_NUM_THREADS or half the cores)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value, e.g. '
        'train_cfg.max_epochs=4')
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error('--threads must be >= 1')
    return args


def ensure_dataset(data_root: str) -> bool:
    """Generate the synthetic set in ``data_root`` unless its annotations exist.

    Returns:
        bool: whether it was generated.
    """
    splits = ('train', 'val')
    if all(osp.isfile(osp.join(data_root, 'annotations', f'{s}.json')) for s in splits):
        return False
    print(f'train_synthetic: no synthetic set in {data_root}: generating it '
          '(tools/data/generate_synthetic.py defaults)')
    generate_synthetic_dataset(data_root)
    return True


def build_config(args) -> Config:
    """The config with the data root, the work dir, and validation after every epoch."""
    cfg = config_with_data_root(Config.fromfile(args.config), args.data_root)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.train_cfg.get('type', 'EpochBasedTrainLoop') not in ('EpochBasedTrainLoop',
                                                                'ResumableEpochBasedTrainLoop'):
        raise ValueError(f'train_synthetic: {args.config} trains by '
                         f'{cfg.train_cfg.type}; the curve is per epoch '
                         '(EpochBasedTrainLoop)')
    cfg.train_cfg.val_interval = 1
    cfg.work_dir = args.work_dir
    return cfg


class CurveRecorderHook(Hook):
    """Records, after every validation, the metrics and the time since training started.

    ``rows`` holds one dict per validated epoch: ``epoch``, ``iter``, ``wall_time_s``
    (since ``before_train``, validation included), ``train_time_s`` (the same without
    validation), ``val_time_s`` (this validation), and the metrics. When ``on_row`` is
    given it is called with the rows after each epoch (to save partial curves).
    """
    priority = 'VERY_LOW'

    def __init__(self, on_row=None) -> None:
        self.rows: List[dict] = []
        self.on_row = on_row
        self._start = self._val_start = None
        self._val_total = 0.0

    def before_train(self, runner) -> None:
        self._start = time.perf_counter()

    def before_val_epoch(self, runner) -> None:
        self._val_start = time.perf_counter()

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self._start is None:  # a validation outside training
            return
        now = time.perf_counter()
        val_time = now - self._val_start
        self._val_total += val_time
        wall = now - self._start
        row = dict(
            epoch=runner.epoch,
            iter=runner.iter,
            wall_time_s=round(wall, 2),
            train_time_s=round(wall - self._val_total, 2),
            val_time_s=round(val_time, 2))
        # NaN (e.g. hoi/mAP_rare without rare categories) is stored as None: null in
        # curve.json, an empty cell in curve.csv
        row.update({
            k: None if math.isnan(v) else float(v)
            for k, v in (metrics or {}).items() if isinstance(v, (int, float))
        })
        self.rows.append(row)
        if self.on_row is not None:
            self.on_row(self.rows)


def machine_info(threads: int) -> dict:
    return dict(
        processor=platform.processor() or platform.machine(),
        cpu_count=os.cpu_count(),
        torch_threads=threads,
        torch=torch.__version__,
        python=platform.python_version())


def write_curve(work_dir: str, header: dict, rows: List[dict]) -> None:
    """``curve.json`` (header + epochs) and ``curve.csv`` (one row per epoch)."""
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'curve.json'), 'w') as f:
        json.dump(dict(header, epochs=rows), f, indent=1)
    fields: List[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    with open(osp.join(work_dir, 'curve.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def format_table(rows: List[dict]) -> str:
    """The per-epoch table (wall-clock minutes and the metrics)."""
    metrics = [m for m in TABLE_METRICS if any(m in r for r in rows)]
    names = ['epoch', 'iter', 'wall min'] + [m.split('/')[-1] for m in metrics]
    lines = [' | '.join(f'{n:>9}' for n in names)]
    lines.append('-|-'.join('-' * 9 for _ in names))
    for r in rows:
        cells = [f'{r["epoch"]:>9d}', f'{r["iter"]:>9d}', f'{r["wall_time_s"] / 60:>9.2f}']
        cells += [f'{r[m]:>9.2f}' if r.get(m) is not None else f'{"-":>9}' for m in metrics]
        lines.append(' | '.join(cells))
    return '\n'.join(lines)


def target_summary(rows: List[dict]) -> str:
    """Whether issue 6's target (mAP >= 30, C-Acc >= 50 within 15 min) is met."""
    within = [r for r in rows if r['wall_time_s'] <= TIME_LIMIT_S]
    if not within:
        return 'target: no epoch ended within 15 minutes'
    last = within[-1]
    parts = []
    for key, goal in TARGETS.items():
        value = last.get(key)
        value = float('nan') if value is None else value
        parts.append(f'{key} {value:.2f} (target >= {goal:g}: '
                     f'{"met" if value >= goal else "not met"})')
    return (f'at epoch {last["epoch"]}, {last["wall_time_s"] / 60:.1f} min: ' + ', '.join(parts))


def plot_curves(work_dir: str, out_file: str) -> None:
    """Losses and metrics with ``tools/analysis/plot_curves.py``."""
    spec = importlib.util.spec_from_file_location('pair_plot_curves', PLOT_TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    train_rows, val_rows = tool.read_scalars(tool.find_scalars(work_dir))
    tool.plot(train_rows, val_rows, out_file)


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    ensure_dataset(args.data_root)
    cfg = build_config(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        set_cpu_threads(device_is_cpu=not torch.cuda.is_available())
    threads = torch.get_num_threads()
    header = dict(
        config=osp.relpath(osp.abspath(args.config), REPO),
        data_root=args.data_root,
        cfg_options=args.cfg_options or {},
        max_epochs=cfg.train_cfg.max_epochs,
        machine=machine_info(threads),
        load_average_start=list(os.getloadavg()))

    def save(rows):
        write_curve(args.work_dir, header, rows)

    recorder = CurveRecorderHook(on_row=save)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(recorder)
    runner.train()
    header['load_average_end'] = list(os.getloadavg())
    save(recorder.rows)

    plot = args.plot or osp.join(args.work_dir, 'curves.png')
    plot_curves(args.work_dir, plot)
    print()
    print(f'PaIR-Net on the synthetic validation split ({header["config"]}, '
          f'{threads} torch threads)')
    print(format_table(recorder.rows))
    print(target_summary(recorder.rows))
    print(f'curve: {osp.join(args.work_dir, "curve.json")} (and curve.csv); plot: {plot}')
    return recorder.rows


if __name__ == '__main__':
    main()
