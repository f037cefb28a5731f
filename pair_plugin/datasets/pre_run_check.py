"""The check of a run's image and mask files that tools/train.py and tools/test.py make
before the first iteration.

Without it a bad image is met only when the loader reaches it, perhaps hours into
training. The check opens every image and contact mask that the config's PaIR datasets
name (:func:`~pair_plugin.datasets.annotation_checks.check_image_and_mask_files`):
image headers and file ends (empty, cut, non-image files; a size other than the
annotation's width/height), and masks in full (mode, size, values 0..17 and 255). It
lists every problem in one message. ``--skip-data-check`` (or ``skip_data_check = True``
in the config) skips it, e.g. for a very large set already checked with
``tools/data/check_dataset.py``.
"""
import argparse
import os.path as osp
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

from pair_plugin.registry import DATASETS
from pair_plugin.structures import PaIRFormatError
from .annotation_checks import check_image_and_mask_files, default_data_root, load_annotation_file
from .image_files import ORIENTING_FLAGS
from .missing_data import dataset_cfgs
from .pair_dataset import PaIRDataset, image_and_mask_prefixes

#: the config key that turns the check off, as ``--skip-data-check`` does
SKIP_KEY = 'skip_data_check'
#: the problems listed in the message; the rest are counted
MAX_LISTED = 100


def add_data_check_argument(parser: argparse.ArgumentParser) -> None:
    """``--skip-data-check``, for tools/train.py and tools/test.py."""
    parser.add_argument(
        '--skip-data-check',
        action='store_true',
        help='do not open every image and contact mask before the run (for a very '
        f'large set checked already; also `{SKIP_KEY} = True` in the config)')


def _is_pair_dataset(dataset_cfg: dict) -> bool:
    dataset_type = dataset_cfg.get('type')
    if isinstance(dataset_type, str):
        dataset_type = DATASETS.get(dataset_type)
    return isinstance(dataset_type, type) and issubclass(dataset_type, PaIRDataset)


class DatasetFiles(NamedTuple):
    """Where one PaIR dataset of a config finds its files."""
    ann_file: str
    img_prefix: str
    mask_prefix: str
    backend_args: Optional[dict]
    #: whether its image loader turns photos by their EXIF orientation
    apply_orientation: bool


def loader_applies_orientation(pipeline) -> bool:
    """Whether a pipeline's ``LoadImageFromFile`` turns photos by their EXIF
    orientation: mmcv's cv2 and pillow backends do with ``color_type`` ``'color'`` (the
    default) or ``'grayscale'``."""
    for step in pipeline or []:
        step_type = step.get('type') if isinstance(step, dict) else None
        name = step_type if isinstance(step_type, str) else getattr(step_type, '__name__', '')
        if name.split('.')[-1] == 'LoadImageFromFile':
            return (step.get('color_type', 'color') in ORIENTING_FLAGS
                    and step.get('imdecode_backend', 'cv2') in ('cv2', 'pillow'))
    return False


def dataset_files(cfg: Config, dataloaders: Sequence[str]) -> Iterator[DatasetFiles]:
    """The files of each PaIR dataset of the given dataloaders (inside dataset wrappers
    too), resolved as :class:`~pair_plugin.datasets.PaIRDataset` resolves them; each
    once."""
    seen = set()
    for key in dataloaders:
        loader = cfg.get(key)
        if not isinstance(loader, dict):
            continue
        for dataset in dataset_cfgs(loader.get('dataset')):
            ann_file = dataset.get('ann_file')
            if not isinstance(ann_file, str) or not ann_file or not _is_pair_dataset(dataset):
                continue
            data_root = dataset.get('data_root') or ''
            if data_root:
                ann_file = osp.join(data_root, ann_file)
            else:
                data_root = default_data_root(ann_file)
            prefixes = image_and_mask_prefixes(dict(dataset.get('data_prefix') or {}))
            files = DatasetFiles(ann_file, osp.join(data_root, prefixes['img_path']),
                                 osp.join(data_root, prefixes['seg_map_path']),
                                 dataset.get('backend_args'),
                                 loader_applies_orientation(dataset.get('pipeline')))
            if files[:3] not in seen:
                seen.add(files[:3])
                yield files


def check_run_data(cfg: Config,
                   dataloaders: Sequence[str],
                   progress: bool = True) -> Tuple[List[PaIRFormatError], List[str]]:
    """Every problem of the image and mask files of the dataloaders' PaIR datasets.

    Returns:
        tuple: the problems (a file that cannot be parsed is one), and the
        ``tools/data/check_dataset.py`` command of each annotation file with a problem.
    """
    problems, commands = [], []
    for files in dataset_files(cfg, dataloaders):
        try:
            ann = load_annotation_file(files.ann_file, files.backend_args)
        except PaIRFormatError as exc:
            found = [exc]
        else:
            found = check_image_and_mask_files(
                ann,
                files.ann_file,
                files.img_prefix,
                files.mask_prefix,
                progress=progress,
                backend_args=files.backend_args,
                apply_orientation=files.apply_orientation)
        if found:
            problems.extend(found)
            commands.append(f'python tools/data/check_dataset.py {files.ann_file} '
                            f'--img-prefix {files.img_prefix} --mask-prefix {files.mask_prefix}')
    return problems, commands


def check_data_before_run(cfg: Config, dataloaders: Sequence[str], skip: bool = False) -> str:
    """What tools/train.py and tools/test.py say about bad data files before the run.

    Args:
        cfg (Config): the run's config (after ``--cfg-options``).
        dataloaders (Sequence[str]): the dataloaders whose data the run reads, e.g.
            ``('train_dataloader', 'val_dataloader')``.
        skip (bool): ``--skip-data-check``; ``skip_data_check = True`` in the config
            skips too.

    Returns:
        str: the message listing every problem (up to :data:`MAX_LISTED`, then a count),
        or ``''`` when there is none or the check is skipped.
    """
    if skip or cfg.get(SKIP_KEY, False):
        return ''
    problems, commands = check_run_data(cfg, dataloaders)
    if not problems:
        return ''
    lines = [
        f'{len(problems)} problem(s) in the data of {", ".join(dataloaders)}, found '
        'before the run started:'
    ]
    lines += [f'  {problem}' for problem in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f'  ... and {len(problems) - MAX_LISTED} more')
    lines.append('Fix or replace these files (every problem of a file: ' + '; '.join(commands) +
                 f'), or skip this check with --skip-data-check or {SKIP_KEY} = True in the '
                 'config.')
    return '\n'.join(lines)
