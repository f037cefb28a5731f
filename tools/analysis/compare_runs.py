"""Runs of several configs over seeds, side by side: mean (min-max) of their test metrics.

    python tools/analysis/compare_runs.py \\
        "baseline=work_dirs/claims/baseline_s*/test/*/*.json" \\
        "iim-trans=work_dirs/claims/iim-trans_s*/test/*/*.json" --out table.md

Each argument is ``LABEL=PATTERN``: the test metrics files (``tools/test.py`` writes
``<work_dir>/<timestamp>/<timestamp>.json``) of one system's runs, one per seed; a run
folder with several test results counts with its newest. A row gives the number of runs
and, per metric, the mean and the range over them; a metric a system does not predict
(an HOI-only or contact-only model) is a dash.
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import sys
from typing import Dict, List, Sequence, Tuple

#: (key in the metrics file, column)
METRICS = (('hoi/mAP', 'HOI mAP'), ('contact/SC-Acc', 'SC-Acc'), ('contact/C-Acc', 'C-Acc'),
           ('contact/mIoU', 'mIoU'))


def parse_group(text: str) -> Tuple[str, str]:
    if '=' not in text:
        raise argparse.ArgumentTypeError(f'{text!r}: give LABEL=PATTERN')
    label, pattern = text.split('=', 1)
    return label, pattern


def newest_per_run(paths: Sequence[str]) -> List[str]:
    """One metrics file per run folder (the folder above the timestamped ones): the
    newest, by its timestamped name."""
    runs: Dict[str, str] = {}
    for path in sorted(paths):
        run = osp.dirname(osp.dirname(path))
        runs[run] = max(runs.get(run, path), path)
    return [runs[run] for run in sorted(runs)]


def load_metrics(path: str) -> dict:
    try:
        with open(path) as f:
            metrics = json.load(f)
    except (OSError, ValueError) as error:
        raise SystemExit(f'{path}: not a readable metrics file ({error})')
    if not isinstance(metrics, dict):
        raise SystemExit(f'{path}: not a metrics file (a JSON object of metric values)')
    return metrics


def cell(values: Sequence[float]) -> str:
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.1f}'
    return f'{statistics.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})'


def table(groups: Sequence[Tuple[str, List[dict]]]) -> str:
    lines = [
        '| system | runs | ' + ' | '.join(name for _, name in METRICS) + ' |',
        '| --- | ---: |' + ' ---: |' * len(METRICS)
    ]
    for label, runs in groups:
        cells = [cell([run[key] for run in runs if key in run]) for key, _ in METRICS]
        lines.append(f'| {label} | {len(runs)} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('groups', nargs='+', type=parse_group, metavar='LABEL=PATTERN')
    parser.add_argument('--out', help='also write the Markdown table here')
    args = parser.parse_args(argv)
    groups = []
    for label, pattern in args.groups:
        paths = newest_per_run(glob.glob(pattern))
        if not paths:
            raise SystemExit(f'{label}: no metrics file matches {pattern}')
        groups.append((label, [load_metrics(p) for p in paths]))
    text = table(groups)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
