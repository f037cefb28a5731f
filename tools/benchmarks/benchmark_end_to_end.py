# What a user of the deployed model waits for: a photo file in, its predictions file out.
"""Time and peak memory of one photo through PaIRInferencer, per backend, photo size and model.

    python tools/benchmarks/benchmark_end_to_end.py \\
        --model R50 configs/pairnet_r50_pair1.py \\
        --model R18 configs/pairnet_r18_synthetic.py work_dirs/main_job/epoch_26.pth \\
        --photos 640 480 1200 900 6048 4024 --threads 2 --runs 3 \\
        --out work_dirs/end_to_end.md

Each ``--model LABEL CONFIG [CHECKPOINT]`` (random weights without a checkpoint; the time
hardly depends on them) is exported to ONNX and quantized to INT8 (ONNX Runtime's QDQ, on
random calibration inputs unless ``--data-root`` names the config's data) once. The photos
are one real photo (``--photo``) resized to each ``--photos`` size and saved as JPEG.

What is timed is what ``tools/demo/image_demo.py`` does for one photo: read and decode
the file, the test pipeline, the model (eager PyTorch, or the graph in ONNX Runtime fp32
or INT8, or OpenVINO when ``--openvino``), the post-processing (triplets; the contact map
at the photo's size) and the predictions file with its contact mask written
(``no_save_vis``: the pictures are an option of their own). Every (model, backend) runs in
a fresh process with ``--threads`` threads (torch's and the runtime's); in it, every photo
is run once to warm up, then ``--runs`` times. A row gives the median time of the whole
call, the part of it in the post-processing (``PaIRNet.postprocess``, the same code on
every backend), and the process's peak resident memory during those calls (Linux's VmHWM,
reset before each photo; it includes the ~1 GB of torch and OpenMMLab themselves).
"""
import argparse
import functools
import io
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Dict, List, Optional, Tuple

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_PHOTO = osp.join(
    osp.dirname(ROOT), 'shared', 'data', 'real', 'unannotated_real', 'images',
    'ultralytics__zidane.jpg')
#: the backends: (PaIRInferencer backend, which graph file)
BACKENDS = {
    'eager fp32': ('pytorch', 'checkpoint'),
    'ONNX Runtime fp32': ('onnxruntime', 'onnx'),
    'ONNX Runtime INT8': ('onnxruntime', 'int8'),
    'OpenVINO fp32': ('openvino', 'onnx'),
    'OpenVINO INT8': ('openvino', 'openvino_int8'),
}


# ------------------------------------------------------------------- the measuring process
def reset_peak_memory() -> bool:
    """Reset the process's peak resident memory (VmHWM); False where Linux does not
    allow it (the peak then counts from the process's start)."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_memory_mib() -> float:
    """The process's peak resident memory since the last reset, in MiB."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(config: str, model_file: str, backend: str, photos: List[str], runs: int,
            threads: int) -> List[dict]:
    """Per photo: the times of ``runs`` whole calls, of their post-processing, and the
    peak memory during them."""
    import torch

    from pair_plugin.apis import PaIRInferencer
    torch.set_num_threads(threads)
    inferencer = PaIRInferencer(
        config,
        weights=model_file,
        backend=backend,
        device='cpu',
        num_threads=threads,
        show_progress=False)
    model = inferencer.model
    detector = model if backend == 'pytorch' else model.detector
    post_seconds: List[float] = []
    postprocess = detector.postprocess

    def timed_postprocess(*args, **kwargs):
        start = time.perf_counter()
        out = postprocess(*args, **kwargs)
        post_seconds.append(time.perf_counter() - start)
        return out

    detector.postprocess = timed_postprocess
    results = []
    with tempfile.TemporaryDirectory() as out_dir:
        for photo in photos:
            inferencer(photo, out_dir=out_dir, no_save_vis=True)  # warm-up
            exact_peak = reset_peak_memory()
            post_seconds.clear()
            totals = []
            for _ in range(runs):
                start = time.perf_counter()
                inferencer(photo, out_dir=out_dir, no_save_vis=True)
                totals.append(time.perf_counter() - start)
            if not osp.isfile(osp.join(out_dir, 'predictions.json')):
                raise RuntimeError(f'{photo}: no predictions file was written')
            results.append(
                dict(
                    photo=photo,
                    total=totals,
                    post=list(post_seconds),
                    peak_mib=peak_memory_mib(),
                    exact_peak=exact_peak))
    return results


# ------------------------------------------------------------------------ preparing
def write_photos(source: str, sizes: List[Tuple[int, int]], folder: str) -> List[str]:
    """``source`` resized to each (W, H) and saved as JPEG (quality 95) in ``folder``."""
    import cv2
    image = cv2.imread(source, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'--photo {source}: not a readable image')
    os.makedirs(folder, exist_ok=True)
    paths = []
    for width, height in sizes:
        path = osp.join(folder, f'photo_{width}x{height}.jpg')
        resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        if not cv2.imwrite(path, resized, [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise SystemExit(f'{path}: could not be written')
        paths.append(path)
    return paths


def model_files(label: str, config: str, checkpoint: Optional[str], args) -> Dict[str, str]:
    """The checkpoint (random weights saved when none is given), the fp32 ONNX graph and
    the INT8 graph(s) of one model, written into ``args.work_dir/label``."""
    import torch

    from pair_plugin.apis import build_detector, init_model
    from pair_plugin.apis.inference import load_config
    from pair_plugin.engine.checkpoint_integrity import write_checkpoint_file
    bench = _benchmark_inference()
    folder = osp.join(args.work_dir, label)
    os.makedirs(folder, exist_ok=True)
    cfg = load_config(config)
    if checkpoint:
        model = init_model(cfg, checkpoint)
    else:
        torch.manual_seed(0)
        model = build_detector(cfg)
        model.dataset_meta = {}
        checkpoint = osp.join(folder, 'random_weights.pth')
        buffer = io.BytesIO()
        torch.save(dict(state_dict=model.state_dict(), meta={}), buffer)
        write_checkpoint_file(buffer.getvalue(), checkpoint)
    model.dataset_meta = getattr(model, 'dataset_meta', None) or {}
    # export and calibration sizes: the configs' test resizes of landscape photos
    shapes = [(640, 640), (800, 1333)]
    options = SimpleNamespace(
        work_dir=folder,
        config=config,
        onnx=None,
        int8=None,
        openvino_int8=None,
        device='cpu',
        data_root=args.data_root,
        num_calib=args.num_calib)
    graphs = bench.deployed_files(options, cfg, model, shapes)
    files = dict(
        checkpoint=checkpoint,
        onnx=graphs['ONNX Runtime fp32'][1],
        int8=graphs['ONNX Runtime INT8'][1])
    if 'OpenVINO INT8' in graphs:
        files['openvino_int8'] = graphs['OpenVINO INT8'][1]
    return files


@functools.lru_cache(maxsize=None)
def _benchmark_inference():
    """tools/benchmarks/benchmark_inference.py (its export, quantization and formatting
    helpers), loaded once."""
    import importlib.util
    path = osp.join(ROOT, 'tools', 'benchmarks', 'benchmark_inference.py')
    spec = importlib.util.spec_from_file_location('tool_benchmark_inference', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_worker(config: str, model_file: str, backend: str, photos: List[str], args) -> list:
    """:func:`measure` in a fresh process (its own peak memory, its own threads)."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS=str(args.threads),
        PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    command = [
        sys.executable,
        osp.abspath(__file__), '--worker', config, model_file, backend,
        str(args.runs),
        str(args.threads), *photos
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f'{backend} on {model_file} failed:\n{done.stderr[-3000:]}')
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------- the table
def milliseconds(seconds: float) -> str:
    """benchmark_inference.py's milliseconds: 3 significant digits."""
    return _benchmark_inference().milliseconds(seconds)


def share(row: dict) -> float:
    """The post-processing's part of the median call."""
    return statistics.median(row['post']) / statistics.median(row['total'])


def build_table(results: Dict[str, Dict[str, list]], sizes: List[Tuple[int, int]]) -> str:
    """One row per (model, backend): per photo, total ms (post-processing ms) and peak MiB;
    then what the targets ask: each runtime against eager, post-processing's share."""
    header = ' | '.join(f'{w}x{h} ms (post) | peak MiB' for w, h in sizes)
    lines = [f'| model | backend | {header} |', '| --- | --- |' + ' ---: | ---: |' * len(sizes)]
    notes = []
    for label, per_backend in results.items():
        eager = per_backend.get('eager fp32')
        for backend, rows in per_backend.items():
            cells = []
            for index, row in enumerate(rows):
                total = statistics.median(row['total'])
                post = statistics.median(row['post']) if row['post'] else float('nan')
                cells.append(f'{milliseconds(total)} ({milliseconds(post)}) | '
                             f'{row["peak_mib"]:.0f}')
                if eager is not None and backend != 'eager fp32':
                    base = statistics.median(eager[index]['total'])
                    if total > base:
                        notes.append(f'{label} {backend} at {sizes[index][0]}x{sizes[index][1]}: '
                                     f'{milliseconds(total)} ms, slower than eager '
                                     f'({milliseconds(base)} ms)')
            lines.append(f'| {label} | {backend} | ' + ' | '.join(cells) + ' |')
        if eager is not None:
            shares = ', '.join(f'{w}x{h} {100 * share(r):.0f} %' for (w, h), r in zip(sizes, eager))
            notes.append(f'{label}: post-processing share of the eager total: {shares}')
    return '\n'.join(lines) + '\n\n' + '\n'.join(f'- {n}' for n in notes or ['-'])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='One photo, file to predictions file: time and memory per backend')
    parser.add_argument(
        '--model',
        nargs='+',
        action='append',
        required=True,
        metavar='LABEL CONFIG [CHECKPOINT]',
        help='a model to measure (repeat for several); random weights without a checkpoint')
    parser.add_argument(
        '--photos',
        type=int,
        nargs='+',
        default=[640, 480, 1200, 900, 6048, 4024],
        metavar='W H',
        help='pairs of photo (width, height)')
    parser.add_argument('--photo', default=DEFAULT_PHOTO, help='the photo to resize')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--openvino', action='store_true', help='OpenVINO fp32 and INT8 too')
    parser.add_argument('--data-root', help="calibration images: the config's dataset here")
    parser.add_argument('--num-calib', type=int, default=8)
    parser.add_argument('--work-dir', default='work_dirs/benchmark_end_to_end')
    parser.add_argument('--out', help='write the Markdown table to this file')
    args = parser.parse_args(argv)
    if len(args.photos) % 2:
        parser.error('--photos takes pairs of W H')
    for model in args.model:
        if len(model) not in (2, 3):
            parser.error(f'--model takes LABEL CONFIG [CHECKPOINT], not {model}')
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == '--worker':
        config, model_file, backend, runs, threads, *photos = argv[1:]
        print(json.dumps(measure(config, model_file, backend, photos, int(runs), int(threads))))
        return 0
    args = parse_args(argv)
    sizes = [tuple(args.photos[i:i + 2]) for i in range(0, len(args.photos), 2)]
    sizes.sort(key=lambda s: s[0] * s[1])
    photos = write_photos(args.photo, sizes, osp.join(args.work_dir, 'photos'))
    backends = {
        name: value
        for name, value in BACKENDS.items() if args.openvino or not name.startswith('OpenVINO')
    }
    loads = [os.getloadavg()]
    results: Dict[str, Dict[str, list]] = {}
    for label, config, *checkpoint in args.model:
        files = model_files(label, config, checkpoint[0] if checkpoint else None, args)
        results[label] = {}
        for name, (backend, key) in backends.items():
            rows = run_worker(config, files[key], backend, photos, args)
            results[label][name] = rows
            print(
                f'{label} {name}: ' + ', '.join(
                    f'{w}x{h} {milliseconds(statistics.median(r["total"]))} ms '
                    f'(post {milliseconds(statistics.median(r["post"]))}) {r["peak_mib"]:.0f} MiB'
                    for (w, h), r in zip(sizes, rows)),
                flush=True)
        loads.append(os.getloadavg())
    machine = _benchmark_inference().load_tool('tools/benchmarks/benchmark_speed.py').machine()
    exact = all(r['exact_peak'] for m in results.values() for rows in m.values() for r in rows)
    text = build_table(results, sizes) + (
        f'\n\n{args.threads} threads; {machine}; median of {args.runs} runs per photo after '
        'one warm-up, each (model, backend) in a fresh process; peak memory ' +
        ('reset before each photo' if exact else 'from the process start') +
        '; load average (1, 5, 15 min) ' + ' to '.join(', '.join(f'{x:.1f}' for x in load)
                                                       for load in (loads[0], loads[-1])) +
        f'; photos: {osp.basename(args.photo)} resized.\n')
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
