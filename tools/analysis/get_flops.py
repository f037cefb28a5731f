"""Count the FLOPs and parameters of a PaIR-Net config on one image (as mmdet's get_flops).

    python tools/analysis/get_flops.py configs/pairnet_r50_pair1.py
    python tools/analysis/get_flops.py configs/pairnet_swin-l_pair1.py --show-table

One random image of ``--shape`` (default 800 x 1333, the test scale of the PaIR configs) goes
through the config's data preprocessor (normalisation, padding to its size divisor) and the
model's ``tensor`` forward (backbone, CPAM, the interaction and contact heads; no
post-processing). FLOPs are counted by mmengine's ``FlopAnalyzer`` as mmdet counts them: one
multiply-add is one FLOP. Two operations of attention that mmengine leaves out are counted as
the matrix products they are: ``scaled_dot_product_attention`` (a fused attention) and
``baddbmm`` (torch's attention with a mask). No weights are loaded.
"""
import argparse
from typing import Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import bmm_flop_jit, get_shape
from mmengine.analysis.print_helper import complexity_stats_table
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement


def sdpa_flop_jit(inputs, outputs) -> int:
    """Multiply-adds of ``scaled_dot_product_attention``: Q Kᵀ, then the weights times V.

    Shapes (..., L, E), (..., S, E), (..., S, Ev): the same count as the two batched
    products of the unfused attention.
    """
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = 1
    for size in q[:-2]:
        batch *= size
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


def baddbmm_flop_jit(inputs, outputs) -> int:
    """Multiply-adds of ``baddbmm(M, A, B)``: those of the batched product ``A B``."""
    return bmm_flop_jit(inputs[1:3], outputs)


class TensorForward(torch.nn.Module):
    """``model(inputs, data_samples, mode='tensor')`` as a module of one tensor argument,
    which is what the jit tracer of ``FlopAnalyzer`` needs."""

    def __init__(self, model: torch.nn.Module, data_samples: Sequence[BaseDataElement]):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs: torch.Tensor):
        return self.model(inputs, self.data_samples, mode='tensor')


def build_detector(cfg: Config) -> torch.nn.Module:
    """``cfg.model`` in the config's scope, in eval mode, with random weights."""
    import pair_plugin.models  # noqa: F401  (registers the components)
    from pair_plugin.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'pair_plugin'))
    return MODELS.build(cfg.model).eval()


def preprocessed_image(model: torch.nn.Module, shape: Tuple[int, int]) -> Tuple[torch.Tensor, list]:
    """One random ``(H, W)`` image after ``model.data_preprocessor`` (test mode).

    Returns:
        tuple: inputs (1, 3, H', W'), padded to the preprocessor's size divisor, and the
        list of its one data sample (image and batch shapes filled in).
    """
    from mmdet.structures import DetDataSample
    h, w = shape
    sample = DetDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0)))
    image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
    data = model.data_preprocessor(dict(inputs=[image], data_samples=[sample]), False)
    return data['inputs'], data['data_samples']


def flop_analyzer(model: torch.nn.Module, inputs: torch.Tensor, data_samples: list) -> FlopAnalyzer:
    """mmengine's ``FlopAnalyzer`` of ``model``'s tensor forward on preprocessed inputs."""
    analyzer = FlopAnalyzer(TensorForward(model, data_samples), (inputs, ))
    analyzer.set_op_handle(**{
        'aten::scaled_dot_product_attention': sdpa_flop_jit,
        'aten::baddbmm': baddbmm_flop_jit
    })
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def parse_args():
    parser = argparse.ArgumentParser(description='Count the FLOPs of a PaIR-Net config')
    parser.add_argument('config', help='a PaIR-Net config file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[800, 1333],
        metavar=('H', 'W'),
        help='input image height and width')
    parser.add_argument(
        '--show-table',
        action='store_true',
        help='print the FLOPs and parameters of each module, and the '
        'operations left uncounted')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys, xxx=yyy')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_detector(cfg)
    inputs, data_samples = preprocessed_image(model, tuple(args.shape))
    with torch.no_grad():
        analyzer = flop_analyzer(model, inputs, data_samples)
        flops = analyzer.total()
    params = parameter_count(model)['']
    input_shape = tuple(inputs.shape[1:])
    if args.show_table:
        print(complexity_stats_table(analyzer, max_depth=3, show_param_shapes=False))
    split_line = '=' * 30
    print(f'{split_line}\nConfig: {args.config}\n'
          f'Input shape: {tuple(args.shape)} (padded: {input_shape})\n'
          f'Flops: {flops / 1e9:.2f} G\nParams: {params / 1e6:.2f} M\n{split_line}')
    skipped = analyzer.unsupported_ops()
    if args.show_table and skipped:
        print('Ops not counted (element-wise and indexing ops, as in mmdet): ' +
              ', '.join(f'{op} x{n}' for op, n in sorted(skipped.items())))


if __name__ == '__main__':
    main()
