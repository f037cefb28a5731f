# What deployment costs in accuracy: eager fp32, ONNX Runtime fp32 and the INT8 models.
"""HOI mAP and contact accuracy of one checkpoint through every deployment backend.

    python tools/benchmarks/deployment_accuracy.py configs/pairnet_r18_synthetic.py \\
        work_dirs/main_job/epoch_26.pth --data-root data/synthetic --out accuracy.md

In one run: exports the checkpoint (``tools/deployment/export_onnx.py``'s export, verified
against eager PyTorch), quantizes it to INT8 with ONNX Runtime and, when installed, with
OpenVINO's NNCF (``--num-calib`` training images, as ``tools/deployment/quantize_onnx.py``),
then evaluates on the test split with the config's evaluators: eager PyTorch fp32, ONNX
Runtime fp32, ONNX Runtime INT8, OpenVINO INT8. Every backend shares the data pipeline,
the data preprocessor and :meth:`PaIRNet.postprocess`. Prints a Markdown table of mAP,
C-Acc, SC-Acc and mIoU with the difference from eager fp32; ``--out`` writes it.
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys
import time

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from pair_plugin.apis import export_onnx, init_deployed_model, init_model, verify_onnx
from pair_plugin.apis.inference import load_config
from pair_plugin.apis.quantization import (calibration_inputs, quantize_onnxruntime,
                                           quantize_openvino)
from pair_plugin.datasets import config_with_data_root
from pair_plugin.progress import track_progress

#: (column, metric key) of the table
METRICS = (('mAP', 'hoi/mAP'), ('C-Acc', 'contact/C-Acc'), ('SC-Acc', 'contact/SC-Acc'),
           ('mIoU', 'contact/mIoU'))


def parse_args():
    parser = argparse.ArgumentParser(
        description='Accuracy of PaIR-Net in eager PyTorch, ONNX Runtime fp32 and INT8')
    parser.add_argument('config', help='the model config file')
    parser.add_argument('checkpoint', help='the checkpoint file')
    parser.add_argument('--data-root', help="the dataset's root (default: the config's)")
    parser.add_argument(
        '--work-dir',
        default='work_dirs/deployment_accuracy',
        help='where the exported and quantized models go')
    parser.add_argument(
        '--num-calib', type=int, default=32, help='calibration images of the training split')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='threads of torch and the runtimes (default: torch\'s)')
    parser.add_argument('--onnx', help='an exported fp32 graph of the checkpoint to use')
    parser.add_argument('--int8', help='its ONNX Runtime INT8 graph to use')
    parser.add_argument('--openvino-int8', help='its OpenVINO INT8 IR (.xml) to use')
    parser.add_argument('--out', help='write the Markdown table to this file')
    return parser.parse_args()


def evaluate(model, cfg, title: str) -> dict:
    """The config's test metrics of ``model`` (anything with ``test_step``) on its test
    split."""
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = loader.dataset.metainfo
    with torch.no_grad():
        for data in track_progress(loader, title=title):
            evaluator.process(model.test_step(data), data)
    return evaluator.evaluate(len(loader.dataset))


def table(rows) -> str:
    base = rows[0][1]
    head = ' | '.join(f'{name} | Δ{name}' for name, _ in METRICS)
    lines = [f'| model | {head} | s |', '| --- |' + ' --- | --- |' * len(METRICS) + ' --- |']
    for name, metrics, seconds in rows:
        cells = ' | '.join(f'{metrics[key]:.2f} | {metrics[key] - base[key]:+.2f}'
                           for _, key in METRICS)
        lines.append(f'| {name} | {cells} | {seconds:.0f} |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = args.threads or torch.get_num_threads()
    cfg = load_config(args.config)
    if args.data_root:
        cfg = config_with_data_root(cfg, args.data_root)
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    os.makedirs(args.work_dir, exist_ok=True)
    stem = osp.join(args.work_dir, osp.splitext(osp.basename(args.checkpoint))[0])

    model = init_model(cfg, args.checkpoint)
    fp32_file = args.onnx
    if fp32_file is None:
        fp32_file = stem + '.onnx'
        export_onnx(
            model, fp32_file, dataset_meta=model.dataset_meta, config_text=model.cfg.pretty_text)
    models = [('eager fp32', model),
              ('ONNX Runtime fp32', init_deployed_model(cfg, fp32_file, num_threads=threads))]
    # the graph must be the checkpoint's: the comparison fails otherwise
    verify_onnx(model, models[1][1].run_graph, [(224, 288), (256, 320)])

    openvino = all(importlib.util.find_spec(m) for m in ('openvino', 'nncf'))
    samples = []
    if args.int8 is None or (openvino and args.openvino_int8 is None):
        samples = calibration_inputs(cfg, args.num_calib, 'train')
    int8_file = args.int8 or quantize_onnxruntime(fp32_file, stem + '_int8.onnx', samples)
    models.append(
        ('ONNX Runtime INT8 (QDQ)', init_deployed_model(cfg, int8_file, num_threads=threads)))
    if openvino:
        ov_file = args.openvino_int8 or quantize_openvino(fp32_file, stem + '_int8.xml', samples)
        models.append(('OpenVINO INT8 (NNCF)',
                       init_deployed_model(cfg, ov_file, 'openvino', num_threads=threads)))

    rows = []
    for name, backend in models:
        start = time.perf_counter()
        metrics = evaluate(backend, cfg, name)
        rows.append((name, metrics, time.perf_counter() - start))
    text = (f'{table(rows)}\n\n{args.checkpoint} on the test split of '
            f'{cfg.test_dataloader.dataset.data_root}; INT8 calibrated on '
            f'{len(samples) or args.num_calib} training images; {threads} threads; s: '
            'evaluation time.\n')
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
