"""Convert an mmdet DETR checkpoint into PaIR-Net initial weights (the paper's IIM init).

    python tools/model_converters/detr_to_pairnet.py \\
        checkpoints/detr_r50_8xb2-150e_coco.pth checkpoints/pairnet_r50_init_from_detr.pth
    python tools/train.py configs/pairnet_r50_pair1.py \\
        --cfg-options load_from=checkpoints/pairnet_r50_init_from_detr.pth

mmdet's DETR (``configs/detr/detr_r50_8xb2-150e_coco.py``) keeps its input projection in a
``ChannelMapper`` neck; PaIR-Net keeps it in the IIM, the transformer of its interaction head
(``interaction_head.transformer``, written ``T`` below). Keys moved:

- ``backbone.*`` → ``backbone.*`` (unless ``--no-backbone``);
- ``neck.convs.0.conv.{weight,bias}`` → ``T.input_proj.{weight,bias}``;
- ``encoder.layers.*`` → ``T.encoder.layers.*`` (both are mmdet's
  ``DetrTransformerEncoder``);
- with ``--with-decoder`` (GEN-VLKT's initialisation of its decoders from DETR's):
  DETR decoder layer ``i`` → ``T.instance_decoder.i`` and ``T.action_decoder.i`` for
  every PaIR-Net stage ``i``, and ``decoder.post_norm`` → both post-norms.

DETR's object queries and detection head have no counterpart and are dropped. The output is
an mmengine checkpoint (``state_dict`` + ``meta``); load it with ``load_from`` (mmengine
loads it non-strictly and logs the keys that stay at their initial values).
"""
import argparse
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Tuple

import torch

#: PaIR-Net's prefix of the IIM (the interaction head's transformer)
IIM_PREFIX = 'interaction_head.transformer.'
#: (DETR key pattern, PaIR-Net replacement) for the default conversion
ENCODER_RULES = (
    (r'^neck\.convs\.0\.conv\.(weight|bias)$', IIM_PREFIX + r'input_proj.\1'),
    (r'^encoder\.layers\.(.+)$', IIM_PREFIX + r'encoder.layers.\1'),
)


def _state_dict(checkpoint, src: str) -> Dict[str, torch.Tensor]:
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError(f'{src}: state_dict: not a dict of tensors (an mmdet DETR '
                         'checkpoint holds one under "state_dict")')
    return checkpoint


def convert(src_state: Dict[str, torch.Tensor],
            src: str = '<state_dict>',
            with_backbone: bool = True,
            with_decoder: bool = False,
            num_stages: int = 3) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Map a DETR state dict onto PaIR-Net keys.

    Args:
        src_state (dict): DETR's state dict.
        src (str): the file it came from, for error messages.
        with_backbone (bool): copy ``backbone.*``. Defaults to True.
        with_decoder (bool): initialise the instance and action decoder layers from
            DETR's first ``num_stages`` decoder layers. Defaults to False.
        num_stages (int): PaIR-Net's decoder stages. Defaults to 3.

    Returns:
        tuple[dict, dict]: the PaIR-Net state dict and, per new key, its DETR key.

    Raises:
        ValueError: ``src_state`` lacks DETR's input projection or encoder (the message
            names the file and the key).
    """
    for required in ('neck.convs.0.conv.weight', 'encoder.layers.0.norms.0.weight'):
        if required not in src_state:
            raise ValueError(f'{src}: state_dict: no {required!r}; expected an mmdet 3.x '
                             'DETR checkpoint (ChannelMapper neck + DetrTransformerEncoder)')
    rules = list(ENCODER_RULES)
    if with_backbone:
        rules.append((r'^(backbone\..+)$', r'\1'))
    out, origin = OrderedDict(), OrderedDict()
    for key, value in src_state.items():
        for pattern, repl in rules:
            if re.match(pattern, key):
                new_key = re.sub(pattern, repl, key)
                out[new_key] = value.clone()
                origin[new_key] = key
                break
    if with_decoder:
        num_detr_layers = len(
            {k.split('.')[2]
             for k in src_state if k.startswith('decoder.layers.')})
        if num_detr_layers < num_stages:
            raise ValueError(f'{src}: state_dict: DETR has {num_detr_layers} decoder '
                             f'layers, fewer than the {num_stages} PaIR-Net stages')
        for key, value in src_state.items():
            match = re.match(r'^decoder\.layers\.(\d+)\.(.+)$', key)
            if match and int(match.group(1)) < num_stages:
                for decoder in ('instance_decoder', 'action_decoder'):
                    new_key = f'{IIM_PREFIX}{decoder}.{match.group(1)}.{match.group(2)}'
                    out[new_key] = value.clone()
                    origin[new_key] = key
            match = re.match(r'^decoder\.post_norm\.(weight|bias)$', key)
            if match:
                for norm in ('instance_post_norm', 'action_post_norm'):
                    out[f'{IIM_PREFIX}{norm}.{match.group(1)}'] = value.clone()
                    origin[f'{IIM_PREFIX}{norm}.{match.group(1)}'] = key
    return out, origin


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='mmdet DETR checkpoint (local file)')
    parser.add_argument('dst', help='output PaIR-Net checkpoint')
    parser.add_argument('--no-backbone', action='store_true', help="do not copy DETR's backbone")
    parser.add_argument(
        '--with-decoder',
        action='store_true',
        help="also initialise the instance and action decoder layers "
        "from DETR's decoder layers")
    parser.add_argument(
        '--num-stages', type=int, default=3, help="PaIR-Net's decoder stages (default 3)")
    return parser.parse_args()


def main():
    args = parse_args()
    from pair_plugin.engine import load_checkpoint_file
    state = _state_dict(load_checkpoint_file(args.src, map_location='cpu'), args.src)
    out, origin = convert(
        state,
        args.src,
        with_backbone=not args.no_backbone,
        with_decoder=args.with_decoder,
        num_stages=args.num_stages)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(
        dict(
            state_dict=out,
            meta=dict(
                converted_from=osp.basename(args.src),
                converter='tools/model_converters/detr_to_pairnet.py')), args.dst)
    groups = OrderedDict()
    for key in out:
        group = '.'.join(key.split('.')[:3]) if key.startswith(IIM_PREFIX) else 'backbone'
        groups[group] = groups.get(group, 0) + 1
    print(f'{args.src} -> {args.dst}: {len(out)} tensors')
    for group, count in groups.items():
        print(f'  {group}: {count}')


if __name__ == '__main__':
    main()
