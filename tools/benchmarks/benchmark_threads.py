"""Training speed on the CPU by thread count, alone and beside a busy process.

    PYTHONPATH=. python tools/benchmarks/benchmark_threads.py [CONFIG] \
        [--data-root data/synthetic] [--threads 1 2] [--iters 20] [--repeats 3]

For each thread count, times training iterations of CONFIG (default: the main job's,
``configs/pairnet_r18_synthetic.py``) on its training set twice: with the machine to
itself, and with a second process spinning on one core (a CPU-bound neighbour). Every
measurement runs in a fresh process with ``OMP_NUM_THREADS`` set before torch starts; the
conditions are interleaved ``--repeats`` times so that a slow spell of the machine falls
on all of them. Prints the median seconds per iteration (after warm-up) and its spread.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic'))
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument(
        '--iters',
        type=int,
        default=20,
        help='timed iterations per measurement (after 3 of warm-up)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def time_iterations(config: str, data_root: str, iters: int, warmup: int = 3) -> list:
    """Seconds of each of ``iters`` training iterations (after ``warmup``) in this
    process, with the config's model, data loader and optimiser."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    cfg.work_dir = osp.join(REPO, 'work_dirs', 'benchmark_threads')
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    model, loader = runner.model, runner.train_dataloader
    optim_wrapper = runner.build_optim_wrapper(cfg.optim_wrapper)
    model.train()
    times, batches = [], iter(loader)
    for i in range(warmup + iters):
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(loader)
            batch = next(batches)
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def measure(args, threads: int, busy: bool) -> float:
    """Median seconds per iteration in a fresh process with ``threads`` threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONPATH=REPO)
    neighbour = subprocess.Popen([sys.executable, '-c', 'while True: pass']) \
        if busy else None
    try:
        out = subprocess.run([
            sys.executable, __file__, args.config, '--data-root', args.data_root, '--iters',
            str(args.iters), '--worker'
        ],
                             env=env,
                             check=True,
                             stdout=subprocess.PIPE,
                             text=True).stdout
    finally:
        if neighbour is not None:
            neighbour.kill()
            neighbour.wait()
    return statistics.median(json.loads(out.strip().splitlines()[-1]))


def main():
    args = parse_args()
    if args.worker:
        print(json.dumps(time_iterations(args.config, args.data_root, args.iters)))
        return
    conditions = [(t, busy) for busy in (False, True) for t in args.threads]
    results = {c: [] for c in conditions}
    for repeat in range(args.repeats):
        for threads, busy in conditions:
            results[(threads, busy)].append(measure(args, threads, busy))
            print(
                f'repeat {repeat + 1}/{args.repeats}: {threads} thread(s), '
                f'{"busy neighbour" if busy else "alone"}: '
                f'{results[(threads, busy)][-1]:.3f} s/iter',
                flush=True)
    print(f'\n{osp.relpath(args.config, REPO)}, {os.cpu_count()} cores, '
          f'{args.iters} iterations per measurement, {args.repeats} repeats\n')
    print('| threads | alone (s/iter) | beside a busy process (s/iter) |')
    print('| ---: | ---: | ---: |')
    for threads in args.threads:
        cells = []
        for busy in (False, True):
            values = results[(threads, busy)]
            cells.append(f'{statistics.median(values):.3f} '
                         f'({min(values):.3f}-{max(values):.3f})')
        print(f'| {threads} | {cells[0]} | {cells[1]} |')


if __name__ == '__main__':
    main()
