"""Table 1's efficiency columns: PaIR-Net R50 against the two-model pipelines, in one run.

    PYTHONPATH=. python tools/benchmarks/benchmark_comparison.py --write-docs
    PYTHONPATH=. python tools/benchmarks/benchmark_comparison.py --device cuda   # on a GPU

For PaIR-Net (configs/pairnet_r50_pair1.py) and each two-model pipeline
(configs/two_model/*+*_r50_pair1.py): parameters beside the paper's Table 1, GFLOPs at
800x1333 (tools/analysis/get_flops.py's analyzer: one multiply-add is one FLOP; a pipeline's
are the sum of its two models'), and the time of ``predict`` on one image (forward and
post-processing: triplets, contact map at the image size; no data loading), random
weights, eval mode, as a ratio to PaIR-Net's beside the paper's ratio (e.g. DisTrans + HOT
230.4 / 75.2 = 3.06x). Every model (PaIR-Net and each distinct half) is timed in turn in
every run, after warm-up runs, so that a slow spell of a shared machine falls on all of
them alike; a pipeline's time in a run is the sum of its two models' times in that run.
Each model gets the same random image through its own data preprocessor (normalisation,
padding), as TwoModelPipeline runs its halves.

PIHOT's three frozen networks (person segmenter, inpainter, depth estimator) are the user's
(docs/model.md, "PIHOT"): give them with ``--pihot-networks``; without them, stand-ins of
one 3x3 convolution each are used and the row says so (its time and FLOPs are then those of
PIHOT's trainable part and its own image stage, without the three networks).

``--write-docs`` writes the table, the command and the machine between the markers
``<!-- comparison:begin -->`` and ``<!-- comparison:end -->`` of docs/benchmarks.md.
"""
import argparse
import importlib.util
import itertools
import os
import os.path as osp
import platform
import shlex
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIRNET_CFG = 'configs/pairnet_r50_pair1.py'
PIPELINE_CFGS = tuple(f'configs/two_model/{name}_r50_pair1.py'
                      for name in ('trans+unet', 'rcltrans+unet', 'sttrans+unet', 'distrans+unet',
                                   'distrans+linknet', 'distrans+manet', 'distrans+hot',
                                   'distrans+pihot'))
#: Table 1 (ResNet-50 rows), by config file name: (name, parameters in M, time in ms)
PAPER = {
    'pairnet_r50_pair1.py': ('PaIR-Net R50', 55.6, 75.2),
    'trans+unet_r50_pair1.py': ('Trans + UNet', 74.0, 88.7),
    'rcltrans+unet_r50_pair1.py': ('RCLTrans + UNet', 107.7, 123.8),
    'sttrans+unet_r50_pair1.py': ('STTrans + UNet', 87.2, 114.9),
    'distrans+unet_r50_pair1.py': ('DisTrans + UNet', 79.8, 102.3),
    'distrans+linknet_r50_pair1.py': ('DisTrans + LinkNet', 120.4, 83.9),
    'distrans+manet_r50_pair1.py': ('DisTrans + MANet', 236.6, 89.5),
    'distrans+hot_r50_pair1.py': ('DisTrans + HOT', 97.5, 230.4),
    'distrans+pihot_r50_pair1.py': ('DisTrans + PIHOT', 158.6, 257.5),
}
#: PIHOTBackbone's frozen networks
FROZEN_NETWORKS = ('person_segmenter', 'inpainter', 'depth_estimator')
BEGIN, END = '<!-- comparison:begin -->', '<!-- comparison:end -->'
COMMAND = 'python tools/benchmarks/benchmark_comparison.py'


def _load_tool(relative: str):
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relative))[0], osp.join(ROOT, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


get_flops = _load_tool('tools/analysis/get_flops.py')


# --------------------------------------------------------------------- stand-ins
class InpainterStandIn(torch.nn.Module):
    """Inpainter stand-in: (image in 0..1, mask (B, 1, H, W)) -> image in 0..1."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, image, mask):
        return torch.sigmoid(self.conv(torch.cat([image * (1 - mask), mask], dim=1)))


#: the stand-ins' architectures: a 3x3 convolution each (mmcv's ConvModule; the inpainter's
#: registered here), plain modules so that the FLOP analyzer can trace them
STAND_INS = dict(
    person_segmenter=dict(
        type='ConvModule',
        in_channels=3,
        out_channels=1,
        kernel_size=3,
        padding=1,
        act_cfg=dict(type='Sigmoid')),
    inpainter=dict(type='BenchmarkInpainterStandIn'),
    depth_estimator=dict(
        type='ConvModule',
        in_channels=3,
        out_channels=1,
        kernel_size=3,
        padding=1,
        act_cfg=dict(type='Sigmoid')))


def write_stand_ins(folder: str) -> Dict[str, dict]:
    """Random weights of the three stand-ins, by network key: ``checkpoint`` (a state
    dict file in ``folder``) and ``network`` (the architecture)."""
    from pair_plugin.registry import MODELS
    MODELS.register_module('BenchmarkInpainterStandIn', module=InpainterStandIn, force=True)
    torch.manual_seed(0)
    stand_ins = {}
    for key, network in STAND_INS.items():
        checkpoint = osp.join(folder, f'{key}_stand_in.pth')
        torch.save(MODELS.build(network).state_dict(), checkpoint)
        stand_ins[key] = dict(checkpoint=checkpoint, network=network)
    return stand_ins


def fill_frozen_networks(model_cfg: dict, networks: Dict[str, str],
                         stand_ins: Callable[[], Dict[str, dict]]) -> bool:
    """Give every frozen network of ``model_cfg`` without a checkpoint its weights: the
    user's TorchScript file (``networks``, by key) or a stand-in. Returns whether a
    stand-in was used."""
    used = False
    for key, value in list(model_cfg.items()):
        if not isinstance(value, dict):
            continue
        frozen = value.get('type', 'FrozenPretrainedNetwork') == 'FrozenPretrainedNetwork'
        if key in FROZEN_NETWORKS and frozen:
            if networks.get(key):
                value.update(checkpoint=networks[key], network=None)
            elif not value.get('checkpoint'):
                value.update(stand_ins()[key])
                used = True
        else:
            used = fill_frozen_networks(value, networks, stand_ins) or used
    return used


def without_pretrained(model_cfg: dict) -> dict:
    """``model_cfg`` with every ``init_cfg`` removed (random weights, nothing loaded)."""
    for key, value in model_cfg.items():
        if key == 'init_cfg':
            model_cfg[key] = None
        elif isinstance(value, dict):
            without_pretrained(value)
    return model_cfg


# ----------------------------------------------------------------------- models
class Unit:
    """One model that is built, counted and timed: PaIR-Net, or one half of a pipeline.

    Attributes:
        label (str): e.g. ``'DisTrans'``.
        model (nn.Module): in eval mode, on the device.
        inputs (Tensor): the benchmark image after the model's own data preprocessor.
        samples (list): its data sample.
        stand_ins (bool): PIHOT's frozen networks are stand-ins.
    """

    def __init__(self, label: str, model_cfg: dict, shape: Tuple[int, int], device: str,
                 stand_ins: bool):
        from pair_plugin.registry import MODELS
        self.label = label
        self.stand_ins = stand_ins
        self.model = MODELS.build(model_cfg).eval().to(device)
        self.inputs, self.samples = prepared_image(self.model, shape, device)
        self.params = sum(p.numel() for p in self.model.parameters())
        self.flops: Optional[float] = None

    def count_flops(self) -> Optional[float]:
        """FLOPs of the tensor forward, PIHOT's frozen networks included (they are held
        outside the module tree, which the analyzer's tracer does not accept, so they join
        it for the count). None for TorchScript networks, which it cannot trace."""
        from pair_plugin.models.layers.frozen_network import FrozenPretrainedNetwork
        frozen = [m.network for m in self.model.modules() if isinstance(m, FrozenPretrainedNetwork)]
        if any(isinstance(net, torch.jit.ScriptModule) for net in frozen):
            print(f'{self.label}: FLOPs not counted (TorchScript networks cannot be traced)')
            return None
        self.model.frozen_networks_for_count = torch.nn.ModuleList(frozen)
        try:
            with torch.no_grad():
                self.flops = get_flops.flop_analyzer(self.model, self.inputs, self.samples).total()
        finally:
            del self.model.frozen_networks_for_count
        return self.flops

    def predict(self) -> None:
        with torch.inference_mode():
            self.model.predict(self.inputs, self.samples)


def prepared_image(model: torch.nn.Module, shape: Tuple[int, int], device: str):
    """The same random (H, W) image for every model, through ``model``'s own data
    preprocessor (test mode): (1, 3, H', W') inputs and their one PaIRDataSample."""
    from pair_plugin.structures import PaIRDataSample
    h, w = shape
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=generator)
    sample = PaIRDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(dict(inputs=[image.to(device)], data_samples=[sample]), False)
    return data['inputs'], data['data_samples']


class System:
    """PaIR-Net or a pipeline: a row of the table, made of one or two units."""

    def __init__(self, config: str, units: Sequence[str]):
        self.config = config
        self.units = list(units)
        name = osp.basename(config)
        paper = PAPER.get(name)
        self.name = paper[0] if paper else osp.splitext(name)[0]
        self.paper_params = paper[1] if paper else None
        self.paper_ms = paper[2] if paper else None


def half_label(cfg: Config) -> str:
    name = osp.basename(cfg.filename)
    labels = dict(
        trans='Trans',
        rcltrans='RCLTrans',
        sttrans='STTrans',
        distrans='DisTrans',
        unet='UNet',
        linknet='LinkNet',
        manet='MANet',
        hot='HOT',
        pihot='PIHOT')
    return labels.get(name.split('_')[0], osp.splitext(name)[0])


def build_systems(pairnet: str, pipelines: Sequence[str], shape, device: str,
                  networks: Dict[str, str], folder: str) -> Tuple[List[System], Dict[str, Unit]]:
    """PaIR-Net and the pipelines, each distinct half built once (DisTrans serves five
    rows)."""
    import pair_plugin.models  # noqa: F401  (registers the components)
    from pair_plugin.models.detectors.two_model_pipeline import half_config
    init_default_scope('pair_plugin')
    stand_in_files: Dict[str, dict] = {}

    def stand_ins():
        if not stand_in_files:
            stand_in_files.update(write_stand_ins(folder))
        return stand_in_files

    units: Dict[str, Unit] = {}
    cfg = Config.fromfile(resolve(pairnet))
    units['PaIR-Net'] = Unit('PaIR-Net', without_pretrained(cfg.model.to_dict()), shape, device,
                             False)
    systems = [System(pairnet, ['PaIR-Net'])]
    for path in pipelines:
        cfg = Config.fromfile(resolve(path))
        if cfg.model.get('type') != 'TwoModelPipeline':
            raise ValueError(f'{path}: model.type is {cfg.model.get("type")!r}, not '
                             "'TwoModelPipeline'")
        keys = []
        for half in ('hoi_detector', 'contact_segmenter'):
            half_cfg = half_config(cfg.model[half].to_dict(), f'model.{half}')
            model_cfg = without_pretrained(half_cfg.model.to_dict())
            used = fill_frozen_networks(model_cfg, networks, stand_ins)
            key = f'{half_cfg.filename} {model_cfg!r}'
            if key not in units:
                units[key] = Unit(half_label(half_cfg), model_cfg, shape, device, used)
            keys.append(key)
        systems.append(System(path, keys))
    return systems, units


def resolve(path: str) -> str:
    """A config path as given, else relative to the repository."""
    return path if osp.isfile(path) else osp.join(ROOT, path)


# ----------------------------------------------------------------------- timing
def timed_runs(fns: Sequence[Callable], runs: int, warmup: int, device: str) -> List[List[float]]:
    """Seconds of each of ``fns`` in each of ``runs`` runs, the functions called in turn
    (a, b, c, a, b, c, ...) after ``warmup`` such runs: ``times[run][fn]``."""
    for i in range(warmup):
        for fn in fns:
            fn()
        print(f'warm-up run {i + 1}/{warmup} done', flush=True)
    times = []
    for i in range(runs):
        row = []
        for fn in fns:
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            if device.startswith('cuda'):
                torch.cuda.synchronize()
            row.append(time.perf_counter() - t0)
        times.append(row)
        print(f'timed run {i + 1}/{runs} done', flush=True)
    return times


def system_times(systems: Sequence[System], unit_keys: Sequence[str],
                 times: Sequence[Sequence[float]]) -> List[List[float]]:
    """Per system, its time in each run: the sum of its units' times in that run."""
    index = {key: i for i, key in enumerate(unit_keys)}
    return [[sum(run[index[key]] for key in system.units) for run in times] for system in systems]


def summary(values: Sequence[float]) -> Tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


# ------------------------------------------------------------------------ table
def discordant_pairs(names: Sequence[str], measured: Sequence[float],
                     paper: Sequence[Optional[float]]) -> Tuple[int, List[str]]:
    """Pairs of rows (both in the paper) ordered differently by ``measured`` and by
    ``paper``: how many pairs were compared, and each discordant one as text."""
    compared, other = 0, []
    for i, j in itertools.combinations(range(len(names)), 2):
        if paper[i] is None or paper[j] is None or paper[i] == paper[j]:
            continue
        compared += 1
        if (measured[i] - measured[j]) * (paper[i] - paper[j]) < 0:
            first, second = (i, j) if measured[i] < measured[j] else (j, i)
            other.append(f'{names[first]} < {names[second]}')
    return compared, other


def machine(device: str) -> str:
    if device.startswith('cuda'):
        return f'{torch.cuda.get_device_name(0)}, torch {torch.__version__}'
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(
                (line.split(':', 1)[1].strip() for line in f if line.startswith('model name')), cpu)
    except OSError:
        pass
    return (f'{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads')


def load_average() -> str:
    try:
        return ', '.join(f'{x:.1f}' for x in os.getloadavg())
    except OSError:
        return 'unknown'


def build_table(systems: Sequence[System], units: Dict[str, Unit],
                per_system: Optional[List[List[float]]], args, loads: Tuple[str, str]) -> str:
    """The Markdown block: command, machine, table, the orderings against the paper."""
    h, w = args.shape
    lines = [
        f'Command: `{f"{COMMAND} {args.command}".strip()}`  ',
        f'Machine: {machine(args.device)}; device {args.device}; load average (1, 5, 15 min) '
        f'{loads[0]} at the start, {loads[1]} at the end.  ',
        f'One {h}x{w} image (padded to each model\'s size divisor), random weights, eval '
        'mode, `predict` (forward and post-processing, no data loading); ' +
        (f'median (min-max) of {args.runs} runs after {args.warmup} warm-up runs, every '
         'model timed in turn in every run; a pipeline\'s time in a run is the sum of its '
         'two models\'.' if per_system else 'not timed (--skip-latency).'), '',
        '| system | params (M) | paper (M) | GFLOPs | time (ms) | ratio to PaIR-Net | '
        'paper (ms) | paper ratio |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
    ]
    base = systems[0]
    params, medians, notes = [], [], []
    for i, system in enumerate(systems):
        members = [units[key] for key in system.units]
        count = sum(unit.params for unit in members) / 1e6
        params.append(count)
        flops = (f'{sum(unit.flops for unit in members) / 1e9:.2f}' if all(
            unit.flops is not None for unit in members) else '-')
        name = system.name
        if any(unit.stand_ins for unit in members):
            name += ' *'
            notes.append('\\* PIHOT\'s person segmenter, inpainter and depth estimator are '
                         'stand-ins of one 3x3 convolution each (the real ones are the '
                         'user\'s): its FLOPs and time are PIHOT\'s without the cost of '
                         'those three networks.')
        time_cell = ratio_cell = '-'
        if per_system:
            median, low, high = summary([1e3 * t for t in per_system[i]])
            ratios = [t / b for t, b in zip(per_system[i], per_system[0])]
            ratio, rlow, rhigh = summary(ratios)
            medians.append(ratio)
            time_cell = f'{median:.0f} ({low:.0f}-{high:.0f})'
            ratio_cell = f'{ratio:.2f} ({rlow:.2f}-{rhigh:.2f})'
        paper_params = f'{system.paper_params:.1f}' if system.paper_params else '-'
        paper_ms = f'{system.paper_ms:.1f}' if system.paper_ms else '-'
        paper_ratio = (f'{system.paper_ms / base.paper_ms:.2f}'
                       if system.paper_ms and base.paper_ms else '-')
        lines.append(f'| {name} | {count:.2f} | {paper_params} | {flops} | {time_cell} | '
                     f'{ratio_cell} | {paper_ms} | {paper_ratio} |')
    lines.append('')
    lines += notes
    names = [system.name for system in systems]
    for what, measured, paper in (('parameters', params, [s.paper_params for s in systems]),
                                  ('time', medians, [s.paper_ms for s in systems])):
        if len(measured) != len(systems):
            continue
        compared, other = discordant_pairs(names, measured, paper)
        if compared:
            order = ' < '.join(names[i]
                               for i in sorted(range(len(names)), key=lambda i: measured[i]))
            lines.append('')
            lines.append(f'Order by {what}, measured: {order}. Pairs of rows ordered as in '
                         f'the paper: {compared - len(other)} of {compared}' +
                         (f'; in the other order here: {"; ".join(other)}.' if other else '.'))
    return '\n'.join(lines).rstrip() + '\n'


def write_docs(path: str, block: str) -> None:
    """Replace the block between the markers of ``path`` (append a section if absent),
    leaving the rest of the file as it is; the file is replaced whole (atomic)."""
    from pair_plugin.engine.checkpoint_integrity import write_file_atomic
    text = open(path).read() if osp.isfile(path) else '# Benchmarks\n'
    marked = f'{BEGIN}\n{block.rstrip()}\n{END}'
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + marked + text[text.index(END) + len(END):]
    else:
        text = (
            text.rstrip() + '\n\n## PaIR-Net against the two-model pipelines (Table 1)\n\n'
            '```bash\nPYTHONPATH=. python tools/benchmarks/benchmark_comparison.py '
            '--write-docs\n```\n\n' + marked + '\n')
    write_file_atomic(text.encode(), path)


# ------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='PaIR-Net against the two-model pipelines: parameters, GFLOPs, time')
    parser.add_argument('--pairnet', default=PAIRNET_CFG, help='the PaIR-Net config')
    parser.add_argument(
        '--pipelines', nargs='+', default=list(PIPELINE_CFGS), help='pipeline configs')
    parser.add_argument('--shape', type=int, nargs=2, default=[800, 1333], metavar=('H', 'W'))
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--runs', type=int, default=5, help='timed runs (default 5)')
    parser.add_argument('--warmup', type=int, default=2, help='warm-up runs (default 2)')
    parser.add_argument('--skip-flops', action='store_true')
    parser.add_argument('--skip-latency', action='store_true')
    parser.add_argument(
        '--pihot-networks',
        nargs='+',
        action=DictAction,
        default={},
        metavar='KEY=FILE',
        help='TorchScript files of PIHOT\'s frozen networks: person_segmenter=... '
        'inpainter=... depth_estimator=... (FLOPs are then not counted; default: stand-ins, '
        'marked in the table)')
    parser.add_argument(
        '--write-docs',
        nargs='?',
        const=osp.join(ROOT, 'docs', 'benchmarks.md'),
        metavar='MD',
        help='write the block into this file (default docs/benchmarks.md)')
    args = parser.parse_args(argv)
    args.command = ' '.join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    unknown = set(args.pihot_networks) - set(FROZEN_NETWORKS)
    if unknown:
        parser.error(f'--pihot-networks: unknown keys {sorted(unknown)} (known: '
                     f'{", ".join(FROZEN_NETWORKS)})')
    if args.runs < 1 or args.warmup < 0:
        parser.error('--runs must be >= 1 and --warmup >= 0')
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    start_load = load_average()
    with tempfile.TemporaryDirectory() as folder:
        systems, units = build_systems(args.pairnet, args.pipelines, tuple(args.shape), args.device,
                                       args.pihot_networks, folder)
        keys = list(units)
        print(
            f'{len(systems)} systems, {len(keys)} models: '
            f'{", ".join(units[k].label for k in keys)}',
            flush=True)
        if not args.skip_flops:
            for key in keys:
                flops = units[key].count_flops()
                if flops is not None:
                    print(f'{units[key].label}: {flops / 1e9:.2f} GFLOPs', flush=True)
        per_system = None
        if not args.skip_latency:
            times = timed_runs([units[k].predict for k in keys], args.runs, args.warmup,
                               args.device)
            per_system = system_times(systems, keys, times)
    block = build_table(systems, units, per_system, args, (start_load, load_average()))
    print(block)
    if args.write_docs:
        write_docs(args.write_docs, block)
        print(f'written to {args.write_docs}')
    return block


if __name__ == '__main__':
    main()
