"""PaIR-Net to ONNX: a graph with a variable batch and image size, checked against PyTorch.

The exported graph is :meth:`PaIRNet.forward_heads` on the padded, normalised batch and the
valid size of each image in it, returning the last decoder stage's raw outputs; the data
preprocessor before it and :meth:`PaIRNet.postprocess` after it stay in PyTorch, shared by
every backend (:class:`~pair_plugin.apis.DeployedPaIRNet`)::

    inputs (B, 3, H, W) float32, img_sizes (B, 2) int64 (h, w)
      -> human_boxes, object_boxes (B, Q, 4), object_logits (B, Q, 81),
         action_logits (B, Q, A), seg_logits (B, 18, H, W)[, part_logits (B, 17)]

B, H and W are symbolic (H and W multiples of the preprocessor's ``pad_size_divisor``): the
exporter is told so with ``torch.export.Dim`` and fails, instead of writing a graph fixed
at the example's size, when the model would tie them to a number.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from pair_plugin.structures import PaIRFormatError
from .library_messages import dropped_log_messages, dropped_warnings

#: onnxscript's optimizer logs this once per ``Split`` node (the attention's query, key and
#: value projections); the node is left as it is, which is correct
UNFOLDED_SPLIT = 'Skipping constant folding for op Split with multiple outputs'
#: torch's exporter warns that the second input's ``batch`` axis is the same as the
#: first's, which is what the shared ``Dim`` says
SHARED_BATCH_AXIS = r'# The axis name: batch will not be used, since it shares the same shape'

#: the graph's inputs, in order
INPUT_NAMES = ('inputs', 'img_sizes')
#: the axes of each input that must stay symbolic in the written graph
DYNAMIC_AXES = {'inputs': (0, 2, 3), 'img_sizes': (0, )}
#: keys of the ONNX metadata (``metadata_props``) written by :func:`export_onnx`
META_DATASET = 'pair_plugin.dataset_meta'
META_CONFIG = 'pair_plugin.config'
#: the output whose argmax is the contact map (also compared by its argmax)
CONTACT_OUTPUT = 'seg_logits'
#: the attribute of :class:`ExportedHeads` holding the model: node scopes start with it
EXPORTED_DETECTOR = 'detector'


class ONNXMismatchError(RuntimeError):
    """The exported graph and eager PyTorch disagree (the message names the output)."""


class ExportedHeads(nn.Module):
    """The part of PaIR-Net that is exported: every branch, the last stage's outputs.

    Args:
        detector (PaIRNet): the model (eval mode).
    """

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector
        self.output_names = self._output_names()

    def _output_names(self) -> List[str]:
        names = list(self.detector.STAGE_OUTPUTS) + ['seg_logits']
        if getattr(self.detector, 'cpam', None) is not None:
            names.append('part_logits')
        return names

    def forward(self, inputs: Tensor, img_sizes: Tensor) -> Tuple[Tensor, ...]:
        """Raw outputs of the last stage.

        Args:
            inputs (Tensor): (B, 3, H, W) padded, normalised batch.
            img_sizes (Tensor): (B, 2) int64 (h, w) of each image inside it.

        Returns:
            tuple[Tensor]: in the order of ``output_names``.
        """
        outs = self.detector.forward_heads(inputs, img_sizes, padded=True)
        stages = self.detector.STAGE_OUTPUTS
        return tuple(outs[name][-1] if name in stages else outs[name] for name in self.output_names)


def size_divisor(detector: nn.Module) -> int:
    """The multiple the data preprocessor pads images to (1 when it does not pad)."""
    return int(getattr(detector.data_preprocessor, 'pad_size_divisor', 1) or 1)


def example_inputs(detector: nn.Module,
                   size: Tuple[int, int],
                   seed: int = 0) -> Tuple[Tensor, Tensor]:
    """A batch of two random normalised images at ``size`` (rounded up to the size
    divisor), the second padded by a quarter of each side: what the export traces."""
    divisor = size_divisor(detector)
    h, w = (-(-int(s) // divisor) * divisor for s in size)
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(2, 3, h, w, generator=generator)
    img_sizes = torch.tensor([[h, w], [max(1, h * 3 // 4), max(1, w * 3 // 4)]])
    return inputs, img_sizes


def export_onnx(detector: nn.Module,
                out_file: str,
                example_size: Tuple[int, int] = (640, 640),
                dataset_meta: Optional[dict] = None,
                config_text: Optional[str] = None,
                opset_version: Optional[int] = None,
                optimize: bool = True,
                max_side: int = 4096) -> List[str]:
    """Export ``detector`` to an ONNX file with a symbolic batch, height and width.

    Args:
        detector (PaIRNet): the model; put in eval mode.
        out_file (str): the ``.onnx`` file to write (its directory is created).
        example_size (tuple[int, int]): (H, W) of the traced example.
        dataset_meta (dict, optional): the class names, stored in the file's metadata.
        config_text (str, optional): the model's config, stored in the metadata, so that
            the file alone builds an inferencer.
        opset_version (int, optional): ONNX opset; the exporter's default when None.
        optimize (bool): let the exporter fold constants and simplify the graph.
        max_side (int): the largest height or width the graph accepts.

    Returns:
        list[str]: the graph's output names.

    Raises:
        torch._dynamo.exc.UserError: the model ties a symbolic size to a number (the
            exporter names the dimension and the line).
        ValueError: the written graph has a fixed size where a symbolic one belongs.
    """
    detector.eval()
    heads = ExportedHeads(detector).eval()
    divisor = size_divisor(detector)
    inputs, img_sizes = example_inputs(detector, example_size)
    batch = torch.export.Dim('batch', min=1, max=1024)
    height = divisor * torch.export.Dim('height_blocks', min=1, max=max_side // divisor)
    width = divisor * torch.export.Dim('width_blocks', min=1, max=max_side // divisor)
    with torch.no_grad(), dropped_warnings(SHARED_BATCH_AXIS), dropped_log_messages(
            'onnxscript.optimizer._constant_folding', [UNFOLDED_SPLIT]):
        program = torch.onnx.export(
            heads, (inputs, img_sizes),
            dynamo=True,
            external_data=False,
            input_names=list(INPUT_NAMES),
            output_names=heads.output_names,
            dynamic_shapes=({
                0: batch,
                2: height,
                3: width
            }, {
                0: batch
            }),
            opset_version=opset_version,
            optimize=optimize,
            verbose=False)
    if dataset_meta:
        program.model.metadata_props[META_DATASET] = json.dumps({
            key: (list(value) if isinstance(value, tuple) else value)
            for key, value in dataset_meta.items()
        })
    if config_text:
        program.model.metadata_props[META_CONFIG] = config_text
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    program.save(out_file, external_data=False)
    check_symbolic_inputs(out_file)
    return heads.output_names


def load_onnx_model(onnx_file: str):
    """The ``onnx.ModelProto`` of a file (weights kept external), or an error naming it.

    Raises:
        FileNotFoundError: no such file.
        PaIRFormatError: the file is not an ONNX model.
    """
    import onnx
    from google.protobuf.message import DecodeError
    if not osp.isfile(onnx_file):
        raise FileNotFoundError(f'{onnx_file}: ONNX model file not found')
    try:
        return onnx.load(onnx_file, load_external_data=False)
    except (DecodeError, OSError, ValueError) as err:
        raise PaIRFormatError(onnx_file, 'onnx model',
                              f'cannot be read as an ONNX model ({err})') from err


def graph_input_dims(onnx_file: str) -> Dict[str, List]:
    """The dims of each graph input: a name (str) where symbolic, else the number."""
    model = load_onnx_model(onnx_file)
    return {
        value.name: [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]
        for value in model.graph.input
    }


def check_symbolic_inputs(onnx_file: str) -> Dict[str, List]:
    """Check that the batch, height and width of the graph's inputs are symbolic.

    Returns:
        dict[str, list]: :func:`graph_input_dims`.

    Raises:
        ValueError: an input is missing or has a fixed size on one of those axes (names
            the input and the axis).
    """
    dims = graph_input_dims(onnx_file)
    for name, axes in DYNAMIC_AXES.items():
        if name not in dims:
            raise ValueError(f'{onnx_file}: the graph has no input {name!r} '
                             f'(inputs: {sorted(dims)})')
        for axis in axes:
            if not isinstance(dims[name][axis], str):
                raise ValueError(
                    f'{onnx_file}: input {name!r} has the fixed size {dims[name][axis]} '
                    f'on axis {axis} (dims {dims[name]}): the graph would only run at '
                    'the example size')
    return dims


def read_onnx_metadata(onnx_file: str) -> dict:
    """``dataset_meta`` (dict or None) and ``config`` (str or None) stored by
    :func:`export_onnx`."""
    model = load_onnx_model(onnx_file)
    props = {prop.key: prop.value for prop in model.metadata_props}
    meta = props.get(META_DATASET)
    return dict(dataset_meta=json.loads(meta) if meta else None, config=props.get(META_CONFIG))


def verification_cases(sizes: Sequence[Tuple[int, int]],
                       divisor: int) -> List[Tuple[Tuple[int, int], List[Tuple[int, int]]]]:
    """The batches :func:`verify_onnx` compares: the first size as a single unpadded
    image, every other size as a batch of two whose second image is padded.

    Returns:
        list: ``(input size (H, W), [image sizes (h, w)])`` per batch.
    """
    cases = []
    for index, size in enumerate(sizes):
        h, w = (-(-int(s) // divisor) * divisor for s in size)
        images = [(h, w)]
        if index > 0:
            images.append((max(1, h * 2 // 3), max(1, w * 5 // 6)))
        cases.append(((h, w), images))
    return cases


def verify_onnx(detector: nn.Module,
                run_graph,
                sizes: Sequence[Tuple[int, int]],
                atol: float = 1e-4,
                rtol: float = 1e-4,
                min_argmax_agreement: float = 0.999,
                seed: int = 0) -> List[dict]:
    """Compare the exported graph with eager PyTorch on random batches.

    Each output must be within ``atol + rtol * |eager|`` of eager PyTorch everywhere
    (``numpy.allclose``); the contact map's argmax must also agree on at least
    ``min_argmax_agreement`` of the pixels inside the images.

    Args:
        detector (PaIRNet): the eager model (eval mode).
        run_graph (callable): ``(inputs, img_sizes) -> dict[str, Tensor]``, the exported
            graph (e.g. :meth:`DeployedPaIRNet.run_graph`).
        sizes (list[tuple[int, int]]): (H, W) of the batches, see
            :func:`verification_cases`.
        atol, rtol (float): the tolerance.
        min_argmax_agreement (float): the share of pixels whose contact class must agree.
        seed (int): of the random inputs.

    Returns:
        list[dict]: per batch and output: ``batch`` (e.g. ``'2x480x736'``), ``output``,
        ``max_abs_diff``, ``argmax_agreement`` (contact map only, else None).

    Raises:
        ONNXMismatchError: the first output that differs, named with its batch.
    """
    detector.eval()
    expected = ExportedHeads(detector).output_names
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for input_size, images in verification_cases(sizes, size_divisor(detector)):
        inputs = torch.randn(len(images), 3, *input_size, generator=generator)
        img_sizes = torch.tensor(images)
        padded = any(tuple(size) != tuple(input_size) for size in images)
        with torch.no_grad():
            eager = detector.forward_heads(inputs, img_sizes, padded)
        graph = run_graph(inputs, img_sizes)
        batch = f'{len(images)}x{input_size[0]}x{input_size[1]}'
        missing = [name for name in expected if name not in graph]
        if missing:
            raise ONNXMismatchError(f'{", ".join(missing)}: not among the graph\'s '
                                    f'outputs {sorted(graph)}')
        for name, value in graph.items():
            ref = eager[name][-1] if name in detector.STAGE_OUTPUTS else eager[name]
            ref, value = ref.float().numpy(), value.float().numpy()
            if ref.shape != value.shape:
                raise ONNXMismatchError(
                    f'{name}: shape {value.shape} from the graph, {ref.shape} from '
                    f'PyTorch, on the batch {batch} (image sizes {images})')
            diff = np.abs(ref - value)
            row = dict(
                batch=batch, output=name, max_abs_diff=float(diff.max()), argmax_agreement=None)
            if not np.allclose(value, ref, atol=atol, rtol=rtol):
                worst = np.unravel_index(np.argmax(diff - rtol * np.abs(ref)), diff.shape)
                raise ONNXMismatchError(
                    f'{name}: the graph differs from PyTorch by up to {diff.max():.3g} '
                    f'(tolerance {atol:g} + {rtol:g} x |value|) on the batch {batch} '
                    f'(image sizes {images}), e.g. at {tuple(int(i) for i in worst)}: '
                    f'{value[worst]:.6g} against {ref[worst]:.6g}')
            if name == CONTACT_OUTPUT:
                agree = [(ref[i, :, :h, :w].argmax(0) == value[i, :, :h, :w].argmax(0))
                         for i, (h, w) in enumerate(images)]
                share = float(np.concatenate([a.ravel() for a in agree]).mean())
                row['argmax_agreement'] = share
                if share < min_argmax_agreement:
                    raise ONNXMismatchError(
                        f'{name}: the contact class (argmax) agrees with PyTorch on '
                        f'{100 * share:.3f} % of the pixels, less than '
                        f'{100 * min_argmax_agreement:g} %, on the batch {batch}')
            rows.append(row)
    return rows
