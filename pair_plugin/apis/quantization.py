"""Static INT8 quantization of the exported graph, calibrated on training images.

Two runtimes' tools, both post-training and static (activation ranges measured on
calibration images, weights per output channel):

- ONNX Runtime (``onnxruntime.quantization.quantize_static``): QDQ format, unsigned 8-bit
  activations and signed 8-bit weights, MinMax ranges; an ``.onnx`` file that runs with
  ``backend='onnxruntime'``.
- OpenVINO's NNCF (``nncf.quantize``, transformer preset with SmoothQuant): an OpenVINO IR
  (``.xml`` + ``.bin``) that runs with ``backend='openvino'``.

Both keep the prediction heads in float (:data:`FLOAT_MODULES`: little compute, the most
accuracy lost in 8 bits); ONNX Runtime also the attention's products of two activations
(NNCF's transformer preset treats those itself).

Calibration images come from a split of the config's dataset (the training split by
default), through the test pipeline and the data preprocessor, one image per batch.
"""
import ast
import copy
import json
import logging
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from pair_plugin.registry import DATASETS
from .inference import build_detector, build_inference_pipeline
from .library_messages import dropped_log_messages, logger_level
from .onnx_export import (EXPORTED_DETECTOR, INPUT_NAMES, META_CONFIG, META_DATASET,
                          load_onnx_model, read_onnx_metadata)

#: normalisation operators whose scale is a vector: per-channel quantization along axis 1
#: does not apply to it, so ONNX Runtime quantizes it per tensor (after a warning each)
VECTOR_SCALE_OPS = ('LayerNormalization', 'BatchNormalization', 'InstanceNormalization')
#: ONNX Runtime's advice to run its shape-inference pre-processing first; the exported
#: graph's shapes are already inferred by the exporter
PRE_PROCESSING_ADVICE = ('Please consider to run pre-processing', 'Please consider pre-processing')

#: the quantizers, and the file each one writes
QUANTIZERS = {'openvino': '.xml', 'onnxruntime': '.onnx'}
#: modules of PaIRNet kept in float: the branches that give the scores, boxes and contact
#: map (IIMHead's box, object and action branches, not its transformer; PGCS's Body Attention
#: and classifier), CPAM and the Mask-Guided RoI Feature
FLOAT_MODULES = ('interaction_head.human_reg_ffn', 'interaction_head.human_reg',
                 'interaction_head.object_reg_ffn', 'interaction_head.object_reg',
                 'interaction_head.object_cls', 'interaction_head.action_cls', 'cpam',
                 'contact_head.body_attention', 'contact_head.conv_seg', 'mask_guided_feature')


def nodes_of_modules(model, modules: Sequence[str] = FLOAT_MODULES) -> List[str]:
    """Names of the graph's nodes computed inside ``modules`` (paths in :class:`PaIRNet`).

    The exporter records each node's module path in its ``pkg.torch.onnx.name_scopes``
    metadata (``['', 'detector.interaction_head.action_cls', 'linear_85']``).
    """
    prefixes = tuple(f'{EXPORTED_DETECTOR}.{module}' for module in modules)
    names = []
    for node in model.graph.node:
        props = {prop.key: prop.value for prop in node.metadata_props}
        scopes = ast.literal_eval(props.get('pkg.torch.onnx.name_scopes', '[]'))
        if any(scope == prefix or scope.startswith(prefix + '.') for scope in scopes
               for prefix in prefixes):
            names.append(node.name)
    return names


def per_tensor_weights(model) -> Dict[str, list]:
    """ONNX Runtime's ``TensorQuantOverrides`` that quantize the vector scales of the
    normalisation operators (:data:`VECTOR_SCALE_OPS`) per tensor, as it would after
    failing per-channel, without its warning for each."""
    vectors = {init.name for init in model.graph.initializer if len(init.dims) == 1}
    return {
        node.input[1]: [{}]
        for node in model.graph.node
        if node.op_type in VECTOR_SCALE_OPS and len(node.input) > 1 and node.input[1] in vectors
    }


def activation_products(model) -> List[str]:
    """Names of the ``MatMul`` nodes that multiply two activations (no weight): the
    attention's query-key and weight-value products."""
    weights = {init.name for init in model.graph.initializer}
    return [
        node.name for node in model.graph.node
        if node.op_type == 'MatMul' and not weights.intersection(node.input)
    ]


def calibration_inputs(cfg: Config,
                       num_images: int,
                       split: str = 'train') -> List[Dict[str, np.ndarray]]:
    """The graph's inputs for ``num_images`` images spread evenly over a split.

    Args:
        cfg (Config): the model's config (its ``<split>_dataloader`` names the data).
        num_images (int): how many images (all of the split when it has fewer).
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Returns:
        list[dict[str, np.ndarray]]: per image ``inputs`` (1, 3, H, W) float32 and
        ``img_sizes`` (1, 2) int64, as the graph takes them.
    """
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader to calibrate with')
    dataset_cfg = copy.deepcopy(loader['dataset'])
    dataset_cfg['pipeline'] = []
    dataset_cfg.pop('filter_cfg', None)
    dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ValueError(f'the {split} split of {dataset_cfg.get("data_root")} is empty')
    count = min(num_images, len(dataset))
    indices = np.linspace(0, len(dataset) - 1, count).round().astype(int)
    pipeline = build_inference_pipeline(cfg)
    detector = build_detector(cfg)
    samples = []
    for index in indices:
        info = dataset.get_data_info(int(index))
        data = pseudo_collate(
            [pipeline(dict(img_path=info['img_path'], file_name=info.get('file_name')))])
        data = detector.data_preprocessor(data, False)
        img_sizes, _ = detector.img_sizes(data['inputs'], data['data_samples'])
        samples.append(dict(zip(INPUT_NAMES, (data['inputs'].numpy(), img_sizes.numpy()))))
    return samples


def quantize_onnxruntime(fp32_file: str, out_file: str, samples: List[Dict[str,
                                                                           np.ndarray]]) -> str:
    """ONNX Runtime's static QDQ quantization of ``fp32_file`` into ``out_file``.

    Every operator ONNX Runtime quantizes in QDQ form but ``Where``, outside the float
    modules and products; per-channel signed weights, unsigned activations with MinMax
    ranges over ``samples``; the metadata (names, config) is carried over.
    """
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.registry import QDQRegistry

    class Reader(CalibrationDataReader):

        def __init__(self):
            self.samples: Iterator = iter(samples)

        def get_next(self) -> Optional[Dict[str, np.ndarray]]:
            return next(self.samples, None)

    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    # Where stays in float: the QLinearWhere that ONNX Runtime fuses it into fails with a
    # broadcast error at some image sizes (e.g. a 6 x 8 feature map)
    op_types = sorted(set(QDQRegistry) - {'Where'})
    fp32 = load_onnx_model(fp32_file)
    with dropped_log_messages('', PRE_PROCESSING_ADVICE):  # ONNX Runtime logs on the root
        quantize_static(
            fp32_file,
            out_file,
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=op_types,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=nodes_of_modules(fp32) + activation_products(fp32),
            extra_options=dict(TensorQuantOverrides=per_tensor_weights(fp32)))
    stored = fp32.metadata_props
    model = onnx.load(out_file)
    onnx.helper.set_model_props(model, {p.key: p.value for p in stored})
    onnx.save(model, out_file)
    return out_file


def quantize_openvino(fp32_file: str, out_file: str, samples: List[Dict[str, np.ndarray]]) -> str:
    """NNCF's static quantization of ``fp32_file`` into an OpenVINO IR ``out_file``
    (``.xml``, its weights in the ``.bin`` beside it).

    The transformer preset (SmoothQuant before the attention's matrix products), the
    float modules ignored (the OpenVINO operations named as the ONNX nodes); weights that
    stay in float keep 32 bits; names and config go into the IR's ``rt_info``.
    """
    import nncf
    import openvino as ov
    model = ov.Core().read_model(fp32_file)
    in_float = set(nodes_of_modules(load_onnx_model(fp32_file)))
    # NNCF logs one INFO line per operation it leaves unquantized, and imports torch's
    # cpp_extension, which warns on a machine with a CUDA toolkit and no GPU
    with logger_level('nncf', logging.WARNING), dropped_log_messages('torch.utils.cpp_extension',
                                                                     ['No CUDA runtime is found']):
        quantized = nncf.quantize(
            model,
            nncf.Dataset(samples),
            subset_size=len(samples),
            model_type=nncf.ModelType.TRANSFORMER,
            ignored_scope=nncf.IgnoredScope(names=[
                op.get_friendly_name() for op in model.get_ops()
                if op.get_friendly_name() in in_float
            ]))
    stored = read_onnx_metadata(fp32_file)
    if stored['dataset_meta']:
        quantized.set_rt_info(json.dumps(stored['dataset_meta']), META_DATASET.split('.'))
    if stored['config']:
        quantized.set_rt_info(stored['config'], META_CONFIG.split('.'))
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    ov.save_model(quantized, out_file, compress_to_fp16=False)
    return out_file
