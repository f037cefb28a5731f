"""Count the parameters of a PaIR-Net config, per component and in total.

    python tools/analysis/count_params.py configs/pairnet_r50_pair1.py
    python tools/analysis/count_params.py configs/pairnet_swin-l_pair1.py --expected 224.2

The model is built without loading or initialising any weight (no checkpoint file is
needed). Parameters are counted whether trainable or frozen, as the paper's "Params".
"""
import argparse
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

#: sub-modules listed under each top-level component, by path (missing ones are skipped:
#: another interaction or contact head is counted as a whole)
PARTS = OrderedDict(
    backbone=(),
    neck=(),
    cpam=('blocks', 'fc'),
    interaction_head=('transformer', 'transformer.input_proj', 'transformer.encoder',
                      'transformer.human_query_embedding', 'transformer.object_query_embedding',
                      'transformer.instance_decoder', 'transformer.action_decoder',
                      'transformer.instance_post_norm', 'transformer.action_post_norm',
                      'human_reg_ffn', 'human_reg', 'object_reg_ffn', 'object_reg', 'object_cls',
                      'action_cls', 'transformer.decoders', 'transformer.relation',
                      'transformer.fusions', 'transformer.human_decoder',
                      'transformer.object_decoder', 'transformer.interaction_decoder',
                      'object_embed', 'action_embed', 'transformer.decoder',
                      'transformer.query_embedding', 'instance_transformer', 'instance_head',
                      'spatial_proj', 'label_embedding', 'pair_fusion', 'proposal_cls',
                      'query_proj', 'memory_proj', 'layout_mapping', 'dependency_mapping',
                      'interaction_decoder'),
    contact_head=('roi_enhancer', 'decoder', 'body_attention', 'conv_seg', 'conv_contact',
                  'conv_part', 'part_attended_convs', 'conv_image', 'conv_restored',
                  'restoration_attn', 'depth_encoder', 'depth_attn', 'cls_convs'),
    mask_guided_feature=('fc', ),
)


def _numel(module: Optional[torch.nn.Module]) -> int:
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters())


def build_model(cfg: Config, device: str = 'meta') -> torch.nn.Module:
    """Build ``cfg.model`` in pair_plugin's scope, without initialising weights.

    On the ``meta`` device no memory is allocated and nothing is computed (fast); a
    backbone whose constructor reads tensor values (e.g. mmdet's Swin, ``.item()`` on its
    drop-path rates) cannot be built there, and is then built on the CPU.
    """
    import pair_plugin.models  # noqa: F401  (registers the components)
    from pair_plugin.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'pair_plugin'))
    if device == 'meta':
        try:
            with torch.device('meta'):
                return MODELS.build(cfg.model)
        except Exception:  # a constructor that needs real tensors
            pass
    return MODELS.build(cfg.model)


def count_params(model: torch.nn.Module) -> Dict[str, int]:
    """Parameter counts: ``total``, each top-level component, and ``component.part``
    (``part`` a path of :data:`PARTS`).

    Args:
        model (nn.Module): a PaIR-Net.

    Returns:
        dict[str, int]: ordered counts. The components add up to ``total``.
    """
    counts = OrderedDict()
    for name, parts in PARTS.items():
        module = getattr(model, name, None)
        if module is None:
            continue
        counts[name] = _numel(module)
        for part in parts:
            try:
                sub = module.get_submodule(part)
            except AttributeError:  # not in this head
                continue
            counts[f'{name}.{part}'] = _numel(sub)
    counts['total'] = _numel(model)
    listed = sum(v for k, v in counts.items() if '.' not in k and k != 'total')
    if listed != counts['total']:
        counts['other'] = counts['total'] - listed
    return counts


def format_counts(counts: Dict[str, int], expected: Optional[float] = None) -> str:
    """A readable table in millions of parameters."""
    lines = [f'{"component":<40}{"params":>14}{"M":>10}']
    for key, value in counts.items():
        if key == 'total':
            continue
        indent = '  ' if '.' in key else ''
        lines.append(f'{indent + key:<40}{value:>14,}{value / 1e6:>10.3f}')
    total = counts['total']
    lines.append(f'{"total":<40}{total:>14,}{total / 1e6:>10.3f}')
    if expected:
        diff = (total / 1e6 - expected) / expected * 100
        lines.append(f'paper: {expected:.1f} M, difference {diff:+.2f} %')
    return '\n'.join(lines)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a PaIR-Net config file')
    parser.add_argument(
        '--expected',
        type=float,
        default=None,
        help="the paper's count in millions, to print the difference")
    parser.add_argument(
        '--device',
        default='meta',
        choices=['meta', 'cpu'],
        help='where to build the model (meta: no memory; falls back to '
        'the CPU for backbones that cannot be built there)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config keys, xxx=yyy')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    counts = count_params(build_model(cfg, args.device))
    print(f'{args.config}')
    print(format_counts(counts, args.expected))


if __name__ == '__main__':
    main()
