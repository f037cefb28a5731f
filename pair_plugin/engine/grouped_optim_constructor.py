"""An optimiser-wrapper constructor that gives parameters with the same settings one group."""
import logging
from typing import List

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from pair_plugin.registry import OPTIM_WRAPPER_CONSTRUCTORS


class _ParamwiseLinesToDebug(logging.Filter):
    """Re-logs mmengine's per-parameter ``paramwise_options`` lines at DEBUG."""

    def __init__(self, logger: logging.Logger):
        super().__init__()
        self.logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and str(record.msg).startswith('paramwise_options'):
            self.logger.debug(record.msg)
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GroupedOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with one parameter group per distinct setting.

    With a ``paramwise_cfg``, mmengine's :class:`DefaultOptimWrapperConstructor` makes one
    parameter group per parameter and logs one line per parameter. This constructor applies
    the same ``paramwise_cfg`` (the same learning rate, weight decay, ... for every
    parameter), then merges the groups whose settings are equal, in the order of their
    first parameter, and logs one line per merged group (the per-parameter lines go to
    DEBUG). Every parameter's update is the same as with the default constructor, and
    torch's ``foreach``/``fused`` optimisers then step each group's parameters together.
    Only the grouping differs, so an optimiser state saved by one constructor does not
    resume under the other.

    Use it in a config with ``optim_wrapper = dict(constructor=
    'GroupedOptimWrapperConstructor', ...)``; parameter schedulers see the merged groups,
    each with its own ``lr`` and ``initial_lr``.
    """

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
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
        logger = MMLogger.get_current_instance()
        to_debug = _ParamwiseLinesToDebug(logger)
        logger.addFilter(to_debug)
        try:
            super().add_params(per_parameter, module, prefix, **kwargs)
        finally:
            logger.removeFilter(to_debug)
        groups = merge_param_groups(per_parameter)
        for index, group in enumerate(groups):
            settings = [
                f'{key}={group.get(key, default)}'
                for key, default in (('lr', self.base_lr), ('weight_decay', self.base_wd))
                if default is not None or key in group
            ]
            print_log(
                f'optimizer group {index}: {len(group["params"])} parameters, ' +
                ', '.join(settings),
                logger='current')
        params.extend(groups)


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
