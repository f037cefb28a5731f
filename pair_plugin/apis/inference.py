"""Building PaIR-Net for inference: the PyTorch model from a config and a checkpoint, or
its exported graph in a deployment runtime, and the test pipeline that reads any image.

As mmdet's ``init_detector``; :class:`~pair_plugin.apis.PaIRInferencer` builds on these::

    model = init_model('configs/pairnet_r18_synthetic.py', 'epoch_26.pth', device='cpu')
    deployed = init_deployed_model('configs/pairnet_r18_synthetic.py', 'pairnet.onnx')
"""
import copy
import json
import os.path as osp
import warnings
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from pair_plugin.registry import DATASETS, MODELS
from pair_plugin.structures import PaIRFormatError, with_object_alias
from .deployed_model import DeployedPaIRNet
from .image_loading import LoadInferenceImage

#: pipeline steps that read annotations; there are none at inference
ANNOTATION_LOADERS = ('LoadPaIRAnnotations', 'LoadAnnotations')
#: pipeline steps that read the image; replaced by ``LoadInferenceImage``
IMAGE_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'LoadInferenceImage')

ConfigType = Union[str, Path, Config]


def _type_name(step: dict) -> str:
    name = step.get('type', '')
    name = name if isinstance(name, str) else name.__name__
    return name.split('.')[-1]


def _dataset_cfg(cfg: Config) -> Optional[ConfigDict]:
    """The test (else val) dataset config, unwrapping dataset wrappers."""
    for key in ('test_dataloader', 'val_dataloader'):
        loader = cfg.get(key)
        if not loader or 'dataset' not in loader:
            continue
        dataset = loader['dataset']
        while 'pipeline' not in dataset and ('dataset' in dataset or 'datasets' in dataset):
            dataset = dataset.get('dataset') or dataset['datasets'][0]
        return dataset
    return None


def _config_dataset_meta(cfg: Config) -> dict:
    """The vocabularies from the config's test dataset: its annotation file's metainfo
    merged with the config's ``metainfo`` (as the dataset sees them), or the config's
    ``metainfo`` alone when the annotation file is not there. The dataset is built with
    ``lazy_init=True`` (as mmdet's ``DetInferencer`` reads its class names): the file's
    metainfo is read and checked, its images are not."""
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None:
        return {}
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg['pipeline'] = []
    dataset_cfg['lazy_init'] = True
    try:
        return dict(DATASETS.build(dataset_cfg).metainfo)
    except PaIRFormatError as err:
        if err.field != '(file)':  # the annotation file is there but broken
            raise
        return with_object_alias(dict(dataset_cfg.get('metainfo') or {}))


def _with_names(dataset_meta: Optional[dict], config: Config, where: str) -> dict:
    """``dataset_meta`` when it names the objects and actions, else the config's; warns
    when neither does (names then fall back to ids in the pictures)."""
    if not dataset_meta:
        dataset_meta = _config_dataset_meta(config)
    if not dataset_meta.get('objects') or not dataset_meta.get('actions'):
        warnings.warn(
            f'{where}: neither the {"checkpoint" if where == "init_model" else "model file"}'
            ' nor the config gives the object and action names; predictions will show '
            'class ids')
    return dataset_meta


def load_config(config: ConfigType, cfg_options: Optional[dict] = None) -> Config:
    """A config file or object (copied), with ``cfg_options`` merged in."""
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file name or an mmengine Config, got {type(config)}')
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    return config


def build_detector(config: Config) -> nn.Module:
    """PaIR-Net from ``config.model``, in eval mode on the CPU, without downloading
    pretrained backbone weights (the checkpoint holds the trained ones), SyncBN as BN."""
    backbone = config.model.get('backbone')
    if backbone is not None and 'init_cfg' in backbone:
        backbone.init_cfg = None
    init_default_scope(config.get('default_scope', 'pair_plugin'))
    model = revert_sync_batchnorm(MODELS.build(config.model))
    model.cfg = config
    return model.eval()


def init_model(config: ConfigType,
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build PaIR-Net from a config and load a checkpoint (as mmdet's ``init_detector``).

    The model gets ``model.cfg`` (the config) and ``model.dataset_meta`` (``objects``,
    ``classes``, ``actions``, ``hoi_categories``): from the checkpoint's
    ``meta.dataset_meta`` (written by the training runner), else from the config's test
    dataset (its annotation file and ``metainfo``); a warning says when neither has them
    (names then fall back to ids in the pictures).

    Args:
        config (str | Path | Config): the config file or object.
        checkpoint (str, optional): a local checkpoint file; None keeps the initial
            weights (with pretrained backbone weights switched off, as mmdet).
        device (str): where the model runs ('cpu', 'cuda:0', ...). Defaults to 'cpu'.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        nn.Module: the model, in eval mode, on ``device``.

    Raises:
        ValueError: ``checkpoint`` is a URL (only local files are loaded) or an exported
            graph.
        FileNotFoundError: ``checkpoint`` does not exist.
        CheckpointIntegrityError: ``checkpoint`` differs from its ``.sha256`` file, cannot
            be read, or holds NaN or inf weights (the message names the file and tensors;
            :func:`~pair_plugin.engine.load_checkpoint_file` checks every load).
    """
    config = load_config(config, cfg_options)
    if checkpoint is not None and str(checkpoint).lower().endswith(('.onnx', '.xml')):
        raise ValueError(f'{checkpoint}: an exported graph, not a PyTorch checkpoint; '
                         "run it with PaIRInferencer(..., backend='onnxruntime') or "
                         'init_deployed_model')
    model = build_detector(config)

    dataset_meta = None
    if checkpoint is not None:
        checkpoint = str(checkpoint)
        if '://' in checkpoint:
            raise ValueError(f'{checkpoint}: init_model loads local checkpoint files only; '
                             f'download it first')
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'{checkpoint}: checkpoint file not found')
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        if meta.get('dataset_meta'):
            dataset_meta = {k.lower(): v for k, v in meta['dataset_meta'].items()}
    model.dataset_meta = _with_names(dataset_meta, config, 'init_model')
    model.to(device)
    return model


def init_deployed_model(config: Optional[ConfigType],
                        model_file: str,
                        backend: str = 'onnxruntime',
                        device: str = 'cpu',
                        num_threads: Optional[int] = None,
                        cfg_options: Optional[dict] = None) -> DeployedPaIRNet:
    """PaIR-Net's exported graph (``tools/deployment/export_onnx.py``, or its INT8 form)
    in ONNX Runtime or OpenVINO, with the config's pre- and post-processing.

    Args:
        config (str | Path | Config, optional): the model's config; None takes the one
            stored in the ``.onnx`` file by the export.
        model_file (str): the graph (see :class:`DeployedPaIRNet`).
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        device (str): ``'cpu'``, or ``'cuda:N'`` for ONNX Runtime's CUDA provider.
        num_threads (int, optional): the runtime's threads; its default when None.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        DeployedPaIRNet: with ``cfg`` and ``dataset_meta`` (from the file's metadata,
        else the config's test dataset), in eval mode.
    """
    from .onnx_export import read_onnx_metadata
    model_file = str(model_file)
    if not osp.isfile(model_file):
        raise FileNotFoundError(f'{model_file}: {backend} model file not found')
    stored = (
        read_onnx_metadata(model_file)
        if model_file.lower().endswith('.onnx') else _openvino_metadata(model_file))
    if config is None:
        if not stored['config']:
            raise ValueError(f'{model_file}: holds no config; give the config file')
        config = Config.fromstring(stored['config'], file_format='.py')
    config = load_config(config, cfg_options)
    detector = build_detector(config)
    # the graph holds the weights: the detector's own (as many again) would only take
    # memory, so everything but its data preprocessor moves to the meta device
    for child in detector.children():
        if child is not detector.data_preprocessor:
            child.to('meta')
    model = DeployedPaIRNet(detector, model_file, backend, device, num_threads)
    model.cfg = config
    model.dataset_meta = _with_names(stored['dataset_meta'], config, 'init_deployed_model')
    return model.eval()


def _openvino_metadata(xml_file: str) -> dict:
    """``dataset_meta`` and ``config`` stored in an OpenVINO IR's ``rt_info``."""
    import openvino as ov

    from .onnx_export import META_CONFIG, META_DATASET
    model = ov.Core().read_model(xml_file)
    values = {}
    for key in (META_DATASET, META_CONFIG):
        path = key.split('.')
        values[key] = (model.get_rt_info(path).astype(str) if model.has_rt_info(path) else None)
    meta = values[META_DATASET]
    return dict(dataset_meta=json.loads(meta) if meta else None, config=values[META_CONFIG])


def build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, reading any image file or array and no annotations.

    The image loader (``LoadImageFromFile``) becomes
    :class:`~pair_plugin.apis.image_loading.LoadInferenceImage` with the same arguments
    (the same decoder, which also takes arrays) and annotation loaders
    (``LoadPaIRAnnotations``, ``LoadAnnotations``) are dropped; the resize, normalisation
    settings and ``PackPaIRInputs`` stay as in testing.
    """
    init_default_scope(cfg.get('default_scope', 'pair_plugin'))
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None or 'pipeline' not in dataset_cfg:
        raise ValueError('the config has no test_dataloader.dataset.pipeline to infer with')
    steps = [
        step for step in copy.deepcopy(dataset_cfg['pipeline'])
        if _type_name(step) not in ANNOTATION_LOADERS
    ]
    if not steps or _type_name(steps[0]) not in IMAGE_LOADERS:
        raise ValueError('the test pipeline must start with LoadImageFromFile, got '
                         f'{[_type_name(s) for s in dataset_cfg["pipeline"]]}')
    loader_args = {key: value for key, value in steps[0].items() if key != 'type'}
    return Compose([LoadInferenceImage(**loader_args)] + steps[1:])
