"""The paper's two-model rows as one model: a standalone HOI detector and a standalone
contact segmenter, each built from its own config, run on the same images."""
import glob
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint
from torch import Tensor

from pair_plugin.registry import MODELS

#: the folder that holds ``pair_plugin/`` (the repository root in a checkout)
PACKAGE_PARENT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: where a built package keeps its configs, as mim looks for them (setup.py copies them)
MIM_ROOT = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), '.mim')

#: the halves, by their config key, with what each must predict
HALVES = (('hoi_detector', 'pred_hois'), ('contact_segmenter', 'pred_sem_seg'))


def find_config(path: str, key: str = 'config') -> str:
    """The config file that ``path`` names, found as mim finds configs.

    An absolute path is taken as it is. A relative one is looked up in the working
    directory, then in the folder that holds ``pair_plugin`` (the repository root of a
    checkout: ``configs/two_model/unet_r50_pair1.py`` works from any directory), then in
    the installed package's ``pair_plugin/.mim`` (where ``mim`` finds configs); if none has
    it, a file of the same name anywhere under those ``configs`` folders (as ``mim train``
    does), if exactly one.

    Args:
        path (str): the config file.
        key (str): the config key that named it, for the error message.

    Returns:
        str: the absolute path of an existing file.

    Raises:
        FileNotFoundError: no such file, or several of that name; the message names the
            key and every place looked in.
    """
    path = osp.expanduser(str(path))
    if osp.isabs(path):
        if osp.isfile(path):
            return path
        raise FileNotFoundError(f'{key}: config file not found: {path}')
    roots = [osp.abspath('.'), PACKAGE_PARENT, MIM_ROOT]
    for root in roots:
        candidate = osp.join(root, path)
        if osp.isfile(candidate):
            return osp.abspath(candidate)
    matches = sorted({
        osp.realpath(found)
        for root in roots[1:]
        for found in glob.glob(osp.join(root, 'configs', '**', osp.basename(path)), recursive=True)
    })
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise FileNotFoundError(f'{key}: {path} is not a file and several configs have its '
                                f'name: {", ".join(matches)}; give the path')
    raise FileNotFoundError(f'{key}: config file not found: {path} (looked in '
                            f'{", ".join(roots)} and their configs/ folders)')


def half_config(spec: dict, key: str) -> Config:
    """The config of one half: ``spec['config']`` read, ``spec['cfg_options']`` merged in.

    Args:
        spec (dict): ``config`` (a config file, see :func:`find_config`), optional
            ``checkpoint`` and ``cfg_options`` (a dict merged into that config as
            ``--cfg-options`` would be, e.g. ``dict(model=dict(backbone=dict(
            depth_estimator=dict(checkpoint='zoedepth.pt'))))``).
        key (str): the half's config key (``model.hoi_detector``), for messages.

    Returns:
        Config: the half's whole config (its ``model`` is what is built).

    Raises:
        ValueError: ``spec`` is not a dict with a ``config``, or has other keys.
        FileNotFoundError: the config file is not found.
    """
    if not isinstance(spec, dict) or not spec.get('config'):
        raise ValueError(f"{key}: give the half's config file, e.g. "
                         f"{key.split('.')[-1]}=dict(config='configs/two_model/"
                         f"unet_r50_pair1.py', checkpoint=None); got {spec!r}")
    unknown = set(spec) - {'config', 'checkpoint', 'cfg_options'}
    if unknown:
        raise ValueError(f'{key}: unknown keys {sorted(unknown)} (known: config, checkpoint, '
                         'cfg_options)')
    cfg = Config.fromfile(find_config(spec['config'], f'{key}.config'))
    if spec.get('cfg_options'):
        cfg.merge_from_dict(dict(spec['cfg_options']))
    if 'model' not in cfg:
        raise ValueError(f'{key}.config: {cfg.filename} has no model')
    return cfg


def build_half(spec: dict, key: str) -> BaseModel:
    """One half, built from its config and loaded from ``spec['checkpoint']`` if given.

    Args:
        spec (dict): see :func:`half_config`.
        key (str): the half's config key, for messages.

    Returns:
        BaseModel: the model, with ``cfg`` (its config) and ``checkpoint_file`` (the file
        its weights came from, or None).

    Raises:
        FileNotFoundError: the config or the checkpoint is not found.
        ValueError: the checkpoint does not hold this model's weights (every key must
            match); an error of the half's own build, prefixed with ``key``.
        CheckpointIntegrityError: the checkpoint is damaged (it names the file).
    """
    cfg = half_config(spec, key)
    try:
        model = MODELS.build(cfg.model)
    except (ValueError, FileNotFoundError, KeyError, TypeError) as err:
        raise type(err)(f'{key} ({cfg.filename}): {err} (keys of that config are set '
                        f'through {key}.cfg_options)') from err
    model.cfg = cfg
    model.checkpoint_file = spec.get('checkpoint')
    if model.checkpoint_file:
        checkpoint = osp.expanduser(str(model.checkpoint_file))
        if '://' not in checkpoint and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'{key}.checkpoint: checkpoint file not found: {checkpoint}')
        try:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
        except RuntimeError as err:
            if 'source state_dict' not in str(err):  # damaged, NaN: the error names the file
                raise
            raise ValueError(f'{key}.checkpoint: {checkpoint} does not hold the weights of '
                             f'the model of {cfg.filename}: {err}') from err
    return model


@MODELS.register_module()
class TwoModelPipeline(BaseModel):
    """A standalone HOI detector and a standalone contact segmenter run one after the
    other on the same images: the paper's two-model rows (Tables 1-2, "DisTrans + UNet")
    as one model, so that ``tools/test.py`` / ``mim test``, :class:`PaIRInferencer`, the
    predictions file and every metric take it as they take PaIR-Net.

    Each half is built from its own config file (its ``model``) and loaded from its own
    checkpoint when one is given; parameters and FLOPs are the sums of the halves'. The
    images come through one test pipeline (the pipeline config's dataset, as the paper
    runs both models on the same image); each half keeps its own data preprocessor
    (normalisation and padding), so this model's own preprocessor only moves the batch
    to the device, and each half prepares its copy of the batch before its forward.

    Predictions: per image, one :class:`PaIRDataSample` with ``pred_hois`` from the HOI
    detector and ``pred_sem_seg`` and ``pred_parts`` from the contact segmenter.

    Training stays per model (each half has its own config, losses and schedule):
    :meth:`loss` refuses with the commands to use. Weights: ``hoi_detector.checkpoint``
    and ``contact_segmenter.checkpoint`` (loaded at build, strictly), or one checkpoint
    of this model (``hoi_detector.*`` and ``contact_segmenter.*`` keys) that
    ``tools/model_converters/two_models_to_pipeline.py`` writes from the two.

    Args:
        hoi_detector (dict): ``config`` (a config file whose model predicts
            ``pred_hois``, e.g. ``'configs/two_model/distrans_r50_pair1.py'``; relative
            paths as :func:`find_config` finds them), optional ``checkpoint`` and
            ``cfg_options`` (merged into that config, e.g. a PIHOT half's frozen networks).
        contact_segmenter (dict): the same for a model that predicts ``pred_sem_seg``
            (e.g. ``'configs/two_model/unet_r50_pair1.py'``).
        init_cfg (dict, optional): unused; each half's own ``init_cfg`` applies, except
            for a half loaded from a checkpoint.

    Raises:
        ValueError, FileNotFoundError: a half's config or checkpoint is missing or does
            not fit (the message names the key, e.g. ``model.hoi_detector.checkpoint``).
    """

    def __init__(self,
                 hoi_detector: dict,
                 contact_segmenter: dict,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        self.hoi_detector = build_half(hoi_detector, 'model.hoi_detector')
        self.contact_segmenter = build_half(contact_segmenter, 'model.contact_segmenter')

    def init_weights(self) -> None:
        """Each half's own initialisation, except for a half loaded from a checkpoint."""
        for name, _ in HALVES:
            half = getattr(self, name)
            if not half.checkpoint_file:
                half.init_weights()

    def half_inputs(self, name: str, inputs: Union[Tensor, List[Tensor]],
                    data_samples: Optional[Sequence]) -> Tuple[Tensor, Optional[list]]:
        """The batch as the half ``name`` takes it: its own data preprocessor (test mode)
        on the images, with its own copy of the data samples' metainfo for the contact
        segmenter (the HOI detector gets the samples themselves, ground truth included).

        Args:
            name (str): ``'hoi_detector'`` or ``'contact_segmenter'``.
            inputs (list[Tensor] | Tensor): (3, H, W) uint8 images as the test pipeline
                packs them, or a (B, 3, H, W) batch of them.
            data_samples (list[PaIRDataSample], optional): one per image.

        Returns:
            tuple: the half's (B, 3, H', W') inputs (normalised, padded) and data samples.
        """
        if data_samples is not None and name != 'hoi_detector':
            data_samples = [type(sample)(metainfo=sample.metainfo) for sample in data_samples]
        data = getattr(self, name).data_preprocessor(
            dict(inputs=inputs, data_samples=data_samples), False)
        return data['inputs'], data['data_samples']

    def forward(self,
                inputs: Union[Tensor, List[Tensor]],
                data_samples: Optional[Sequence] = None,
                mode: str = 'tensor'):
        """``predict``, ``tensor`` or (refused) ``loss`` on a batch that this model's
        preprocessor has moved to the device (see :meth:`half_inputs`)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f"TwoModelPipeline: mode must be 'predict', 'tensor' or 'loss', "
                         f'got {mode!r}')

    def loss(self, inputs, data_samples) -> Dict[str, Tensor]:
        """Refused: the two models train separately, each with its own config."""
        raise RuntimeError(
            'TwoModelPipeline does not train: each model trains with its own config '
            f'({self.hoi_detector.cfg.filename} and {self.contact_segmenter.cfg.filename}, '
            'e.g. python tools/train.py <config>); then test the pipeline with both '
            'checkpoints (model.hoi_detector.checkpoint, model.contact_segmenter.checkpoint, '
            'or one file from tools/model_converters/two_models_to_pipeline.py): '
            'docs/model.md, "Comparison systems"')

    def predict(self,
                inputs: Union[Tensor, List[Tensor]],
                data_samples: Sequence,
                rescale: bool = True) -> Sequence:
        """The triplets of the HOI detector and the contact map and part scores of the
        contact segmenter, per image.

        Args:
            inputs (list[Tensor] | Tensor): the images (see :meth:`half_inputs`).
            data_samples (list[PaIRDataSample]): ``img_shape``, ``ori_shape``,
                ``scale_factor`` (as the test pipeline packs them).
            rescale (bool): boxes and maps at the original image size.

        Returns:
            list[PaIRDataSample]: ``data_samples`` with ``pred_hois`` (see
            :meth:`BaseInteractionHead.predict_by_feat`), ``pred_sem_seg.sem_seg``
            (1, H0, W0) uint8 (0 none, 1..17 part) and ``pred_parts`` (17,) float32.

        Raises:
            ValueError: a half does not predict what it stands for (an HOI detector
                without ``pred_hois``, a contact segmenter without ``pred_sem_seg``).
        """
        results = {}
        for name, field in HALVES:
            half = getattr(self, name)
            half_inputs, half_samples = self.half_inputs(name, inputs, data_samples)
            results[name] = half.predict(half_inputs, half_samples, rescale=rescale)
            if not all(hasattr(sample, field) for sample in results[name]):
                raise ValueError(f'TwoModelPipeline: model.{name} ({half.cfg.filename}, '
                                 f'{type(half).__name__}) predicts no {field}')
        outputs = results['hoi_detector']
        for sample, contact in zip(outputs, results['contact_segmenter']):
            sample.pred_sem_seg = contact.pred_sem_seg
            if hasattr(contact, 'pred_parts'):
                sample.pred_parts = contact.pred_parts
        return outputs

    def _forward(self,
                 inputs: Union[Tensor, List[Tensor]],
                 data_samples: Optional[Sequence] = None) -> Tuple[Tensor, ...]:
        """Raw outputs (tensor mode): the HOI detector's, then the contact segmenter's."""
        outs = ()
        for name, _ in HALVES:
            half_inputs, half_samples = self.half_inputs(name, inputs, data_samples)
            half_outs = getattr(self, name)._forward(half_inputs, half_samples)
            outs += tuple(half_outs) if isinstance(half_outs, (tuple, list)) else (half_outs, )
        return outs

    def extra_repr(self) -> str:
        return ', '.join(f'{name}={getattr(self, name).cfg.filename}' for name, _ in HALVES)
