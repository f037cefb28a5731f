"""PaIRInferencer: PaIR-Net on photos and arrays, in PyTorch or a deployment runtime."""
import copy
import itertools
import logging
import math
import os
import os.path as osp
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.infer.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS, init_default_scope
from mmengine.visualization import Visualizer

from pair_plugin.evaluation.predictions_file import (DEFAULT_MASKS_DIR, prediction_entry,
                                                     prediction_mask_path, write_prediction_mask,
                                                     write_predictions_file)
from pair_plugin.progress import track_progress
from pair_plugin.registry import VISUALIZERS
from pair_plugin.structures import PaIRDataSample, PaIRFormatError, to_numpy
from .image_loading import LoadInferenceImage, check_size_fits_pipeline
from .inference import build_inference_pipeline, init_deployed_model, init_model, load_config

#: file extensions taken from a folder
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
#: numbers the visualizers of the inferencers of this process
_VISUALIZER_NUMBERS = itertools.count()
#: the backends and where their model runs
BACKENDS = ('pytorch', 'onnxruntime', 'openvino')
#: what ``out_dir`` receives: the predictions file, its masks' folder, the pictures' folder
PREDICTIONS_FILE = 'predictions.json'
VIS_DIR = 'vis'
#: the score a triplet must exceed to be kept in the predictions and drawn (0: the top-K)
PRED_SCORE_THR = 0.3
#: the longer side, in pixels, above which pictures are drawn scaled down
MAX_DRAW_SIZE = 2048

#: the errors of one bad input, reported per image with ``skip_unreadable``
INPUT_ERRORS = (PaIRFormatError, FileNotFoundError, ValueError)

InputType = Union[str, Path, np.ndarray, dict]


def list_image_files(folder: str) -> List[str]:
    """The names of the image files in ``folder`` (not recursive), sorted.

    Raises:
        FileNotFoundError: the folder holds no file with an image extension.
    """
    names = sorted(
        name for name in os.listdir(folder)
        if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS and osp.isfile(osp.join(folder, name)))
    if not names:
        raise FileNotFoundError(f'{folder}: no image files '
                                f'({", ".join(IMAGE_EXTENSIONS)}) in this folder')
    return names


InputsType = Union[InputType, Sequence[InputType]]


class PaIRInferencer(BaseInferencer):
    """PaIR-Net's predictions for image files, folders and arrays (as mmdet's
    ``DetInferencer``), with the PyTorch model or its exported graph::

        inferencer = PaIRInferencer('configs/pairnet_r18_synthetic.py', 'epoch_26.pth')
        result = inferencer('photos/', batch_size=4, out_dir='outputs')
        result['predictions'][0]   # {'file_name', 'hois', 'contact_mask', 'part_scores'}

        onnx = PaIRInferencer('configs/pairnet_r18_synthetic.py', 'pairnet.onnx',
                              backend='onnxruntime')

    Every backend runs the same data preprocessor and :meth:`PaIRNet.postprocess`, so the
    outputs agree to the graph's float rounding.

    A call returns ``{'predictions': [...], 'visualization': [...]}``: per image, the entry
    of the predictions file of ``docs/metrics.md`` (``file_name``; ``hois``: the
    ``subject_bbox``, ``object_bbox`` (x1y1x2y2, original pixels), ``object_id``,
    ``action_id``, ``score`` of the top-K triplets scoring above ``pred_score_thr``;
    ``contact_mask``: the mask's path relative to ``out_dir`` when predictions are saved,
    else the (H, W) uint8 part map itself; ``part_scores``: 17 floats), or the model's
    :class:`PaIRDataSample` (all top-K) with ``return_datasamples=True``; with
    ``return_vis=True`` the drawn pictures (RGB arrays). With ``out_dir`` it writes
    ``out_dir/predictions.json`` and its masks ``out_dir/pred_masks/`` (readable by
    ``tools/analysis/eval_predictions.py``) and the pictures ``out_dir/vis/``, and logs
    one line saying where.

    One rule decides which triplets are kept: those scoring above ``pred_score_thr``
    (default 0.3) are the ones returned, written and drawn; ``pred_score_thr=0`` keeps the
    whole top-K (what an evaluation with ``eval_predictions.py`` needs). Pictures of
    images whose longer side exceeds 2048 px (:data:`MAX_DRAW_SIZE`) are drawn scaled
    down; ``visualizer=dict(max_draw_size=None)`` draws at full size.

    ``file_name`` is the path as given, the name inside the folder for a folder's images,
    ``array_<i>`` for the i-th array of a call, or a dict input's ``file_name``.

    A bad input (a missing, empty, cut or non-image file, one over Pillow's
    decompression-bomb limit, a size the test resize shrinks to nothing, an array of
    the wrong shape) is logged with its reason and listed in the result's ``failed``, and
    the others go on; ``out_dir/predictions.json`` holds the inputs that succeeded. With
    ``skip_unreadable=False`` the first bad input raises a
    :class:`~pair_plugin.structures.PaIRFormatError` (or ``FileNotFoundError``,
    ``ValueError``) naming it, after the predictions file is written for the images before
    it.

    Args:
        model (str | Path | Config | nn.Module, optional): the config file or object; or a
            model of :func:`init_model` / :func:`init_deployed_model` (then ``weights``,
            ``device``, ``backend`` and ``cfg_options`` are not used). None with an
            ``.onnx`` file takes the config stored in it by the export.
        weights (str, optional): ``.pth`` checkpoint (``'pytorch'``), ``.onnx`` graph
            (``'onnxruntime'``, also INT8), ``.xml`` or ``.onnx`` (``'openvino'``).
        device (str, optional): ``'cpu'``, ``'cuda:0'``, ...; None picks CUDA when there
            is one (and, for ONNX Runtime, its CUDA provider).
        backend (str): ``'pytorch'`` (default), ``'onnxruntime'`` or ``'openvino'``.
        num_threads (int, optional): threads of the ONNX Runtime / OpenVINO runtime.
        cfg_options (dict, optional): overrides merged into the config.
        visualizer (dict, optional): overrides of the config's ``PaIRVisualizer`` (e.g.
            ``alpha``, ``max_draw_size``: 2048 unless given).
        scope (str): the registry scope. Defaults to 'pair_plugin'.
        show_progress (bool): a progress bar over the batches (a plain line every 10 %
            when the output is not a terminal); a call's ``show_progress`` overrides it.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = {
        'return_vis', 'show', 'wait_time', 'draw_pred', 'pred_score_thr', 'img_out_dir',
        'no_save_vis'
    }
    postprocess_kwargs: set = {'print_result', 'pred_out_dir', 'return_datasamples', 'no_save_pred'}

    def __init__(self,
                 model: Union[str, Path, dict, nn.Module, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 backend: str = 'pytorch',
                 num_threads: Optional[int] = None,
                 cfg_options: Optional[dict] = None,
                 visualizer: Optional[dict] = None,
                 scope: str = 'pair_plugin',
                 show_progress: bool = True) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'PaIRInferencer: backend must be one of {BACKENDS}, '
                             f'not {backend!r}')
        self.backend = backend
        self.auto_device = device is None
        self.num_threads = num_threads
        self.cfg_options = cfg_options
        self.visualizer_options = dict(dict(max_draw_size=MAX_DRAW_SIZE), **(visualizer or {}))
        self._built_model = None
        self._file_records: List[dict] = []
        init_default_scope(scope)
        if isinstance(model, nn.Module):
            if not hasattr(model, 'cfg'):
                raise ValueError('PaIRInferencer: a model object needs its config as '
                                 '`model.cfg` (init_model and init_deployed_model set it)')
            self._built_model = model
            model = model.cfg
        elif isinstance(model, (Path, Config)) or (isinstance(model, str) and osp.isfile(model)):
            model = load_config(model, cfg_options)
        if weights is not None:
            weights = str(weights)
        super().__init__(
            model=model, weights=weights, device=device, scope=scope, show_progress=show_progress)
        #: the test pipeline's image loader (mmcv's decoder, as in testing)
        self.loader: LoadInferenceImage = self.pipeline.transforms[0]

    # ------------------------------------------------------------ building
    def _init_model(self, cfg, weights: Optional[str], device: str = 'cpu') -> nn.Module:
        """The PyTorch model (:func:`init_model`) or the deployed graph
        (:func:`init_deployed_model`); without a config, the one stored in the graph."""
        if self._built_model is not None:
            return self._built_model
        if self.backend == 'pytorch':
            if not cfg:
                raise ValueError('PaIRInferencer: give the config (model=...) with a '
                                 'PyTorch checkpoint')
            return init_model(cfg, weights, device=device)
        if weights is None:
            raise ValueError(f'PaIRInferencer: backend {self.backend!r} needs the model '
                             'file as weights')
        if self.auto_device and not self._runtime_has_cuda():
            device = 'cpu'
        if cfg:  # the config's options are merged already
            return init_deployed_model(cfg, weights, self.backend, device, self.num_threads)
        model = init_deployed_model(None, weights, self.backend, device, self.num_threads,
                                    self.cfg_options)
        cfg.update(model.cfg._cfg_dict)
        return model

    def _runtime_has_cuda(self) -> bool:
        """Whether the runtime backend can run on CUDA (ONNX Runtime's CUDA provider)."""
        if self.backend != 'onnxruntime':
            return False
        import onnxruntime
        return 'CUDAExecutionProvider' in onnxruntime.get_available_providers()

    def _init_pipeline(self, cfg) -> Callable:
        return build_inference_pipeline(cfg)

    def _init_collate(self, cfg) -> Callable:
        """The test dataloader's ``collate_fn`` (mmengine's registry, as the Runner
        builds it), else ``pseudo_collate``."""
        collate_cfg = dict((cfg.get('test_dataloader') or {}).get('collate_fn') or {})
        if not collate_cfg:
            return pseudo_collate
        collate_fn = collate_cfg.pop('type')
        if isinstance(collate_fn, str):
            collate_fn = FUNCTIONS.get(collate_fn)
        return partial(collate_fn, **collate_cfg)

    def _init_visualizer(self, cfg) -> Optional[Visualizer]:
        """No visualizer yet: it is built when a picture is first asked for."""
        return None

    def _get_visualizer(self) -> Visualizer:
        """The config's ``PaIRVisualizer`` (with ``visualizer`` overrides), drawing to
        files or returning pictures, never to vis backends."""
        if self.visualizer is None:
            vis_cfg = copy.deepcopy(dict(self.cfg.get('visualizer') or {}))
            vis_cfg.setdefault('type', 'PaIRVisualizer')
            vis_cfg.pop('save_dir', None)
            # mmengine builds one visualizer per name in a process: a name of its own,
            # never reused (an id() is, once its inferencer is gone)
            name = f'pair_inferencer_{next(_VISUALIZER_NUMBERS)}'
            vis_cfg.update(self.visualizer_options, vis_backends=None, name=name)
            self.visualizer = VISUALIZERS.build(vis_cfg)
            self.visualizer.dataset_meta = getattr(self.model, 'dataset_meta', {}) or {}
        return self.visualizer

    # --------------------------------------------------------------- inputs
    def _inputs_to_list(self, inputs: InputsType, check_paths: bool = True) -> List[dict]:
        """Every input as a dict with ``img_path`` or ``img``, and ``file_name``.

        A folder gives its image files (not recursive, sorted); with ``check_paths`` a
        path must exist (else it fails when it is read).
        """
        if isinstance(inputs, (str, Path)) and osp.isdir(str(inputs)):
            folder = str(inputs)
            return [
                dict(img_path=osp.join(folder, name), file_name=name)
                for name in list_image_files(folder)
            ]
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        items = []
        for index, item in enumerate(inputs):
            if isinstance(item, (str, Path)):
                path = str(item)
                if check_paths and not osp.isfile(path):
                    raise FileNotFoundError(f'{path}: no such image file')
                items.append(dict(img_path=path, file_name=path))
            elif isinstance(item, np.ndarray):
                items.append(dict(img=item, file_name=f'array_{index}'))
            elif isinstance(item, dict) and ('img' in item or 'img_path' in item):
                item = dict(item)
                item.setdefault(
                    'file_name',
                    str(item['img_path']) if item.get('img_path') is not None else f'array_{index}')
                items.append(item)
            else:
                raise TypeError(f'inputs[{index}]: expected an image file, a numpy array or a dict '
                                f"with 'img' or 'img_path', got {type(item).__name__}")
        return items

    def preprocess(self,
                   inputs: List[dict],
                   batch_size: int = 1,
                   **kwargs) -> Iterator[Tuple[List[dict], Optional[dict], List[tuple]]]:
        """Batches of ``(the loaded images, the collated model inputs, the failed)``.

        Each image is read once (:attr:`loader`); the loaded dict keeps the
        original image for drawing while a copy goes through the test pipeline
        (:meth:`prepare_input`). A bad input goes to the batch's failed list as
        ``(index in inputs, file_name, the error)``; a batch whose every input failed
        has no model inputs (None).
        """
        for start in range(0, len(inputs), batch_size):
            loaded, packed, failed = [], [], []
            for index in range(start, min(start + batch_size, len(inputs))):
                item = inputs[index]
                try:
                    image, model_input = self.prepare_input(item)
                except INPUT_ERRORS as err:
                    failed.append((index, item['file_name'], err))
                    continue
                loaded.append(image)
                packed.append(model_input)
            yield loaded, (self.collate_fn(packed) if packed else None), failed

    def prepare_input(self, item: dict) -> Tuple[dict, dict]:
        """One input, loaded and through the test pipeline.

        Returns:
            tuple[dict, dict]: the loaded input (``img`` (H, W, 3) uint8 BGR at the
            original size, ``file_name``, ...) and the pipeline's output for the model.

        Raises:
            PaIRFormatError: named after the input: unreadable, a degenerate size
                (:func:`check_size_fits_pipeline`), or a pipeline step that fails on it.
            FileNotFoundError, ValueError: a missing file, an array of the wrong shape.
        """
        image = self.loader(dict(item))
        name = image['img_path'] or image['file_name']
        check_size_fits_pipeline(name, image['img'].shape[:2], self.pipeline.transforms)
        try:
            return image, self.pipeline(dict(image))
        except PaIRFormatError:
            raise
        except Exception as exc:
            height, width = image['img'].shape[:2]
            raise PaIRFormatError(
                name, 'image', f'the test pipeline failed on this {width}x{height} image: '
                f'{type(exc).__name__}: {exc}'.strip()) from exc

    # ----------------------------------------------------------------- call
    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 1,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0,
                 no_save_vis: bool = False,
                 draw_pred: bool = True,
                 pred_score_thr: float = PRED_SCORE_THR,
                 return_datasamples: bool = False,
                 print_result: bool = False,
                 no_save_pred: bool = False,
                 out_dir: str = '',
                 skip_unreadable: bool = True,
                 show_progress: Optional[bool] = None,
                 **kwargs) -> dict:
        """Predict (and draw) every input.

        Args:
            inputs: an image file, a folder of images, a uint8 array ((H, W, 3) BGR as
                mmcv reads, (H, W) gray, (H, W, 4) BGRA), a dict with ``img`` or
                ``img_path`` (and optionally ``file_name``), or a list of them.
            batch_size (int): images per forward pass (padded to the largest).
            return_vis (bool): return the pictures.
            show (bool): show each picture in a window.
            wait_time (float): seconds to show it.
            no_save_vis (bool): do not write pictures to ``out_dir``.
            draw_pred (bool): draw the predictions.
            pred_score_thr (float): keep (return, write, draw) the triplets scoring
                above it; 0 keeps the whole top-K.
            return_datasamples (bool): return the model's :class:`PaIRDataSample`
                (all top-K triplets) instead of dicts.
            print_result (bool): print the predictions.
            no_save_pred (bool): do not write the predictions file to ``out_dir``.
            out_dir (str): where the predictions file, masks and pictures go; '' writes
                nothing.
            skip_unreadable (bool): report each bad input (a warning in the log, an
                entry of ``failed``) and go on with the others (the default); False
                raises at the first bad input, once the predictions file holds the images
                before it.
            show_progress (bool, optional): a progress bar over the batches; None takes
                the constructor's setting.

        Returns:
            dict: ``predictions`` (one per input that succeeded, in order),
            ``visualization``, and ``failed``: ``dict(index, file_name, error)`` per
            input skipped (``index``: its position among the inputs).
        """
        visualize_kwargs, postprocess_kwargs = self._dispatch_kwargs(**kwargs)[2:]
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        items = self._inputs_to_list(inputs, check_paths=not skip_unreadable)
        save_pred = bool(out_dir) and not no_save_pred
        if save_pred:
            counts = Counter(item['file_name'] for item in items)
            repeated = sorted(name for name, count in counts.items() if count > 1)
            if repeated:
                raise ValueError(f'the inputs name {repeated} more than once: the '
                                 'predictions file needs unique file names')
        self._file_records = []
        results = dict(predictions=[], visualization=[], failed=[])
        batches = track_progress(
            self.preprocess(items, batch_size),
            total=math.ceil(len(items) / batch_size),
            title='PaIRInferencer',
            enabled=self.show_progress if show_progress is None else show_progress)
        for loaded, data, failed in batches:
            if data is not None:
                preds = self.forward(data)
                visualization = self.visualize(
                    loaded,
                    preds,
                    return_vis=return_vis,
                    show=show,
                    wait_time=wait_time,
                    draw_pred=draw_pred,
                    pred_score_thr=pred_score_thr,
                    no_save_vis=no_save_vis,
                    img_out_dir=out_dir,
                    **visualize_kwargs)
                batch_results = self.postprocess(
                    preds,
                    visualization,
                    return_datasamples=return_datasamples,
                    print_result=print_result,
                    no_save_pred=no_save_pred,
                    pred_out_dir=out_dir,
                    pred_score_thr=pred_score_thr,
                    **postprocess_kwargs)
                results['predictions'].extend(batch_results['predictions'])
                if batch_results['visualization'] is not None:
                    results['visualization'].extend(batch_results['visualization'])
            if failed and not skip_unreadable:
                self._stop_at(failed[0], out_dir if save_pred else '')
            for index, file_name, err in failed:
                print_log(
                    f'PaIRInferencer: skipped {file_name}: {err}',
                    logger='current',
                    level=logging.WARNING)
                results['failed'].append(dict(index=index, file_name=file_name, error=str(err)))
        if save_pred:
            self._write_predictions(out_dir)
        self._log_outputs(out_dir, save_pred, draw=not no_save_vis)
        return results

    def _log_outputs(self, out_dir: str, save_pred: bool, draw: bool) -> None:
        """One log line: what this call wrote where."""
        if not out_dir or not (save_pred or draw):
            return
        out_dir = osp.abspath(out_dir)
        written = []
        if save_pred:
            written.append(f'the predictions of {len(self._file_records)} images in '
                           f'{osp.join(out_dir, PREDICTIONS_FILE)} (contact masks in '
                           f'{osp.join(out_dir, DEFAULT_MASKS_DIR)})')
        if draw:
            written.append(f'pictures in {osp.join(out_dir, VIS_DIR)}')
        print_log(f'PaIRInferencer: wrote {"; ".join(written)}', logger='current')

    def _stop_at(self, failure: tuple, out_dir: str) -> None:
        """Raise the error of a bad input, once ``out_dir``'s predictions file holds the
        images done (when predictions are saved)."""
        err = failure[2]
        note = 'skip_unreadable=True (the default) reports bad inputs and goes on'
        if out_dir:
            self._write_predictions(out_dir)
            note = (f'{osp.join(out_dir, PREDICTIONS_FILE)} holds the '
                    f'{len(self._file_records)} images done; {note}')
        if isinstance(err, PaIRFormatError):
            raise PaIRFormatError(err.file, err.field, f'{err.message} ({note})',
                                  err.image) from None
        raise type(err)(f'{err} ({note})') from None

    def _write_predictions(self, out_dir: str) -> None:
        """``out_dir/predictions.json`` of the images done (written whole, or not at all)."""
        write_predictions_file(osp.join(out_dir, PREDICTIONS_FILE), self._file_records)

    def visualize(self,
                  inputs: List[dict],
                  preds: List[PaIRDataSample],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  draw_pred: bool = True,
                  pred_score_thr: float = PRED_SCORE_THR,
                  no_save_vis: bool = False,
                  img_out_dir: str = '',
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Draw the predictions with ``PaIRVisualizer`` (RGB pictures), written to
        ``img_out_dir/vis/<file_name without extension>.png`` when a folder is given.

        Returns:
            list[np.ndarray] or None: the pictures, when any is drawn.
        """
        if no_save_vis:
            img_out_dir = ''
        if not show and not img_out_dir and not return_vis:
            return None
        visualizer = self._get_visualizer()
        pictures = []
        for item, pred in zip(inputs, preds):
            out_file = (
                osp.join(img_out_dir, prediction_mask_path(item['file_name'], VIS_DIR))
                if img_out_dir else None)
            visualizer.add_datasample(
                item['file_name'],
                item['img'][..., ::-1],
                pred,
                draw_gt=False,
                draw_pred=draw_pred,
                show=show,
                wait_time=wait_time,
                out_file=out_file,
                pred_score_thr=pred_score_thr)
            pictures.append(visualizer.get_image())
        return pictures

    def postprocess(self,
                    preds: List[PaIRDataSample],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    print_result: bool = False,
                    no_save_pred: bool = False,
                    pred_out_dir: str = '',
                    pred_score_thr: float = PRED_SCORE_THR,
                    **kwargs) -> Dict:
        """The predictions-file entries (or the data samples) of a batch, with the
        triplets scoring above ``pred_score_thr``; with ``pred_out_dir`` their contact
        masks are written and their records kept for the predictions file."""
        if no_save_pred:
            pred_out_dir = ''
        entries = [self.pred2dict(pred, pred_out_dir, pred_score_thr) for pred in preds]
        if print_result:
            print(entries)
        return dict(
            predictions=preds if return_datasamples else entries, visualization=visualization)

    def pred2dict(self,
                  data_sample: PaIRDataSample,
                  pred_out_dir: str = '',
                  pred_score_thr: float = PRED_SCORE_THR) -> dict:
        """One image's entry of the predictions file; with ``pred_out_dir`` its contact
        mask is written to ``pred_out_dir/pred_masks/`` and the entry names it.

        Args:
            data_sample (PaIRDataSample): the model's prediction for one image.
            pred_out_dir (str): where its contact mask is written ('' keeps the map).
            pred_score_thr (float): keep the triplets scoring above it (the drawing
                rule, see :class:`PaIRInferencer`); 0 keeps the whole top-K.

        Returns:
            dict: ``file_name``, ``hois`` (descending score; ``[]`` for a contact-only
            model), ``contact_mask`` (the mask's relative path, or the (H, W) uint8 map
            without ``pred_out_dir``; None for an HOI-only model), ``part_scores`` (17
            floats, when the model predicts them).
        """
        columns = None
        if 'pred_hois' in data_sample:
            hois = data_sample.pred_hois
            columns = {
                key: to_numpy(hois.get(key))
                for key in ('subject_bboxes', 'object_bboxes', 'object_labels', 'action_labels',
                            'scores')
            }
            if pred_score_thr > 0 and columns['scores'].ndim == 1:
                keep = columns['scores'] > pred_score_thr  # the rule PaIRVisualizer draws by
                columns = {key: value[keep] for key, value in columns.items()}
        contact = None
        if 'pred_sem_seg' in data_sample:
            contact = to_numpy(data_sample.pred_sem_seg.sem_seg, np.uint8)
            contact = contact.reshape(data_sample.pred_sem_seg.shape)
        part_scores = None
        if 'pred_parts' in data_sample:
            part_scores = to_numpy(data_sample.pred_parts, np.float64).reshape(-1)
        record = dict(
            file_name=data_sample.file_name,
            pred_hois=columns,
            contact_mask=contact,
            part_scores=part_scores)
        if pred_out_dir and contact is None:
            self._file_records.append(record)
        elif pred_out_dir:
            record['contact_mask'] = prediction_mask_path(data_sample.file_name, DEFAULT_MASKS_DIR)
            write_prediction_mask(osp.join(pred_out_dir, record['contact_mask']), contact)
            self._file_records.append(record)
        return prediction_entry(record)


def inference_pair(model: nn.Module,
                   imgs: InputsType) -> Union[PaIRDataSample, List[PaIRDataSample]]:
    """Run a model of :func:`init_model` (or :func:`init_deployed_model`) on one image or a
    list (as mmdet's ``inference_detector``; a thin wrapper of :class:`PaIRInferencer`).

    Args:
        model (nn.Module): the model, with ``model.cfg``.
        imgs: an image file, a uint8 array ((H, W, 3) BGR, (H, W) gray, (H, W, 4) BGRA),
            or a list of them.

    Returns:
        PaIRDataSample or list[PaIRDataSample]: one per image (a list when ``imgs`` is a
        list or tuple) with ``pred_hois`` (boxes in the image's own pixels),
        ``pred_sem_seg`` at the image's size and ``pred_parts``; metainfo ``img_path``
        (None for an array), ``file_name`` and ``ori_shape``.

    Raises:
        PaIRFormatError, FileNotFoundError, ValueError: the first bad input, named (the
            inferencer's ``skip_unreadable=False``).
    """
    is_batch = isinstance(imgs, (list, tuple))
    inferencer = PaIRInferencer(model, show_progress=False)
    predictions = inferencer(
        list(imgs) if is_batch else [imgs], return_datasamples=True,
        skip_unreadable=False)['predictions']
    return predictions if is_batch else predictions[0]
