# Train PaIR-Net (or any pair_plugin config), in the style of mmdet's tools/train.py.
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.device import (get_device, is_cuda_available, is_mlu_available, is_musa_available,
                             is_npu_available)
from mmengine.registry import RUNNERS, VISBACKENDS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from pair_plugin.datasets.missing_data import missing_annotation_files, missing_data_message
from pair_plugin.datasets.pre_run_check import add_data_check_argument, check_data_before_run
from pair_plugin.engine import (TRUST_ENV, CheckpointIntegrityError, load_checkpoint_file,
                                resumable_checkpoint, set_cpu_threads)
from pair_plugin.engine.tool_messages import run_outputs_line, stop


def vis_backend_types() -> dict:
    """mmengine's visualization backends by short name: ``{'tensorboard':
    'TensorboardVisBackend', 'wandb': 'WandbVisBackend', ...}``."""
    import mmengine.visualization  # noqa: F401  (registers the backends)
    return {
        name[:-len('VisBackend')].lower(): name
        for name in VISBACKENDS.module_dict if name.endswith('VisBackend')
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a PaIR-Net model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training (needs a GPU)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by the total batch size / auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; with no value, from the latest '
        'checkpoint in the work dir')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='unpickle checkpoints in full (runs any code stored in them); by '
        'default only the types mmengine writes are allowed')
    parser.add_argument(
        '--vis-backends',
        nargs='+',
        metavar='NAME',
        help='log to these mmengine visualization backends as well as the '
        "config's: " + ', '.join(sorted(vis_backend_types())) + ' (or a registered type name)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value, e.g. '
        'train_dataloader.batch_size=2 "model.backbone.depth=18"')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    add_data_check_argument(parser)
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if args.vis_backends:
        known = vis_backend_types()
        unknown = [
            n for n in args.vis_backends
            if n.lower() not in known and n not in VISBACKENDS.module_dict
        ]
        if unknown:
            parser.error(f'--vis-backends: unknown {", ".join(unknown)}; known: '
                         f'{", ".join(sorted(known))}')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def amp_device_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (GPU, NPU, MLU or MUSA)."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available())


def merge_args(cfg: Config, args) -> Config:
    """Apply the command line to the config; stops with a one-line message when a
    flag cannot work here (``--amp`` without a GPU)."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    # enable automatic-mixed-precision training
    if args.amp is True:
        if not amp_device_available():
            stop(
                'tools/train.py: --amp needs a GPU (mmengine\'s AmpOptimWrapper '
                'does not run on the CPU); train without --amp here', __file__, 'train')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.vis_backends:
        known = vis_backend_types()
        backends = list(cfg.visualizer.get('vis_backends') or [])
        for name in args.vis_backends:
            backend_type = known.get(name.lower(), name)
            if all(b.get('type') != backend_type for b in backends):
                backends.append(dict(type=backend_type))
        cfg.visualizer.vis_backends = backends

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('--auto-scale-lr needs "auto_scale_lr.'
                               'base_batch_size" in the config')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def choose_resume_checkpoint(cfg: Config, args) -> list:
    """Check the checkpoint that ``--resume`` will load, before anything is built.

    ``--resume PATH``: PATH must load (intact, finite), else a message naming it stops the
    run. ``--resume`` alone: the checkpoint that ``last_checkpoint`` names, or, if it is
    missing, damaged or holds NaN/inf, the newest intact one of the work dir, goes to
    ``cfg.load_from``; with none intact a message lists each file and its fault.

    Returns:
        list[str]: the lines to log (which checkpoint and why), empty if it is the named one.
    """
    if args.resume is None:
        return []
    if args.resume != 'auto':
        try:
            CheckpointLoader.load_checkpoint(args.resume, map_location='cpu')
        except (CheckpointIntegrityError, FileNotFoundError) as err:
            stop(f'tools/train.py --resume: {err}', __file__, 'train')
        return []
    try:
        path, notes = resumable_checkpoint(
            cfg.work_dir, load=lambda p: load_checkpoint_file(p, map_location='cpu'))
    except CheckpointIntegrityError as err:
        stop(f'tools/train.py --resume: {err}', __file__, 'train')
    if path is None:
        return [f'--resume: no checkpoint in {cfg.work_dir}; training starts at epoch 1']
    cfg.load_from = path
    if not notes:
        return []
    lines = [f'--resume: resuming from {path}, the newest intact checkpoint, because']
    return lines + [f'  {note}' for note in notes]


def main(argv=None):
    args = parse_args(argv)
    if args.trust_checkpoint:
        os.environ[TRUST_ENV] = '1'

    cfg = merge_args(Config.fromfile(args.config), args)

    # without data, say how to get some before anything is built
    missing = missing_annotation_files(cfg, ('train_dataloader', 'val_dataloader'))
    if missing:
        stop(missing_data_message(missing, args.config), __file__, 'train')
    # every image and mask opened before the first iteration, all problems listed at once
    bad_data = check_data_before_run(cfg, ('train_dataloader', 'val_dataloader'),
                                     args.skip_data_check)
    if bad_data:
        stop(bad_data, __file__, 'train')

    resume_notes = choose_resume_checkpoint(cfg, args)
    set_cpu_threads(device_is_cpu=get_device() == 'cpu')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    for line in resume_notes:
        runner.logger.warning(line)
    try:
        runner.train()
    except CheckpointIntegrityError as err:  # a damaged load_from or pretrained backbone
        stop(f'tools/train.py: {err}', __file__, 'train')
    checkpoint, last = '', osp.join(runner.work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            checkpoint = f.read().strip()
    runner.logger.info(run_outputs_line('tools/train.py', runner, dict(checkpoint=checkpoint)))


if __name__ == '__main__':
    main()
