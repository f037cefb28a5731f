# Export PaIR-Net to ONNX (variable batch and image size) and verify it with ONNX Runtime.
"""Export a PaIR-Net checkpoint to an ONNX graph and check it against eager PyTorch.

    python tools/deployment/export_onnx.py configs/pairnet_r18_synthetic.py \\
        work_dirs/main_job/epoch_26.pth --out work_dirs/deploy/pairnet_r18.onnx

The graph is :class:`pair_plugin.apis.ExportedHeads`: the padded, normalised batch
``inputs`` (B, 3, H, W) and ``img_sizes`` (B, 2) (h, w of each image inside it) in, the
last decoder stage's raw outputs out; B, H and W are symbolic (H and W multiples of the
data preprocessor's ``pad_size_divisor``). It is traced at ``--shape`` with torch's
dynamo exporter, which fails rather than fix a size. The file holds the class names and
the config in its metadata, so ``PaIRInferencer(weights=FILE, backend='onnxruntime')``
needs nothing else.

It is then verified with ONNX Runtime at the ``--verify-shapes`` (each must differ from
``--shape``): the first as a single image, the others as a batch of two whose second
image is padded. Every output must be within ``--atol`` + ``--rtol`` x |value| of eager
PyTorch and the contact map's argmax equal on ``--min-argmax-agreement`` of the pixels;
otherwise the tool names the output and exits with status 1.
"""
import argparse
import os.path as osp
import sys
import time

from mmengine.config import DictAction

from pair_plugin.apis import (ONNXMismatchError, check_symbolic_inputs, export_onnx,
                              init_deployed_model, init_model, verify_onnx)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Export PaIR-Net to ONNX and verify the graph with ONNX Runtime')
    parser.add_argument('config', help='the model config file')
    parser.add_argument('checkpoint', help='the checkpoint file (a local path)')
    parser.add_argument(
        '--out', help='the .onnx file (default: the checkpoint with '
        'the .onnx extension)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[640, 640],
        metavar=('H', 'W'),
        help='(H, W) of the traced example')
    parser.add_argument(
        '--verify-shapes',
        type=int,
        nargs='+',
        default=[480, 736, 800, 1344],
        metavar='H W',
        help='pairs of (H, W) to verify at, other than --shape')
    parser.add_argument(
        '--no-verify', action='store_true', help='skip the comparison with eager PyTorch')
    parser.add_argument('--atol', type=float, default=1e-4)
    parser.add_argument('--rtol', type=float, default=1e-4)
    parser.add_argument(
        '--min-argmax-agreement',
        type=float,
        default=0.999,
        help='share of pixels whose contact class must agree')
    parser.add_argument(
        '--opset',
        type=int,
        default=None,
        help="ONNX opset (the exporter's default when not given)")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys, xxx=yyy')
    return parser.parse_args()


def verify_sizes(shape, verify_shapes):
    """The (H, W) pairs of ``--verify-shapes``; each must differ from ``--shape``."""
    if len(verify_shapes) % 2:
        raise SystemExit('--verify-shapes takes pairs of H W')
    sizes = [tuple(verify_shapes[i:i + 2]) for i in range(0, len(verify_shapes), 2)]
    for size in sizes:
        if size == tuple(shape):
            raise SystemExit(f'--verify-shapes {size[0]} {size[1]} is the traced '
                             'example size: verify at other sizes')
    return sizes


def main():
    args = parse_args()
    sizes = verify_sizes(args.shape, args.verify_shapes)
    out = args.out or osp.splitext(args.checkpoint)[0] + '.onnx'
    model = init_model(args.config, args.checkpoint, device='cpu', cfg_options=args.cfg_options)

    start = time.perf_counter()
    export_onnx(
        model,
        out,
        tuple(args.shape),
        dataset_meta=model.dataset_meta,
        config_text=model.cfg.pretty_text,
        opset_version=args.opset)
    dims = check_symbolic_inputs(out)
    print(f'exported {osp.abspath(out)} ({osp.getsize(out) / 2**20:.1f} MiB) in '
          f'{time.perf_counter() - start:.0f} s; inputs: ' +
          ', '.join(f'{name} {dim}' for name, dim in dims.items()))
    if args.no_verify:
        return 0

    deployed = init_deployed_model(model.cfg, out, 'onnxruntime')
    try:
        rows = verify_onnx(
            model,
            deployed.run_graph,
            sizes,
            atol=args.atol,
            rtol=args.rtol,
            min_argmax_agreement=args.min_argmax_agreement)
    except ONNXMismatchError as err:
        print(f'verification failed: {err}', file=sys.stderr)
        return 1
    print('| batch | output | max abs diff from eager | contact argmax equal |\n'
          '| --- | --- | --- | --- |')
    for row in rows:
        agreement = ('' if row['argmax_agreement'] is None else
                     f'{100 * row["argmax_agreement"]:.3f} %')
        print(f'| {row["batch"]} | {row["output"]} | {row["max_abs_diff"]:.2e} | '
              f'{agreement} |')
    print(f'verified with ONNX Runtime against eager PyTorch at {sizes} '
          f'(tolerance {args.atol:g} + {args.rtol:g} x |value|)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
