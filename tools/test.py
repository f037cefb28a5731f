# Test (evaluate) a PaIR-Net checkpoint, in the style of mmdet's tools/test.py.
import argparse
import os
import os.path as osp

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.device import get_device
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from pair_plugin.datasets.missing_data import missing_annotation_files, missing_data_message
from pair_plugin.datasets.pre_run_check import add_data_check_argument, check_data_before_run
from pair_plugin.engine import TRUST_ENV, CheckpointIntegrityError, set_cpu_threads
from pair_plugin.engine.tool_messages import run_outputs_line, stop


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a PaIR-Net checkpoint (HOI mAP and contact metrics)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (a local path)')
    parser.add_argument(
        '--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='write the predictions file (JSON, the format of docs/metrics.md; '
        'contact masks as PNGs beside it) for tools/analysis/eval_predictions.py')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='folder for a picture of each test image (ground truth and prediction), '
        'under <work_dir>/<timestamp>/; the path is printed at the end')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='unpickle the checkpoint in full (runs any code stored in it)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    add_data_check_argument(parser)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg, args):
    default_hooks = cfg.default_hooks
    if 'visualization' not in default_hooks:
        raise RuntimeError('--show/--show-dir need a "visualization" entry in default_hooks '
                           "(dict(type='PaIRVisualizationHook'))")
    hook = default_hooks['visualization']
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        hook['test_out_dir'] = args.show_dir
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if args.trust_checkpoint:
        os.environ[TRUST_ENV] = '1'

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    if args.out is not None:
        if not args.out.endswith('.json'):
            raise ValueError(f'--out must be a .json file, got {args.out}')
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (dict, ConfigDict)):
            evaluator = [evaluator]
        cfg.test_evaluator = list(evaluator) + [dict(type='DumpPaIRPredictions', out_file=args.out)]

    # without data, say how to get some before anything is built
    missing = missing_annotation_files(cfg, ('test_dataloader', ))
    if missing:
        stop(missing_data_message(missing, args.config), __file__, 'test')
    # every image and mask opened before the first iteration, all problems listed at once
    bad_data = check_data_before_run(cfg, ('test_dataloader', ), args.skip_data_check)
    if bad_data:
        stop(bad_data, __file__, 'test')

    set_cpu_threads(device_is_cpu=get_device() == 'cpu')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    try:
        runner.test()
    except CheckpointIntegrityError as err:  # damaged, or NaN/inf weights
        stop(f'tools/test.py: {err}', __file__, 'test')
    extra = {}
    if args.show_dir:
        extra['pictures'] = osp.join(runner.work_dir, runner.timestamp, args.show_dir)
    if args.out:
        extra['predictions'] = args.out
    runner.logger.info(run_outputs_line('tools/test.py', runner, extra))


if __name__ == '__main__':
    main()
