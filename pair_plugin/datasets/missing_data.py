"""What tools/train.py and tools/test.py say when a config's annotation files are absent.

The paper's data (PaIR-1, PaIR-2) is not public, so this is what a user who starts with a
paper config meets first: the tools check the files before anything is built and stop
with the ways forward instead of a traceback from inside the dataset.
"""
import os.path as osp
from typing import Iterator, List, Sequence, Tuple

from mmengine.config import Config

#: the ways to data, for the message of :func:`missing_data_message`
WAYS_FORWARD = """\
The PaIR dataset of the paper (PaIR-1, PaIR-2) is not public. Three ways forward:
  1. convert HICO-DET or V-COCO, with HOT's contact masks, to the PaIR format:
     tools/dataset_converters/hico_det_to_pair.py, vcoco_to_pair.py
  2. train the synthetic config: tools/data/generate_synthetic.py --out data/synthetic,
     then tools/train.py configs/pairnet_r18_synthetic.py
  3. bring your own data in the PaIR format and point the config at it
     (--cfg-options train_dataloader.dataset.data_root=... ...)
The format, the converters and the config lines: docs/dataset.md"""


def dataset_cfgs(dataset_cfg) -> Iterator[dict]:
    """The dataset configs inside wrappers (``dataset`` / ``datasets`` keys)."""
    if not isinstance(dataset_cfg, dict):
        return
    yield dataset_cfg
    yield from dataset_cfgs(dataset_cfg.get('dataset'))
    for inner in dataset_cfg.get('datasets') or []:
        yield from dataset_cfgs(inner)


def missing_annotation_files(cfg: Config, dataloaders: Sequence[str]) -> List[Tuple[str, str]]:
    """The local annotation files that the given dataloaders' datasets name but that
    do not exist.

    ``ann_file`` is resolved as mmengine's ``BaseDataset`` does (joined to
    ``data_root`` unless absolute); remote paths (``s3://...``) are not checked.

    Args:
        cfg (Config): the run's config, after ``--cfg-options``.
        dataloaders (Sequence[str]): config keys, e.g. ``('train_dataloader',
            'val_dataloader')``; absent or None ones are skipped.

    Returns:
        list[tuple[str, str]]: ``(dataloader, path)`` of each missing file.
    """
    missing = []
    for key in dataloaders:
        loader = cfg.get(key)
        if not isinstance(loader, dict):
            continue
        for dataset in dataset_cfgs(loader.get('dataset')):
            ann_file = dataset.get('ann_file')
            if not isinstance(ann_file, str) or not ann_file:
                continue
            data_root = dataset.get('data_root') or ''
            path = (
                ann_file if osp.isabs(ann_file) or '://' in ann_file else osp.join(
                    data_root, ann_file))
            if '://' not in path and not osp.isfile(path):
                missing.append((key, path))
    return missing


def missing_data_message(missing: Sequence[Tuple[str, str]], config: str) -> str:
    """The message that names the missing files and the ways forward."""
    lines = [
        f'{config}: no annotation file {path} ({key}.dataset.ann_file)' for key, path in missing
    ]
    return '\n'.join(lines + [WAYS_FORWARD])
