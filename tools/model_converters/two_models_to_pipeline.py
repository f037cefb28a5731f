"""Join the checkpoints of the two halves of a two-model pipeline into one checkpoint.

    python tools/model_converters/two_models_to_pipeline.py \\
        configs/two_model/distrans+unet_r50_pair1.py \\
        work_dirs/distrans/epoch_90.pth work_dirs/unet/epoch_90.pth work_dirs/distrans+unet.pth
    python tools/test.py configs/two_model/distrans+unet_r50_pair1.py work_dirs/distrans+unet.pth

Each half of ``TwoModelPipeline`` trains with its own config into its own checkpoint;
``tools/test.py`` and ``mim test`` take one checkpoint. This tool builds the pipeline of the
config with the HOI detector's and the contact segmenter's checkpoints (every key must fit
its half, so a checkpoint of another model is refused here, naming it) and writes the
pipeline's weights (``hoi_detector.*``, ``contact_segmenter.*``) with the dataset's
vocabularies of the HOI checkpoint (``meta.dataset_meta``), atomically, with a sha256
sidecar. A PIHOT half's frozen networks are never in a checkpoint: give them with
``--cfg-options`` as for testing (configs/two_model/distrans+pihot_r50_pair1.py).
"""
import argparse
import io
import os.path as osp
import sys

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Join the checkpoints of the two halves of a two-model pipeline')
    parser.add_argument('config', help='the pipeline config (model.type=TwoModelPipeline)')
    parser.add_argument('hoi_checkpoint', help="the HOI detector's checkpoint")
    parser.add_argument('contact_checkpoint', help="the contact segmenter's checkpoint")
    parser.add_argument('out', help='the pipeline checkpoint to write')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys, xxx=yyy')
    return parser.parse_args(argv)


def dataset_meta(checkpoint: str, key: str):
    """``meta.dataset_meta`` of a checkpoint (what the training runner saved), or None."""
    from pair_plugin.engine import load_checkpoint_file
    meta = load_checkpoint_file(checkpoint, map_location='cpu').get('meta') or {}
    names = meta.get('dataset_meta')
    if names is not None and not isinstance(names, dict):
        raise ValueError(f'{checkpoint} ({key}): meta.dataset_meta is not a dict')
    return names


def join(config: Config, hoi_checkpoint: str, contact_checkpoint: str) -> dict:
    """The pipeline checkpoint: ``state_dict`` and ``meta`` (``dataset_meta``, the sources).

    Raises:
        ValueError: the config is not a pipeline's, a checkpoint does not fit its half, or
            the two checkpoints were trained on different vocabularies (objects, actions).
        FileNotFoundError: a config or checkpoint is missing.
    """
    import pair_plugin.models  # noqa: F401  (registers the components)
    from pair_plugin.registry import MODELS
    if config.model.get('type') != 'TwoModelPipeline':
        raise ValueError(f'{config.filename}: model.type is {config.model.get("type")!r}, '
                         "not 'TwoModelPipeline'")
    config.model.hoi_detector.checkpoint = hoi_checkpoint
    config.model.contact_segmenter.checkpoint = contact_checkpoint
    init_default_scope(config.get('default_scope', 'pair_plugin'))
    model = MODELS.build(config.model)
    hoi_meta = dataset_meta(hoi_checkpoint, 'model.hoi_detector')
    contact_meta = dataset_meta(contact_checkpoint, 'model.contact_segmenter')
    if hoi_meta and contact_meta:
        for name in ('objects', 'actions'):
            if name in hoi_meta and name in contact_meta and list(hoi_meta[name]) != list(
                    contact_meta[name]):
                raise ValueError(f'dataset_meta.{name} differs between {hoi_checkpoint} and '
                                 f'{contact_checkpoint}: the two models were trained on '
                                 'different data')
    meta = dict(
        converter='tools/model_converters/two_models_to_pipeline.py',
        two_model=dict(
            hoi_detector=dict(config=model.hoi_detector.cfg.filename, checkpoint=hoi_checkpoint),
            contact_segmenter=dict(
                config=model.contact_segmenter.cfg.filename, checkpoint=contact_checkpoint)))
    if hoi_meta or contact_meta:
        meta['dataset_meta'] = hoi_meta or contact_meta
    state_dict = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    return dict(meta=meta, state_dict=state_dict)


def main(argv=None):
    args = parse_args(argv)
    from pair_plugin.engine.checkpoint_integrity import write_checkpoint_file
    config = Config.fromfile(args.config)
    if args.cfg_options:
        config.merge_from_dict(args.cfg_options)
    try:
        checkpoint = join(config, args.hoi_checkpoint, args.contact_checkpoint)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        sys.exit(f'two_models_to_pipeline.py: {err}')
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    write_checkpoint_file(buffer.getvalue(), args.out)
    print(f'{osp.basename(args.hoi_checkpoint)} + {osp.basename(args.contact_checkpoint)} -> '
          f'{args.out}: {len(checkpoint["state_dict"])} tensors')


if __name__ == '__main__':
    main()
