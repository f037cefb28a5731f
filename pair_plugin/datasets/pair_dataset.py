"""The PaIR-format dataset: images, interaction pairs and body-part contact masks."""
import copy
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from pair_plugin.registry import DATASETS
from pair_plugin.structures import VOCABULARY_KEYS, PaIRFormatError, with_object_alias
from pair_plugin.structures.format_error import describe_image
from .annotation_checks import (check_annotation_content, check_metainfo, default_data_root,
                                load_annotation_file, raise_first_problem)
from .image_files import read_image_header


def _as_comparable(key, value):
    try:
        if key == 'hoi_categories':
            return [tuple(p) for p in value]
        return list(value)
    except TypeError:  # not a list of names or pairs: compared as it is, checked later
        return value


def image_and_mask_prefixes(data_prefix: dict) -> dict:
    """``data_prefix`` with both of its keys, mmdet's names (``img``, ``seg``) accepted."""
    prefixes = dict(img_path='', seg_map_path='')
    for key, value in data_prefix.items():
        name = dict(img='img_path', seg='seg_map_path').get(key, key)
        if name not in prefixes:
            raise ValueError(f'PaIRDataset: data_prefix.{key} is not one of img_path '
                             '(img), seg_map_path (seg)')
        if name != key and name in data_prefix:
            raise ValueError(f'PaIRDataset: data_prefix gives both {key} and {name}')
        prefixes[name] = value
    return prefixes


def pipeline_error(data_info: dict,
                   step,
                   exc: Exception,
                   backend_args: Optional[dict] = None) -> PaIRFormatError:
    """The error of a transform that failed on an image, naming the image file and its
    entry; the file's own problem when its header or end shows one."""
    path = data_info.get('img_path') or '(image)'
    image = dict(id=data_info.get('img_id'), file_name=data_info.get('file_name'))
    where = f'image ({describe_image(image)})'
    if data_info.get('img_path'):
        try:
            read_image_header(path, backend_args)
        except PaIRFormatError as problem:
            return PaIRFormatError(path, problem.field, f'{problem.message} ({where})')
    name = type(step).__name__ if step is not None else 'the pipeline'
    return PaIRFormatError(path, '(pipeline)', f'{name} failed on {where}: '
                           f'{type(exc).__name__}: {exc}'.strip())


@DATASETS.register_module()
class PaIRDataset(BaseDataset):
    """A PaIR-format annotation file (see ``docs/dataset.md``) as an mmengine dataset.

    Each item, before the pipeline, is a ``data_info`` dict with ``img_id``, ``img_path``,
    ``file_name``, ``height``, ``width``, ``seg_map_path`` (None without a contact
    annotation), ``contact_annotated``, ``instances`` (``bbox`` x1y1x2y2, ``bbox_label``,
    ``ignore_flag``) and ``interactions`` (``subject_id``, ``object_id``, ``action_ids``,
    ``contact_parts``); :meth:`get_data_info` adds ``num_actions`` for the transforms.

    Metainfo: ``objects`` (``person`` first), ``classes`` (= ``objects``, for mmdet
    tools), ``actions`` and ``hoi_categories`` (list of ``(action_id, object_id)``, or
    None when neither the file nor the config lists them: then any combination is
    valid). They come from the file's ``metainfo`` and/or the config's ``metainfo``; a
    key given in both must agree; the result is checked once per load. With
    ``lazy_init=True`` (as mmdet's inferencers build a dataset for its class names) only
    the metainfo is read: the file is parsed, its images are neither checked nor
    parsed until :meth:`full_init`.

    The content of the file is validated when it is loaded (the checks of
    ``tools/data/check_dataset.py``): the first problem raises a
    :class:`~pair_plugin.structures.PaIRFormatError` naming the file and the field.
    Image and mask files are checked when the transforms load them (and by
    ``tools/train.py`` / ``tools/test.py`` before the run); any error of the pipeline
    on an image is raised as a ``PaIRFormatError`` naming the image file and entry
    (:meth:`prepare_data`).

    Args:
        ann_file (str): the annotation JSON, relative to ``data_root`` unless absolute.
        metainfo (dict, optional): ``objects`` (or ``classes``), ``actions``,
            ``hoi_categories``.
        data_root (str): the folder that ``file_name`` and ``contact_mask`` are relative
            to. Defaults to the parent of the annotation file's folder
            (``<root>/annotations/<split>.json``).
        data_prefix (dict): the folders that the images' ``file_name`` and the
            ``contact_mask`` paths are relative to: ``img_path`` (or mmdet's ``img``) and
            ``seg_map_path`` (or ``seg``), each relative to ``data_root`` unless absolute;
            a key left out is ``data_root`` itself.
        filter_cfg (dict, optional): ``filter_empty_interactions=True`` drops images
            without any interaction (training only; the count is logged).
        backend_args (dict, optional): mmengine file backend arguments.
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`'s arguments
            (``pipeline``, ``test_mode``, ``lazy_init``, ``indices``, ...).
    """

    METAINFO: dict = dict()

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: dict = dict(img_path='', seg_map_path=''),
                 filter_cfg: Optional[dict] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs):
        if not ann_file:
            raise ValueError('PaIRDataset needs an ann_file')
        if not data_root:
            ann_file = osp.abspath(ann_file)
            data_root = default_data_root(ann_file)
        self.backend_args = backend_args
        if metainfo is not None:
            metainfo = with_object_alias(metainfo)
        #: the merged and checked metainfo of the file and the config, once read
        self._vocabularies: Optional[dict] = None
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=image_and_mask_prefixes(data_prefix),
            filter_cfg=filter_cfg,
            **kwargs)
        if not self._fully_initialized:  # lazy_init: the names without the images
            ann = load_annotation_file(self.ann_file, self.backend_args)
            self._metainfo = self._read_vocabularies(ann.get('metainfo'))

    def _merge_metainfo(self, file_meta: Optional[dict]) -> dict:
        """Merge the file's metainfo into the config's; conflicting keys raise."""
        merged = copy.deepcopy(self._metainfo)
        if file_meta is None:
            return merged
        file_meta = with_object_alias(file_meta)
        for key in VOCABULARY_KEYS:
            if key not in file_meta or file_meta[key] is None:
                continue
            if key in merged and merged[key] is not None:
                if (_as_comparable(key, merged[key]) != _as_comparable(key, file_meta[key])):
                    raise PaIRFormatError(
                        self.ann_file, f'metainfo.{key}',
                        f'differs from the dataset config\'s metainfo.{key}; '
                        f'give it in one place only, or make them equal')
            else:
                merged[key] = file_meta[key]
        return merged

    def _read_vocabularies(self, file_meta) -> dict:
        """The file's metainfo merged into the config's and checked, once per dataset.

        A problem raises a :class:`PaIRFormatError` naming the annotation file and the
        field (``metainfo.<key>`` when the file gave the key, ``metainfo (dataset
        config).<key>`` or ``metainfo (file and dataset config).<key>`` otherwise).
        """
        if self._vocabularies is not None:
            return self._vocabularies
        if file_meta is not None and not isinstance(file_meta, dict):
            raise_first_problem(check_metainfo(file_meta, self.ann_file))
        merged = self._merge_metainfo(file_meta)
        if 'objects' not in merged or 'actions' not in merged:
            missing = [k for k in ('objects', 'actions') if k not in merged]
            raise PaIRFormatError(
                self.ann_file, 'metainfo',
                f'no {" or ".join(missing)}: give them in the file\'s "metainfo" '
                f'or in the dataset config\'s metainfo')
        given = {k: merged[k] for k in VOCABULARY_KEYS if merged.get(k) is not None}
        file_keys = set(with_object_alias(file_meta or {}))
        from_file = {k for k in given if k in file_keys}
        field = ('metainfo' if from_file == set(given) else 'metainfo (dataset config)'
                 if not from_file else 'metainfo (file and dataset config)')
        raise_first_problem(check_metainfo(given, self.ann_file, field))

        merged = with_object_alias(merged)
        merged['objects'] = merged['classes'] = tuple(merged['objects'])
        merged['actions'] = tuple(merged['actions'])
        hoi = merged.get('hoi_categories')
        merged['hoi_categories'] = (None
                                    if hoi is None else [tuple(int(v) for v in p) for p in hoi])
        self._vocabularies = merged
        return merged

    def load_data_list(self) -> List[dict]:
        """Load, validate and parse the annotation file (its metainfo checked once, by
        :meth:`_read_vocabularies`, and the rest against it)."""
        ann = load_annotation_file(self.ann_file, self.backend_args)
        merged = self._read_vocabularies(ann.get('metainfo'))
        content = {key: value for key, value in ann.items() if key != 'metainfo'}
        raise_first_problem(
            check_annotation_content(content, self.ann_file, merged, metainfo_checked=True))
        self._metainfo = merged
        return [self.parse_data_info(img) for img in ann['images']]

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Turn one validated ``images[i]`` entry into a ``data_info`` dict.

        Args:
            raw_data_info (dict): the entry as it is in the file.

        Returns:
            dict: the keys listed in ``docs/contracts.md``.
        """
        img = raw_data_info
        mask = img['contact_mask']
        instances = [
            dict(
                bbox=[float(v) for v in inst['bbox']],
                bbox_label=int(inst['category_id']),
                ignore_flag=0) for inst in img['instances']
        ]
        interactions = [
            dict(
                subject_id=int(inter['subject_id']),
                object_id=int(inter['object_id']),
                action_ids=[int(a) for a in inter['action_ids']],
                contact_parts=[int(p) for p in inter['contact_parts']])
            for inter in img['interactions']
        ]
        return dict(
            img_id=img['id'],
            img_path=osp.join(self.data_prefix['img_path'], img['file_name']),
            file_name=img['file_name'],
            height=img['height'],
            width=img['width'],
            seg_map_path=(None
                          if mask is None else osp.join(self.data_prefix['seg_map_path'], mask)),
            contact_annotated=mask is not None,
            instances=instances,
            interactions=interactions)

    def filter_data(self) -> List[dict]:
        """Drop images without interactions when ``filter_empty_interactions`` is set.

        Never filters in ``test_mode``; logs how many images were dropped.
        """
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        unknown = set(self.filter_cfg) - {'filter_empty_interactions'}
        if unknown:
            raise ValueError(f'PaIRDataset: unknown filter_cfg keys {sorted(unknown)} '
                             f'(supported: filter_empty_interactions)')
        if not self.filter_cfg.get('filter_empty_interactions', False):
            return self.data_list
        kept = [info for info in self.data_list if info['interactions']]
        dropped = len(self.data_list) - len(kept)
        if dropped:
            print_log(
                f'PaIRDataset: filter_empty_interactions dropped {dropped} of '
                f'{len(self.data_list)} images of {self.ann_file} (no interaction)',
                logger='current')
        return kept

    def prepare_data(self, idx: int):
        """The pipeline's output for image ``idx``; an error of the pipeline names the
        image.

        A transform that fails on a file (mmcv's ``LoadImageFromFile`` on an empty file
        raises a bare ``cv2.error``) is reported as a :class:`PaIRFormatError` naming
        the image file, its ``id`` and ``file_name``, with the reason the file's header
        gives (:func:`~pair_plugin.datasets.image_files.read_image_header`), else the
        transform and its error. Errors that name their file already pass unchanged.
        """
        data_info = info = self.get_data_info(idx)
        step = None
        try:
            for step in self.pipeline.transforms:
                data_info = step(data_info)
                if data_info is None:
                    return None
            return data_info
        except PaIRFormatError:
            raise
        except Exception as exc:
            error = pipeline_error(info, step, exc, self.backend_args)
            if error.field == '(pipeline)':
                raise error from exc
            raise error from None  # the file's own problem says it all

    def get_data_info(self, idx: int) -> dict:
        """The ``data_info`` of one image, with ``num_actions`` for the transforms."""
        info = super().get_data_info(idx)
        info['num_actions'] = len(self._metainfo['actions'])
        return info

    def get_cat_ids(self, idx: int) -> Sequence[int]:
        """The object category ids of one image's instances (for class-aware samplers)."""
        return [inst['bbox_label'] for inst in self.get_data_info(idx)['instances']]
