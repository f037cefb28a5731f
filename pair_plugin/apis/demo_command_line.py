"""The command line shared by the demos (``tools/demo/image_demo.py``, ``video_demo.py``)."""
import argparse

from mmengine.config import DictAction

from .pair_inferencer import BACKENDS, PaIRInferencer


def add_model_arguments(parser: argparse.ArgumentParser, unit: str, max_draw_size: int) -> None:
    """The model and drawing arguments: config, checkpoint, backend, device, batch size,
    runtime threads, score threshold, drawing size and opacity, config overrides.

    Args:
        parser (ArgumentParser): the demo's parser, after its own positional inputs.
        unit (str): what the demo runs on ('images', 'frames'), for the help texts.
        max_draw_size (int): the default of ``--max-draw-size``.
    """
    parser.add_argument('config', help='the model config file')
    parser.add_argument(
        'checkpoint',
        help='the checkpoint (.pth), or with --backend the exported graph (.onnx, .xml)')
    parser.add_argument(
        '--backend', choices=BACKENDS, default='pytorch', help='what runs the model')
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu', 'cuda:0'")
    parser.add_argument('--batch-size', type=int, default=1, help=f'{unit} per forward pass')
    parser.add_argument(
        '--num-threads',
        type=int,
        default=None,
        help='threads of the onnxruntime / openvino backend')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='show the triplets scoring above this')
    parser.add_argument(
        '--max-draw-size',
        type=int,
        default=max_draw_size,
        help=f'draw larger {unit} scaled down to this longer side (0: full size)')
    parser.add_argument('--alpha', type=float, default=0.6, help='opacity of the contact colours')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, xxx=yyy (e.g. the test resize: '
        'test_dataloader.dataset.pipeline.1.scale="(640,640)")')


def build_inferencer(args: argparse.Namespace) -> PaIRInferencer:
    """The inferencer of :func:`add_model_arguments`' arguments (no progress bar: the
    demos show their own)."""
    return PaIRInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        backend=args.backend,
        num_threads=args.num_threads,
        cfg_options=args.cfg_options,
        show_progress=False,
        visualizer=dict(alpha=args.alpha, max_draw_size=args.max_draw_size or None))
