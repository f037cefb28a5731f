# Speed of PaIR-Net against mmdet's own DETR-R50, in one run, on the same input and device.
#
#   PYTHONPATH=. python tools/benchmarks/benchmark_speed.py [--device cpu|cuda] [--runs 7]
#       [--out docs/benchmarks.md] [--data-root data/synthetic]
#
# Measures parameters and FLOPs (mmengine's analysis tools), forward latency (median of
# repeated runs after warm-up, torch.inference_mode) at 640x640 and 800x1333, one training
# step (forward, matching, losses, backward, optimiser step) on two images (PaIR-Net and
# DETR timed in turn, run after run, so that both see the same machine), and the data
# pipeline's throughput (0 and 2 workers) against the training step's consumption, and
# PaIR-Net's forward and training step with channels_last and AMP. Prints Markdown tables
# and writes them, with the machine they ran on, into --out (docs/benchmarks.md).
import argparse
import importlib.util
import os
import os.path as osp
import platform
import statistics
import time
from typing import Callable, List, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from pair_plugin.registry import MODELS
from pair_plugin.structures import PaIRDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRNET_CFG = osp.join(ROOT, 'configs', 'pairnet_r50_pair1.py')


def _load_get_flops():
    spec = importlib.util.spec_from_file_location(
        'get_flops', osp.join(ROOT, 'tools', 'analysis', 'get_flops.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


get_flops = _load_get_flops()


def detr_config_path() -> str:
    import mmdet
    path = osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'configs', 'detr', 'detr_r50_8xb2-150e_coco.py')
    if not osp.isfile(path):
        raise FileNotFoundError(f'mmdet DETR-R50 config not found at {path}')
    return path


def build(cfg_path: str, scope: str, device: str):
    init_default_scope(scope)
    cfg = Config.fromfile(cfg_path)
    cfg.model.backbone.init_cfg = None  # timing only: no weights to load
    if scope == 'mmdet':
        from mmdet.registry import MODELS as MMDET_MODELS
        model = MMDET_MODELS.build(cfg.model)
    else:
        model = MODELS.build(cfg.model)
    return model.to(device), cfg


def median_seconds(fns: Sequence[Callable], runs: int, warmup: int, device: str) -> List[float]:
    """The median wall time of each of ``fns``, timed in turn (a, b, a, b, ...).

    Interleaving makes a slow spell of a shared machine fall on every function alike, so
    the ratios between them are steadier than those of one function timed after another.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: List[List[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, fn_times in zip(fns, times):
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            fn_times.append(time.perf_counter() - t0)
    return [statistics.median(fn_times) for fn_times in times]


def count_params(model) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def count_flops(model, shape, device) -> float:
    """GFLOPs of ``model``'s tensor forward on one image (tools/analysis/get_flops.py)."""
    x = torch.randn(1, 3, *shape, device=device)
    analyzer = get_flops.flop_analyzer(model.eval(), x, [sample_for(shape, 'plain')])
    return analyzer.total() / 1e9


def sample_for(shape, kind: str, num_actions: int = 117):
    """A data sample with two people, two objects and two pairs on an image of ``shape``."""
    h, w = shape
    meta = dict(
        img_shape=(h, w),
        ori_shape=(h, w),
        batch_input_shape=(h, w),
        pad_shape=(h, w),
        scale_factor=(1.0, 1.0),
        contact_annotated=True)
    sample = PaIRDataSample(metainfo=meta) if kind == 'pair' else None
    if sample is None:
        from mmdet.structures import DetDataSample
        sample = DetDataSample(metainfo=meta)
    boxes = torch.tensor([[0.1 * w, 0.1 * h, 0.5 * w, 0.9 * h],
                          [0.4 * w, 0.5 * h, 0.7 * w, 0.8 * h],
                          [0.55 * w, 0.05 * h, 0.95 * w, 0.95 * h],
                          [0.2 * w, 0.6 * h, 0.35 * w, 0.75 * h]])
    sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.tensor([0, 41, 0, 56]))
    if kind == 'pair':
        actions = torch.zeros(2, num_actions)
        actions[0, 3] = actions[1, 7] = actions[1, 9] = 1
        parts = torch.zeros(2, 17)
        parts[0, 5] = parts[1, 9] = 1
        sample.gt_pairs = InstanceData(
            subject_ids=torch.tensor([0, 2]),
            object_ids=torch.tensor([1, 3]),
            actions=actions,
            contact_parts=parts)
        sample.gt_parts = parts.amax(0)
        seg = torch.zeros(1, h, w, dtype=torch.long)
        seg[:, int(0.5 * h):int(0.6 * h), int(0.4 * w):int(0.5 * w)] = 6
        sample.gt_sem_seg = PixelData(sem_seg=seg)
    return sample


def autocast(device: str, amp: bool):
    """Autocast in bf16 on the CPU, fp16 on CUDA (``tools/train.py --amp``: fp16 on CUDA)."""
    device_type = 'cuda' if device.startswith('cuda') else 'cpu'
    dtype = torch.float16 if device_type == 'cuda' else torch.bfloat16
    return torch.autocast(device_type, dtype=dtype, enabled=amp)


def memory_format(channels_last: bool):
    return torch.channels_last if channels_last else torch.contiguous_format


def train_step(model,
               kind,
               shape,
               device,
               channels_last: bool = False,
               amp: bool = False) -> Callable:
    """One training step (forward, matching, losses, backward, AdamW) on two images.

    Puts the model in ``channels_last`` if asked (undo with
    ``model.to(memory_format=torch.contiguous_format)``); the step sets train mode itself,
    so that it can be timed in turn with a forward.
    """
    model.to(memory_format=memory_format(channels_last))
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    inputs = torch.randn(
        2, 3, *shape, device=device).contiguous(memory_format=memory_format(channels_last))
    samples = [sample_for(shape, kind).to(device) for _ in range(2)]

    def step():
        model.train()
        with autocast(device, amp):
            losses = model.loss(inputs, samples)
            loss = sum(v.sum() for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        loss.backward()
        optim.step()

    return step


def forward(model, kind, shape, device, channels_last: bool = False, amp: bool = False) -> Callable:
    """One inference forward of one image (``torch.inference_mode``, eval mode)."""
    model.to(memory_format=memory_format(channels_last))
    x = torch.randn(
        1, 3, *shape, device=device).contiguous(memory_format=memory_format(channels_last))
    samples = [sample_for(shape, kind).to(device)]

    def fwd():
        model.eval()
        with torch.inference_mode(), autocast(device, amp):
            model._forward(x, samples)

    return fwd


def option_rows(model, runs: int, warmup: int, device: str) -> List[str]:
    """PaIR-Net R50 at 640x640 in fp32, channels_last, AMP and both (Markdown rows)."""
    shape = (640, 640)
    options = [('fp32', False, False), ('channels_last', True, False),
               ('AMP (bf16 on CPU, fp16 on CUDA)', False, True),
               ('channels_last + AMP', True, True)]
    rows, base = [], None
    for name, channels_last, amp in options:
        try:
            fwd, = median_seconds([forward(model, 'pair', shape, device, channels_last, amp)], runs,
                                  warmup, device)
            step, = median_seconds([train_step(model, 'pair', shape, device, channels_last, amp)],
                                   runs, warmup, device)
        finally:
            model.to(memory_format=torch.contiguous_format)
        base = base or (fwd, step)
        rows.append(f'| {name} | {1e3 * fwd:.1f} | {base[0] / fwd:.2f} | '
                    f'{1e3 * step:.1f} | {base[1] / step:.2f} |')
    return rows


def data_pipeline_images_per_second(cfg, data_root: str, num_images: int, workers: int) -> float:
    """Images/s of the PaIR-1 training pipeline over data_root's train split."""
    from mmengine.runner import Runner
    init_default_scope('pair_plugin')
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.dataset.data_root = data_root
    loader_cfg.dataset.ann_file = 'annotations/train.json'
    loader_cfg.num_workers = workers
    loader_cfg.persistent_workers = False
    loader_cfg.batch_size = 2
    loader = Runner.build_dataloader(loader_cfg)
    it = iter(loader)
    next(it)  # start-up of the workers is not throughput
    seen, t0 = 0, time.perf_counter()
    for batch in it:
        seen += len(batch['data_samples'])
        if seen >= num_images:
            break
    return seen / (time.perf_counter() - t0)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return (f'{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, '
            f'threads {torch.get_num_threads()}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--data-root', default=osp.join(ROOT, 'data', 'synthetic'))
    parser.add_argument('--data-images', type=int, default=40)
    parser.add_argument('--skip-flops', action='store_true')
    parser.add_argument(
        '--shapes',
        type=int,
        nargs='+',
        default=[640, 640, 800, 1333],
        metavar='H W',
        help='pairs of input (H, W) for the FLOPs and the forward pass')
    parser.add_argument('--skip-train', action='store_true', help='do not time the training step')
    parser.add_argument(
        '--skip-options',
        action='store_true',
        help='do not time PaIR-Net with channels_last and AMP')
    parser.add_argument('--out', help='Markdown file to write the results into')
    args = parser.parse_args()
    dev = args.device
    if len(args.shapes) % 2:
        parser.error('--shapes takes pairs of H W')
    shapes = [tuple(args.shapes[i:i + 2]) for i in range(0, len(args.shapes), 2)]

    pairnet, pair_cfg = build(PAIRNET_CFG, 'pair_plugin', dev)
    detr, _ = build(detr_config_path(), 'mmdet', dev)
    rows: List[tuple] = []
    rows.append(('parameters (M)', count_params(pairnet), count_params(detr)))
    if not args.skip_flops:
        for shape in shapes:
            init_default_scope('pair_plugin')
            rows.append(
                (f'GFLOPs {shape[0]}x{shape[1]}', count_flops(pairnet, shape,
                                                              dev), count_flops(detr, shape, dev)))
    # each pair of numbers is timed in turn, PaIR-Net then DETR, run after run
    for shape in shapes:
        ours, theirs = median_seconds(
            [forward(pairnet, 'pair', shape, dev),
             forward(detr, 'det', shape, dev)], args.runs, args.warmup, dev)
        rows.append((f'forward {shape[0]}x{shape[1]} (ms)', 1e3 * ours, 1e3 * theirs))
    pair_step = None
    if not args.skip_train:
        shape = (640, 640)
        pair_step, detr_step = median_seconds(
            [train_step(pairnet, 'pair', shape, dev),
             train_step(detr, 'det', shape, dev)], args.runs, args.warmup, dev)
        rows.append(('train step, 2 images 640x640 (ms)', 1e3 * pair_step, 1e3 * detr_step))

    lines = [
        f'Machine: {machine()}; device: {dev}; median of {args.runs} runs '
        f'after {args.warmup} warm-up runs, PaIR-Net and DETR timed in turn.', '',
        '| measure | PaIR-Net R50 | DETR-R50 (mmdet) | ratio |', '| --- | ---: | ---: | ---: |'
    ]
    for name, ours, theirs in rows:
        lines.append(f'| {name} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} |')
    if pair_step is None:
        lines.append('(no training step nor data pipeline measure: --skip-train)')
    elif osp.isfile(osp.join(args.data_root, 'annotations', 'train.json')):
        consumption = 2 / pair_step
        for workers in (0, 2):
            ips = data_pipeline_images_per_second(pair_cfg, args.data_root, args.data_images,
                                                  workers)
            lines.append(f'| data pipeline, PaIR-1 train transforms, {workers} workers '
                         f'(images/s) vs train step consumption | {ips:.1f} | '
                         f'{consumption:.2f} | {ips / consumption:.1f} |')
    else:
        lines.append(f'(no data pipeline measure: {args.data_root} has no '
                     'annotations/train.json; generate the synthetic set first)')
    if not args.skip_options:
        lines += [
            '', 'PaIR-Net R50 at 640x640 with the memory-format and precision options '
            '(speed-up against fp32):', '',
            '| option | forward (ms) | speed-up | train step, 2 images (ms) | speed-up |',
            '| --- | ---: | ---: | ---: | ---: |'
        ] + option_rows(pairnet, args.runs, args.warmup, dev)
    table = '\n'.join(lines)
    print(table)
    if args.out:
        write_section(args.out, table)
        print(f'written to {args.out}')


def write_section(path: str, table: str):
    """Replace the speed section of ``path`` (between markers) with ``table``."""
    begin, end = '<!-- speed:begin -->', '<!-- speed:end -->'
    text = open(path).read() if osp.isfile(path) else '# Benchmarks\n'
    block = f'{begin}\n{table}\n{end}'
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + '\n\n## Speed against DETR-R50\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
