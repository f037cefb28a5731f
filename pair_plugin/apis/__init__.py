from .deployed_model import DeployedPaIRNet
from .image_loading import LoadInferenceImage, as_bgr_image, load_image
from .inference import (build_detector, build_inference_pipeline, init_deployed_model, init_model,
                        load_config)
from .onnx_export import (ExportedHeads, ONNXMismatchError, check_symbolic_inputs, export_onnx,
                          read_onnx_metadata, verify_onnx)
from .pair_inferencer import PaIRInferencer, inference_pair

__all__ = [
    'PaIRInferencer', 'inference_pair', 'init_model', 'init_deployed_model', 'build_detector',
    'build_inference_pipeline', 'load_config', 'load_image', 'as_bgr_image', 'LoadInferenceImage',
    'DeployedPaIRNet', 'ExportedHeads', 'export_onnx', 'verify_onnx', 'check_symbolic_inputs',
    'read_onnx_metadata', 'ONNXMismatchError'
]
