"""Building a PaIR-Net from a config and a checkpoint, and running it on images.

As mmdet's ``init_detector`` / ``inference_detector``::

    model = init_model('configs/pairnet_r18_synthetic.py', 'epoch_26.pth', device='cpu')
    result = inference_pair(model, 'photo.jpg')       # a PaIRDataSample
    result.pred_hois.scores, result.pred_sem_seg.sem_seg, result.pred_parts
"""
import copy
import os.path as osp
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from pair_plugin.registry import DATASETS, MODELS
from pair_plugin.structures import PaIRDataSample, PaIRFormatError
from .image_loading import load_image

#: pipeline steps that read annotations; there are none at inference
ANNOTATION_LOADERS = ('LoadPaIRAnnotations', 'LoadAnnotations')
#: pipeline steps that read the image from a file; replaced by one reading the array
IMAGE_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray')

ImagesType = Union[str, Path, np.ndarray, Sequence[Union[str, Path, np.ndarray]]]


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
        while 'pipeline' not in dataset and ('dataset' in dataset
                                             or 'datasets' in dataset):
            dataset = dataset.get('dataset') or dataset['datasets'][0]
        return dataset
    return None


def _config_dataset_meta(cfg: Config) -> dict:
    """The vocabularies from the config's test dataset: its annotation file's metainfo
    merged with the config's ``metainfo`` (as the dataset sees them), or the config's
    ``metainfo`` alone when the annotation file is not there."""
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None:
        return {}
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg['pipeline'] = []
    try:
        return dict(DATASETS.build(dataset_cfg).metainfo)
    except PaIRFormatError as err:
        if err.field != '(file)':  # the annotation file is there but broken
            raise
        meta = dict(dataset_cfg.get('metainfo') or {})
        if 'objects' not in meta and 'classes' in meta:
            meta['objects'] = meta['classes']
        if 'objects' in meta:
            meta['classes'] = meta['objects']
        return meta


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build PaIR-Net from a config and load a checkpoint (as mmdet's ``init_detector``).

    The model gets ``model.cfg`` (the config, for :func:`inference_pair`) and
    ``model.dataset_meta`` (``objects``, ``classes``, ``actions``, ``hoi_categories``):
    from the checkpoint's ``meta.dataset_meta`` (written by the training runner), else
    from the config's test dataset (its annotation file and ``metainfo``); a warning says
    when neither has them (names then fall back to ids in the pictures).

    Args:
        config (str | Path | Config): the config file or object.
        checkpoint (str, optional): a local checkpoint file; None keeps the initial
            weights (with pretrained backbone weights switched off, as mmdet).
        device (str): where the model runs ('cpu', 'cuda:0', ...). Defaults to 'cpu'.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        nn.Module: the model, in eval mode, on ``device``.

    Raises:
        ValueError: ``checkpoint`` is a URL (only local files are loaded).
        FileNotFoundError: ``checkpoint`` does not exist.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError(
            f'config must be a file name or an mmengine Config, got {type(config)}')
    else:
        config = copy.deepcopy(config)
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    backbone = config.model.get('backbone')
    if backbone is not None and 'init_cfg' in backbone:
        # no download of pretrained weights: the checkpoint holds the trained ones
        backbone.init_cfg = None
    init_default_scope(config.get('default_scope', 'pair_plugin'))

    model = MODELS.build(config.model)
    model = revert_sync_batchnorm(model)

    dataset_meta = None
    if checkpoint is not None:
        checkpoint = str(checkpoint)
        if '://' in checkpoint:
            raise ValueError(
                f'{checkpoint}: init_model loads local checkpoint files only; '
                f'download it first')
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'{checkpoint}: checkpoint file not found')
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        if meta.get('dataset_meta'):
            dataset_meta = {k.lower(): v for k, v in meta['dataset_meta'].items()}
    if dataset_meta is None:
        dataset_meta = _config_dataset_meta(config)
    if not dataset_meta.get('objects') or not dataset_meta.get('actions'):
        warnings.warn(
            'init_model: neither the checkpoint nor the config gives the object and '
            'action names; predictions will show class ids')
    model.dataset_meta = dataset_meta
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def build_inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, reading the image from an array and no annotations.

    The image loader (``LoadImageFromFile``) becomes ``mmdet.LoadImageFromNDArray`` and
    annotation loaders (``LoadPaIRAnnotations``, ``LoadAnnotations``) are dropped; the
    resize, normalisation settings and ``PackPaIRInputs`` stay as in testing.
    """
    dataset_cfg = _dataset_cfg(cfg)
    if dataset_cfg is None or 'pipeline' not in dataset_cfg:
        raise ValueError(
            'the config has no test_dataloader.dataset.pipeline to infer with')
    steps = []
    for step in copy.deepcopy(dataset_cfg['pipeline']):
        name = _type_name(step)
        if name in ANNOTATION_LOADERS:
            continue
        if name in IMAGE_LOADERS:
            step = dict(type='mmdet.LoadImageFromNDArray')
        steps.append(step)
    if not steps or _type_name(steps[0]) != 'LoadImageFromNDArray':
        raise ValueError(
            'the test pipeline must start with LoadImageFromFile, got '
            f'{[_type_name(s) for s in dataset_cfg["pipeline"]]}')
    return Compose(steps)


def _as_bgr(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(
            f'an image array must be (H, W), (H, W, 3) BGR or (H, W, 4) BGRA, got '
            f'shape {img.shape}')
    if img.dtype != np.uint8:
        raise ValueError(f'an image array must be uint8, got {img.dtype}')
    return np.ascontiguousarray(img[..., :3])


def inference_pair(model: nn.Module,
                   imgs: ImagesType,
                   test_pipeline: Optional[Compose] = None
                   ) -> Union[PaIRDataSample, List[PaIRDataSample]]:
    """Run PaIR-Net on one image or a list of images.

    Args:
        model (nn.Module): a model from :func:`init_model` (it needs ``model.cfg``).
        imgs: an image file, a uint8 array ((H, W, 3) BGR as mmcv reads, (H, W) gray
            or (H, W, 4) BGRA), or a list of them. Files are read with
            :func:`~pair_plugin.apis.image_loading.load_image` (EXIF orientation,
            grayscale, RGBA, WebP, 16-bit).
        test_pipeline (Compose, optional): defaults to
            :func:`build_inference_pipeline` of ``model.cfg``.

    Returns:
        PaIRDataSample or list[PaIRDataSample]: one per image (a list when ``imgs``
        is a list or tuple) with ``pred_hois`` (boxes in the image's own pixels),
        ``pred_sem_seg`` at the image's size and ``pred_parts``; metainfo
        ``img_path`` is the file (None for an array) and ``ori_shape`` its size.
    """
    is_batch = isinstance(imgs, (list, tuple))
    images = list(imgs) if is_batch else [imgs]
    if test_pipeline is None:
        test_pipeline = build_inference_pipeline(model.cfg)

    results = []
    for index, img in enumerate(images):
        if isinstance(img, (str, Path)):
            path = str(img)
            array = load_image(path)
        elif isinstance(img, np.ndarray):
            path = None
            array = _as_bgr(img)
        else:
            raise TypeError(
                f'imgs[{index}]: expected a file name or a numpy array, got {type(img)}')
        file_name = osp.basename(path) if path is not None else f'array_{index}'
        data = test_pipeline(dict(img=array, img_id=index, file_name=file_name))
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        with torch.no_grad():
            result = model.test_step(batch)[0]
        result.set_metainfo(dict(img_path=path, file_name=file_name))
        results.append(result)
    return results if is_batch else results[0]
