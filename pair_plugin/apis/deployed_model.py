"""PaIR-Net's exported graph in a deployment runtime, as a model with ``test_step``."""
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from .onnx_export import INPUT_NAMES

#: the runtimes a :class:`DeployedPaIRNet` runs, and the file each one reads
BACKEND_FILES = {'onnxruntime': ('.onnx', ), 'openvino': ('.xml', '.onnx')}


class DeployedPaIRNet(BaseModel):
    """The graph of :class:`~pair_plugin.apis.onnx_export.ExportedHeads` in ONNX Runtime or
    OpenVINO, between the PyTorch detector's data preprocessor and post-processing.

    ``test_step`` (and ``forward`` in ``'predict'`` mode) returns the same
    :class:`PaIRDataSample` predictions as the PyTorch model's: the graph's raw outputs go
    through :meth:`PaIRNet.postprocess` as torch tensors.

    Args:
        detector (PaIRNet): the model built from the config; only its data preprocessor,
            post-processing and ``test_cfg`` are used (its weights are not:
            :func:`init_deployed_model` releases them).
        model_file (str): the graph: ``.onnx`` for ONNX Runtime (an INT8 graph of
            ``tools/deployment/quantize_onnx.py`` too); ``.xml`` (OpenVINO IR) or
            ``.onnx`` for OpenVINO.
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        device (str): ``'cpu'``, or ``'cuda'`` / ``'cuda:N'`` for ONNX Runtime's CUDA
            provider.
        num_threads (int, optional): the runtime's threads; its default when None.
    """

    def __init__(self,
                 detector: nn.Module,
                 model_file: str,
                 backend: str = 'onnxruntime',
                 device: str = 'cpu',
                 num_threads: Optional[int] = None):
        super().__init__(data_preprocessor=detector.data_preprocessor)
        if backend not in BACKEND_FILES:
            raise ValueError(f'DeployedPaIRNet: backend must be one of '
                             f'{sorted(BACKEND_FILES)}, not {backend!r}')
        if not osp.isfile(model_file):
            raise FileNotFoundError(f'{model_file}: {backend} model file not found')
        if not model_file.lower().endswith(BACKEND_FILES[backend]):
            raise ValueError(f'{model_file}: backend {backend!r} reads '
                             f'{" or ".join(BACKEND_FILES[backend])} files')
        self.detector = detector.eval()
        self.model_file = model_file
        self.backend = backend
        if backend == 'onnxruntime':
            self._init_onnxruntime(model_file, device, num_threads)
        else:
            self._init_openvino(model_file, device, num_threads)

    def _init_onnxruntime(self, model_file: str, device: str, num_threads: Optional[int]) -> None:
        import onnxruntime as ort
        options = ort.SessionOptions()
        if num_threads:
            options.intra_op_num_threads = num_threads
        # no busy-waiting of the runtime's threads after a run: the post-processing that
        # follows runs in torch on the same cores
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        # no CPU memory arena: it grows by powers of two and keeps the largest activations
        # through the post-processing, which raises the peak memory of a large photo
        options.enable_cpu_mem_arena = False
        providers = ['CPUExecutionProvider']
        if device.startswith('cuda'):
            if 'CUDAExecutionProvider' not in ort.get_available_providers():
                raise RuntimeError(
                    f"device {device!r}: this onnxruntime has no CUDAExecutionProvider "
                    f'(it has {ort.get_available_providers()}); install onnxruntime-gpu')
            index = int(device.split(':')[1]) if ':' in device else 0
            providers.insert(0, ('CUDAExecutionProvider', dict(device_id=index)))
        self.session = ort.InferenceSession(model_file, options, providers=providers)
        self.output_names = [out.name for out in self.session.get_outputs()]

    def _init_openvino(self, model_file: str, device: str, num_threads: Optional[int]) -> None:
        import openvino as ov
        if device != 'cpu':
            raise ValueError(f"DeployedPaIRNet: the openvino backend runs on 'cpu' here, "
                             f'not {device!r}')
        core = ov.Core()
        # full fp32 (the CPU plugin would pick bf16 on CPUs with AMX); no "snippets"
        # (its fused attention subgraph refuses the graph's symbolic image size)
        config = dict(INFERENCE_PRECISION_HINT='f32', SNIPPETS_MODE='DISABLE')
        if num_threads:
            config['INFERENCE_NUM_THREADS'] = num_threads
        self.compiled = core.compile_model(core.read_model(model_file), 'CPU', config)
        self.request = self.compiled.create_infer_request()
        self.output_names = [out.get_any_name() for out in self.compiled.outputs]

    def run_graph(self, inputs: Tensor, img_sizes: Tensor) -> Dict[str, Tensor]:
        """The graph's outputs on a preprocessed batch.

        Args:
            inputs (Tensor): (B, 3, H, W) padded, normalised batch.
            img_sizes (Tensor): (B, 2) int64 (h, w) of each image inside it.

        Returns:
            dict[str, Tensor]: the raw outputs of the last stage, on the CPU.
        """
        feed = dict(
            zip(INPUT_NAMES, (inputs.detach().float().cpu().contiguous().numpy(),
                              img_sizes.cpu().long().numpy())))
        if self.backend == 'onnxruntime':
            values = self.session.run(self.output_names, feed)
        else:
            results = self.request.infer(feed)
            values = [results[out] for out in self.compiled.outputs]
        return {
            name: torch.from_numpy(value.copy())
            for name, value in zip(self.output_names, values)
        }

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[Sequence] = None,
                mode: str = 'predict') -> Union[Dict[str, Tensor], Sequence]:
        """``'predict'``: the predictions of :meth:`PaIRNet.postprocess`; ``'tensor'``:
        the graph's raw outputs. There is no loss: a deployed graph does not train."""
        img_sizes, _ = self.detector.img_sizes(inputs, data_samples)
        outs = self.run_graph(inputs, img_sizes)
        if mode == 'tensor':
            return outs
        if mode != 'predict':
            raise ValueError(f"DeployedPaIRNet runs in 'predict' or 'tensor' mode, not "
                             f'{mode!r}')
        return self.detector.postprocess(outs, data_samples, rescale=True)
