# PaIR-Net's inference in eager PyTorch and deployment runtimes, side by side, in one run.
"""Latency of PaIR-Net's forward pass with every backend, against the machine's floor.

    python tools/benchmarks/benchmark_inference.py configs/pairnet_r50_pair1.py \\
        --threads 2 --out work_dirs/benchmark_inference.md

On the CPU: eager PyTorch fp32, channels_last and bf16 autocast (where the CPU has bf16
instructions), ONNX Runtime fp32 and INT8 (QDQ), and, when installed, OpenVINO fp32 and
INT8 (NNCF); on CUDA: eager fp32 and fp16 autocast, ONNX Runtime's CUDA provider and
TensorRT provider (where installed). Batch 1 at each ``--shapes`` (default 640x640 and
800x1333, padded to the preprocessor's multiple of 32). What is timed is the graph of
:class:`pair_plugin.apis.ExportedHeads` on a preprocessed batch (every branch, no
post-processing, which all backends share): every backend is timed in turn, run after
run, so that a slow spell of a shared machine falls on all alike; median of ``--runs``
after ``--warmup`` runs, with the fastest and slowest run.

The compute floor is the model's multiply-adds (``tools/analysis/get_flops.py``'s count)
divided by the rate of a large fp32 matrix product measured in the same run with the same
threads: the time the model would take if all of it ran as fast as the best case of the
machine's fp32 arithmetic. Each row is given as a speed-up over eager fp32 and as a
multiple of that floor.

The graphs are exported from ``--checkpoint`` (random weights without one; the speed does
not depend on them) into ``--work-dir`` and quantized with calibration images of
``--data-root`` (the config's dataset, training split) or, without it, random inputs at
the benchmark's sizes; ``--onnx`` / ``--int8`` / ``--openvino-int8`` reuse files.
"""
import argparse
import copy
import importlib.util
import os
import os.path as osp
import statistics
import sys
import time
from functools import partial
from typing import Callable, Dict, List, Tuple

import numpy as np
import torch

from pair_plugin.apis import DeployedPaIRNet, build_detector, export_onnx, init_model
from pair_plugin.apis.inference import load_config
from pair_plugin.apis.onnx_export import INPUT_NAMES
from pair_plugin.apis.quantization import (calibration_inputs, quantize_onnxruntime,
                                           quantize_openvino)
from pair_plugin.datasets import config_with_data_root

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(relative_path: str):
    """A script under ``tools/`` as a module (to reuse its functions)."""
    path = osp.join(ROOT, relative_path)
    spec = importlib.util.spec_from_file_location('tool_' + osp.splitext(osp.basename(path))[0],
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args():
    parser = argparse.ArgumentParser(
        description='PaIR-Net inference latency: eager PyTorch, ONNX Runtime, OpenVINO')
    parser.add_argument('config', help='the model config file')
    parser.add_argument('--checkpoint', help='weights (random without them)')
    parser.add_argument(
        '--shapes',
        type=int,
        nargs='+',
        default=[640, 640, 800, 1333],
        metavar='H W',
        help='pairs of image (H, W)')
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help="threads of torch and the runtimes (default: torch's)")
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument(
        '--data-root',
        help='calibration images: the config dataset '
        "at this root (default: random inputs)")
    parser.add_argument(
        '--num-calib', type=int, default=8, help='calibration images or random inputs')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmark_inference',
        help='where the exported and quantized models go')
    parser.add_argument('--onnx', help='an exported fp32 graph to use')
    parser.add_argument('--int8', help='an ONNX Runtime INT8 graph to use')
    parser.add_argument('--openvino-int8', help='an OpenVINO INT8 IR (.xml) to use')
    parser.add_argument('--out', help='write the Markdown table to this file')
    return parser.parse_args()


def interleaved_times(fns: Dict[str, Callable],
                      runs: int,
                      warmup: int,
                      sync: Callable = lambda: None) -> Dict[str, List[float]]:
    """Seconds of each run of each function, timed in turn (a, b, c, a, b, c, ...)."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
            sync()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return times


def matmul_macs_per_second(device: str, runs: int, size: int = 2048) -> float:
    """Multiply-adds per second of a ``size`` x ``size`` fp32 matrix product (median)."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    seconds = interleaved_times({'mm': lambda: torch.mm(a, b)}, runs, 2, sync)['mm']
    return size**3 / statistics.median(seconds)


def bf16_supported() -> bool:
    """Whether this CPU runs bf16 in hardware (oneDNN says so: AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def eager_variants(model, inputs, img_sizes, padded, device: str) -> Dict[str, Callable]:
    """The eager forward passes: fp32, channels_last, bf16 (CPU) or fp16 (CUDA)."""

    def forward(net, autocast_dtype=None):

        def run():
            with torch.no_grad(), torch.autocast(
                    device.split(':')[0],
                    dtype=autocast_dtype or torch.float32,
                    enabled=autocast_dtype is not None):
                net.forward_heads(inputs, img_sizes, padded)

        return run

    fns = {'eager fp32': forward(model)}
    if device == 'cpu':
        channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
        channels_last.channels_last = True
        fns['eager channels_last'] = forward(channels_last)
        if bf16_supported():
            fns['eager bf16 autocast'] = forward(model, torch.bfloat16)
    else:
        fns['eager fp16 autocast'] = forward(model, torch.float16)
    return fns


def deployed_graphs(detector, files: Dict[str, Tuple[str, str]], device: str,
                    threads: int) -> Dict[str, Callable]:
    """``run_graph(inputs, img_sizes)`` of each deployed graph: ``files`` maps a row name
    to (backend, file); on CUDA, ONNX Runtime's CUDA and TensorRT providers run the fp32
    graph."""
    graphs = {}
    if device == 'cpu':
        for name, (backend, path) in files.items():
            graphs[name] = DeployedPaIRNet(detector, path, backend, 'cpu', threads).run_graph
        return graphs
    import onnxruntime as ort
    fp32 = files['ONNX Runtime fp32'][1]
    graphs['ONNX Runtime CUDA fp32'] = DeployedPaIRNet(detector, fp32, 'onnxruntime',
                                                       device).run_graph
    if 'TensorrtExecutionProvider' in ort.get_available_providers():
        session = ort.InferenceSession(
            fp32, providers=['TensorrtExecutionProvider', 'CUDAExecutionProvider'])
        graphs['ONNX Runtime TensorRT fp32'] = lambda inputs, img_sizes: session.run(
            None, dict(zip(INPUT_NAMES, (inputs.numpy(), img_sizes.numpy()))))
    return graphs


def deployed_files(args, cfg, model, shapes) -> Dict[str, Tuple[str, str]]:
    """Export and quantize (or reuse) the graphs; the row names with (backend, file)."""
    os.makedirs(args.work_dir, exist_ok=True)
    stem = osp.join(args.work_dir, osp.splitext(osp.basename(args.config))[0])
    fp32 = args.onnx
    if fp32 is None:
        fp32 = stem + '.onnx'
        export_onnx(model, fp32, shapes[0], dataset_meta=model.dataset_meta)
    files = {'ONNX Runtime fp32': ('onnxruntime', fp32)}
    if args.device != 'cpu':
        return files
    openvino = all(importlib.util.find_spec(m) for m in ('openvino', 'nncf'))
    samples = None
    if not args.int8 or (openvino and not args.openvino_int8):
        samples = calibration_samples(args, cfg, model, shapes)
    files['ONNX Runtime INT8'] = ('onnxruntime', args.int8
                                  or quantize_onnxruntime(fp32, stem + '_int8.onnx', samples))
    if openvino:
        files['OpenVINO fp32'] = ('openvino', fp32)
        files['OpenVINO INT8'] = ('openvino', args.openvino_int8
                                  or quantize_openvino(fp32, stem + '_int8.xml', samples))
    return files


def calibration_samples(args, cfg, model, shapes) -> List[Dict[str, np.ndarray]]:
    """Calibration inputs: the dataset's training images, or random inputs."""
    if args.data_root:
        return calibration_inputs(config_with_data_root(cfg, args.data_root), args.num_calib)
    generator = torch.Generator().manual_seed(0)
    samples = []
    for index in range(args.num_calib):
        h, w = (-(-s // 32) * 32 for s in shapes[index % len(shapes)])
        samples.append(
            dict(
                zip(INPUT_NAMES, (torch.randn(
                    1, 3, h, w, generator=generator).numpy(), np.array([[h, w]], np.int64)))))
    return samples


def milliseconds(seconds: float) -> str:
    """Milliseconds to 3 significant digits, without an exponent."""
    ms = 1e3 * seconds
    return f'{ms:.0f}' if ms >= 100 else f'{ms:.1f}' if ms >= 10 else f'{ms:.2f}'


def cell(times: List[float]) -> str:
    """``median (fastest-slowest)`` in milliseconds."""
    return (f'{milliseconds(statistics.median(times))} '
            f'({milliseconds(min(times))}-{milliseconds(max(times))})')


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    if len(args.shapes) % 2:
        raise SystemExit('--shapes takes pairs of H W')
    shapes = [tuple(args.shapes[i:i + 2]) for i in range(0, len(args.shapes), 2)]
    get_flops = load_tool('tools/analysis/get_flops.py')
    machine = load_tool('tools/benchmarks/benchmark_speed.py').machine

    cfg = load_config(args.config)
    model = (init_model(cfg, args.checkpoint) if args.checkpoint else build_detector(cfg))
    model.dataset_meta = getattr(model, 'dataset_meta', {})
    files = deployed_files(args, cfg, model, shapes)
    model = model.to(args.device)
    sync = torch.cuda.synchronize if args.device.startswith('cuda') else (lambda: None)
    rate = matmul_macs_per_second(args.device, args.runs)

    graphs = deployed_graphs(model, files, args.device, threads)
    results, floors, macs = {}, {}, {}
    for shape in shapes:
        inputs, samples = get_flops.preprocessed_image(model, shape)
        with torch.no_grad():
            macs[shape] = get_flops.flop_analyzer(model, inputs, samples).total()
        floors[shape] = macs[shape] / rate
        img_sizes, padded = model.img_sizes(inputs, samples)
        fns = eager_variants(model, inputs, img_sizes, padded, args.device)
        for name, run_graph in graphs.items():
            fns[name] = partial(run_graph, inputs.cpu(), img_sizes.cpu())
        results[shape] = interleaved_times(fns, args.runs, args.warmup, sync)
        print(
            f'{shape[0]}x{shape[1]}: ' + ', '.join(f'{name} {cell(t)} ms'
                                                   for name, t in results[shape].items()),
            flush=True)

    names = list(results[shapes[0]])
    header = ' | '.join(f'{h}x{w} ms | speed-up | x floor' for h, w in shapes)
    lines = [f'| backend | {header} |', '| --- |' + ' ---: | ---: | ---: |' * len(shapes)]
    for name in names:
        cells = []
        for shape in shapes:
            times = results[shape][name]
            base = statistics.median(results[shape]['eager fp32'])
            median = statistics.median(times)
            cells.append(f'{cell(times)} | {base / median:.2f} | '
                         f'{median / floors[shape]:.1f}')
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    floor_cells = ' | '.join(f'{milliseconds(floors[s])} | | 1.0' for s in shapes)
    lines.append(f'| compute floor | {floor_cells} |')
    text = '\n'.join(lines) + (
        f'\n\n{args.config}, batch 1, {args.device}; {machine()}; median (fastest-'
        f'slowest) of {args.runs} runs after {args.warmup} warm-up runs, all backends '
        f'timed in turn. Multiply-adds: ' + ', '.join(f'{h}x{w} {macs[(h, w)] / 1e9:.3g} G'
                                                      for h, w in shapes) +
        f'; fp32 matrix product {rate / 1e9:.0f} G multiply-adds/s.\n')
    print(text)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
