"""An optimiser-wrapper constructor that gives parameters with the same settings one group."""
from typing import List

from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from pair_plugin.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GroupedOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with one parameter group per distinct setting.

    With a ``paramwise_cfg``, mmengine's :class:`DefaultOptimWrapperConstructor` makes one
    parameter group per parameter (247 for the small PaIR-Net), and the optimiser steps
    each group on its own: a fused or ``foreach`` AdamW then launches one kernel per
    parameter, and its Python loop over the groups costs more than the arithmetic on a
    small model. This constructor applies the same ``paramwise_cfg`` (same learning rate,
    weight decay, ... for every parameter), then merges the groups whose settings are
    equal, in the order of their first parameter. The update of every parameter is the
    same as with the default constructor; only the grouping differs, so an optimiser state
    saved by one constructor does not resume under the other.

    Use it in a config with ``optim_wrapper = dict(constructor=
    'GroupedOptimWrapperConstructor', ...)``; parameter schedulers see the merged groups,
    each with its own ``lr`` and ``initial_lr``.
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   **kwargs) -> None:
        """Add the groups of ``module`` to ``params``, as the default constructor, merged.

        Args:
            params (list[dict]): the groups; extended in place.
            module (nn.Module): the module whose parameters are added.
            prefix (str): the module's name prefix (the default constructor recurses with
                it; merging happens once, at the top).
        """
        if prefix:
            super().add_params(params, module, prefix, **kwargs)
            return
        per_parameter: List[dict] = []
        super().add_params(per_parameter, module, prefix, **kwargs)
        params.extend(merge_param_groups(per_parameter))


def merge_param_groups(groups: List[dict]) -> List[dict]:
    """Merge parameter groups whose settings (every key but ``params``) are equal.

    Args:
        groups (list[dict]): optimiser parameter groups, each with a ``params`` list.

    Returns:
        list[dict]: one group per distinct setting, in the order of first appearance;
        each group's parameters in their original order.
    """
    merged: dict = {}
    for group in groups:
        settings = {k: v for k, v in group.items() if k != 'params'}
        key = tuple(sorted((k, repr(v)) for k, v in settings.items()))
        if key not in merged:
            merged[key] = dict(settings, params=[])
        merged[key]['params'].extend(group['params'])
    return list(merged.values())
