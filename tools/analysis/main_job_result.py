"""Print the main job's test result beside the range documented for it.

    python tools/analysis/main_job_result.py METRICS_JSON [--minutes M]

METRICS_JSON is the test metrics file that ``tools/test.py`` writes
(``<work_dir>/<timestamp>/<timestamp>.json``). The documented range is that of
``configs/pairnet_r18_synthetic.py`` over several seeds on a 2-core machine
(docs/benchmarks.md, "The main job over seeds", which gives the command).
"""
import argparse
import json

#: (key in the metrics file, name, mean, min, max) on the test split, seeds 0-5
DOCUMENTED = [
    ('hoi/mAP', 'HOI mAP', 23.5, 17.8, 25.9),
    ('contact/C-Acc', 'C-Acc', 63.7, 60.3, 69.6),
    ('contact/SC-Acc', 'SC-Acc', 50.6, 47.5, 56.6),
    ('contact/mIoU', 'mIoU', 25.5, 23.5, 28.4),
]
#: minutes of the whole main job (generating the data included where it ran), mean, min, max
DOCUMENTED_MINUTES = (39.1, 35.8, 45.3)
NUM_SEEDS = 6


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('metrics', help='the test metrics JSON of tools/test.py')
    parser.add_argument('--minutes', type=float, help='the main job\'s wall time')
    return parser.parse_args(argv)


def result_lines(metrics: dict, minutes=None) -> list:
    """One line per documented number: this run's value and the documented range."""
    rows = [(name, metrics.get(key), mean, low, high) for key, name, mean, low, high in DOCUMENTED]
    if minutes is not None:
        rows.append(('minutes', minutes, *DOCUMENTED_MINUTES))
    lines = []
    for name, value, mean, low, high in rows:
        if value is None:
            continue
        line = f'{name}: {value:.1f}'
        if mean is not None:
            line += (f'; over {NUM_SEEDS} seeds documented {low:.1f}-{high:.1f} '
                     f'(mean {mean:.1f})')
        lines.append(line)
    return lines


def main(argv=None):
    args = parse_args(argv)
    with open(args.metrics) as f:
        metrics = json.load(f)
    for line in result_lines(metrics, args.minutes):
        print(f'  {line}')


if __name__ == '__main__':
    main()
