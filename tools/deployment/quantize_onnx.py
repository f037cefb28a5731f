# Static INT8 quantization of an exported PaIR-Net graph, calibrated on training images.
"""Quantize the graph of ``tools/deployment/export_onnx.py`` to INT8.

    python tools/deployment/quantize_onnx.py work_dirs/deploy/pairnet_r18.onnx \\
        --data-root data/synthetic --num-images 32

Post-training static quantization calibrated on ``--num-images`` images spread over the
``--split`` (training by default) of the config's dataset, through its test pipeline:

- ``--quantizer onnxruntime`` (the default): ONNX Runtime's QDQ quantization; writes
  ``<model>_int8.onnx``, run with ``--backend onnxruntime``;
- ``--quantizer openvino`` (``requirements/deploy.txt``): NNCF, transformer preset; writes
  an OpenVINO IR ``<model>_int8.xml`` (+ ``.bin``), run with ``--backend openvino``.

Both keep the prediction heads in float (``pair_plugin.apis.quantization``). On the
synthetic set ONNX Runtime's loses less accuracy, and runs as fast or faster
(``docs/deployment.md``).

The config is the one stored in the graph (``--config`` to give another). The INT8 model's
outputs on the first calibration images are compared with the fp32 graph's as a check;
the accuracy on a test split: ``tools/benchmarks/deployment_accuracy.py``.
"""
import argparse
import importlib.util
import os.path as osp
import sys
import time

import numpy as np
import torch
from mmengine.config import Config

from pair_plugin.apis import init_deployed_model, read_onnx_metadata
from pair_plugin.apis.inference import load_config
from pair_plugin.apis.quantization import (QUANTIZERS, calibration_inputs, quantize_onnxruntime,
                                           quantize_openvino)
from pair_plugin.datasets import config_with_data_root


def openvino_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ('openvino', 'nncf'))


def parse_args():
    parser = argparse.ArgumentParser(description='Quantize an exported PaIR-Net to INT8')
    parser.add_argument('model', help='the fp32 .onnx file of export_onnx.py')
    parser.add_argument(
        '--config', help='the model config (default: the one stored in '
        'the .onnx file)')
    parser.add_argument('--data-root', help="the dataset's root (default: the config's)")
    parser.add_argument(
        '--split',
        default='train',
        choices=('train', 'val', 'test'),
        help='the split the calibration images come from')
    parser.add_argument(
        '--num-images',
        type=int,
        default=32,
        help='calibration images, spread evenly over the split')
    parser.add_argument('--quantizer', choices=sorted(QUANTIZERS), default='onnxruntime')
    parser.add_argument(
        '--out',
        help='the INT8 model (default: <model>_int8.xml for '
        'openvino, <model>_int8.onnx for onnxruntime)')
    return parser.parse_args()


def compare(fp32, int8, samples) -> None:
    """Print how far the INT8 outputs are from the fp32 ones on ``samples``."""
    diffs, agree = {}, []
    for sample in samples:
        inputs = {k: torch.from_numpy(v) for k, v in sample.items()}
        ref = fp32.run_graph(**inputs)
        out = int8.run_graph(**inputs)
        for name, value in ref.items():
            diffs[name] = max(diffs.get(name, 0.0), float((value - out[name]).abs().max()))
        h, w = (int(v) for v in sample['img_sizes'][0])
        agree.append(
            float((ref['seg_logits'][0, :, :h, :w].argmax(0) == out['seg_logits'][
                0, :, :h, :w].argmax(0)).float().mean()))
    print(f'INT8 against fp32 on {len(samples)} calibration images: max abs diff ' +
          ', '.join(f'{k} {v:.3g}' for k, v in diffs.items()) +
          f'; contact argmax equal on {100 * np.mean(agree):.2f} % of the pixels')


def main():
    args = parse_args()
    if args.quantizer == 'openvino' and not openvino_installed():
        raise SystemExit('--quantizer openvino needs `pip install -r '
                         'requirements/deploy.txt` (openvino, nncf)')
    if args.config:
        cfg = load_config(args.config)
    else:
        stored = read_onnx_metadata(args.model)['config']
        if not stored:
            raise SystemExit(f'{args.model}: holds no config; give --config')
        cfg = Config.fromstring(stored, file_format='.py')
    if args.data_root:
        cfg = config_with_data_root(cfg, args.data_root)
    out = args.out or osp.splitext(args.model)[0] + '_int8' + QUANTIZERS[args.quantizer]

    start = time.perf_counter()
    samples = calibration_inputs(cfg, args.num_images, args.split)
    print(f'{len(samples)} calibration images of the {args.split} split read in '
          f'{time.perf_counter() - start:.0f} s')
    start = time.perf_counter()
    quantize = quantize_openvino if args.quantizer == 'openvino' else quantize_onnxruntime
    quantize(args.model, out, samples)
    print(f'{args.quantizer} INT8 model written to {osp.abspath(out)} in '
          f'{time.perf_counter() - start:.0f} s')

    fp32 = init_deployed_model(cfg, args.model, 'onnxruntime')
    int8 = init_deployed_model(cfg, out, args.quantizer)
    compare(fp32, int8, samples[:4])
    return 0


if __name__ == '__main__':
    sys.exit(main())
