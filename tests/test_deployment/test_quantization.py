"""INT8: calibration inputs from the training split, the quantized graphs of
tools/deployment/quantize_onnx.py (ONNX Runtime QDQ, OpenVINO NNCF) and that they still
compute the fp32 graph's function."""
import os.path as osp

import numpy as np
import onnx
import torch

from pair_plugin.apis import check_symbolic_inputs, init_deployed_model, read_onnx_metadata
from pair_plugin.apis.quantization import FLOAT_MODULES, calibration_inputs, nodes_of_modules


def test_calibration_inputs_are_preprocessed_training_images(tiny_export):
    samples = calibration_inputs(tiny_export['cfg'], 3)
    assert len(samples) == 3
    for sample in samples:
        inputs, sizes = sample['inputs'], sample['img_sizes']
        assert inputs.dtype == np.float32 and sizes.dtype == np.int64
        assert inputs.shape[:2] == (1, 3) and sizes.shape == (1, 2)
        # padded to the preprocessor's multiple of 32, the image inside, fitted in 128x96
        assert inputs.shape[2] % 32 == 0 and inputs.shape[3] % 32 == 0
        h, w = sizes[0]
        assert h <= inputs.shape[2] and w <= inputs.shape[3] and max(h, w) <= 128
        assert np.abs(inputs[0, :, h:]).sum() == 0 and np.abs(inputs[0, :, :, w:]).sum() == 0
        assert inputs[0, :, :h, :w].std() > 0.1  # normalised pixels, not padding
    # more than the split holds: all of its 4 images
    assert len(calibration_inputs(tiny_export['cfg'], 10)) == 4


def correlated(fp32: dict, int8: dict) -> dict:
    """Correlation of each output of the INT8 graph with the fp32 one."""
    return {
        name: float(np.corrcoef(value.flatten().numpy(), int8[name].flatten().numpy())[0, 1])
        for name, value in fp32.items()
    }


def runs_at_any_size(deployed) -> None:
    """The INT8 graph runs, in one session, at sizes other than the calibration's."""
    for h, w in ((64, 96), (96, 128), (160, 96)):
        outs = deployed.run_graph(torch.randn(2, 3, h, w), torch.tensor([[h, w], [h, w]]))
        assert outs['seg_logits'].shape == (2, 18, h, w)


def graph_outputs(tiny_export, model_file, backend):
    sample = calibration_inputs(tiny_export['cfg'], 1, 'test')[0]
    inputs = {k: torch.from_numpy(v) for k, v in sample.items()}
    fp32 = init_deployed_model(None, tiny_export['onnx']).run_graph(**inputs)
    deployed = init_deployed_model(None, model_file, backend)
    return fp32, deployed.run_graph(**inputs), deployed


def test_onnxruntime_int8_graph(tiny_export, int8_models):
    path = int8_models['onnxruntime']
    graph = onnx.load(path)
    ops = {node.op_type for node in graph.graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    assert any(init.data_type == onnx.TensorProto.INT8 for init in graph.graph.initializer)
    check_symbolic_inputs(path)  # still any batch and size
    assert read_onnx_metadata(path) == read_onnx_metadata(tiny_export['onnx'])
    fp32, int8, deployed = graph_outputs(tiny_export, path, 'onnxruntime')
    runs_at_any_size(deployed)
    assert list(deployed.dataset_meta['actions']) == list(
        tiny_export['model'].dataset_meta['actions'])
    assert all(c > 0.9 for c in correlated(fp32, int8).values()), correlated(fp32, int8)


def test_onnxruntime_int8_keeps_the_heads_in_float(tiny_export, int8_models):
    """The heads' layers keep float weights; the backbone's convolutions read int8
    weights through DequantizeLinear."""
    fp32 = onnx.load(tiny_export['onnx'])
    int8 = onnx.load(int8_models['onnxruntime'])
    float_weights = {
        init.name
        for init in int8.graph.initializer if init.data_type == onnx.TensorProto.FLOAT
    }
    dequantized = {
        out
        for node in int8.graph.node if node.op_type == 'DequantizeLinear' for out in node.output
    }
    branches = [m for m in FLOAT_MODULES if m.startswith('interaction_head.')]
    heads = set(nodes_of_modules(fp32, branches + ['contact_head.conv_seg']))
    layers = [n for n in int8.graph.node if n.op_type in ('MatMul', 'Gemm', 'Conv')]
    head_layers = [n for n in layers if n.name in heads]
    assert len(head_layers) >= 5  # the box FFNs, the object and action classifiers, S
    assert all(float_weights.intersection(n.input) for n in head_layers)
    backbone = set(nodes_of_modules(fp32, ['backbone']))
    convs = [n for n in layers if n.name in backbone]
    assert convs and all(dequantized.intersection(n.input) for n in convs)


def test_openvino_int8_ir(tiny_export, int8_models):
    path = int8_models['openvino']
    assert osp.isfile(osp.splitext(path)[0] + '.bin')
    fp32, int8, deployed = graph_outputs(tiny_export, path, 'openvino')
    runs_at_any_size(deployed)
    assert 'PaIRNet' in deployed.cfg.pretty_text  # the config travelled in rt_info
    assert list(deployed.dataset_meta['actions']) == list(
        tiny_export['model'].dataset_meta['actions'])
    assert all(c > 0.9 for c in correlated(fp32, int8).values()), correlated(fp32, int8)
