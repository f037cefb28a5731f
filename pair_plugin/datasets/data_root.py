"""Point a config at another copy of a PaIR-format data root."""
import copy

from mmengine.config import Config


def config_with_data_root(cfg: Config, data_root: str) -> Config:
    """A copy of ``cfg`` whose datasets and evaluators read ``data_root``.

    Every dataloader's ``dataset.data_root`` becomes ``data_root``, and every evaluator
    with a ``train_ann_file`` reads ``<data_root>/annotations/train.json`` (the layout the
    converters and the synthetic generator write).
    """
    cfg = copy.deepcopy(cfg)
    root = data_root.rstrip('/') + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader):
            cfg[loader].dataset.data_root = root
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key)
        for evaluator in evaluators if isinstance(evaluators, list) else [evaluators]:
            if evaluator and 'train_ann_file' in evaluator:
                evaluator['train_ann_file'] = root + 'annotations/train.json'
    return cfg
