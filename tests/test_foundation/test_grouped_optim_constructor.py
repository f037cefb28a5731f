"""GroupedOptimWrapperConstructor: the default constructor's updates, fewer groups."""
import copy
import logging

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

import pair_plugin.engine  # noqa: F401
from pair_plugin.engine import merge_param_groups


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, 2)


OPTIM = dict(
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-2),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=2.0),
        'head.bias': dict(decay_mult=0.0)
    }))


def test_merge_keeps_settings_and_order():
    a, b, c, d = (nn.Parameter(torch.zeros(1)) for _ in range(4))
    groups = [
        dict(params=[a], lr=1.0),
        dict(params=[b], lr=2.0),
        dict(params=[c], lr=1.0),
        dict(params=[d], lr=1.0, weight_decay=0.0)
    ]
    merged = merge_param_groups(groups)
    assert [g['lr'] for g in merged] == [1.0, 2.0, 1.0]
    assert [len(g['params']) for g in merged] == [2, 1, 1]
    assert merged[0]['params'][0] is a and merged[0]['params'][1] is c
    assert 'weight_decay' not in merged[0] and merged[2]['weight_decay'] == 0.0


def test_same_updates_as_the_default_constructor_in_fewer_groups():
    init_default_scope('pair_plugin')
    torch.manual_seed(0)
    net = Net()
    inputs = torch.randn(2, 3, 6, 6)
    results = {}
    for constructor in ('DefaultOptimWrapperConstructor', 'GroupedOptimWrapperConstructor'):
        model = copy.deepcopy(net)
        wrapper = build_optim_wrapper(model, dict(OPTIM, constructor=constructor))
        for _ in range(3):
            out = model.head(model.backbone(inputs).mean(dim=(2, 3)))
            wrapper.update_params(out.square().sum())
        results[constructor] = (model, wrapper.optimizer.param_groups)
    default_model, default_groups = results['DefaultOptimWrapperConstructor']
    grouped_model, grouped_groups = results['GroupedOptimWrapperConstructor']
    assert len(default_groups) == 6  # one per parameter
    # the backbone (lr 2e-2), the head's weight (1e-2), the head's bias (no decay)
    assert [(g['lr'], g['weight_decay'], len(g['params']))
            for g in grouped_groups] == [(2e-2, 1e-2, 4), (1e-2, 1e-2, 1), (1e-2, 0.0, 1)]
    for (name, p), q in zip(default_model.named_parameters(), grouped_model.parameters()):
        assert torch.equal(p, q), name


def test_logs_one_line_per_group_and_no_line_per_parameter():
    from mmengine.logging import MMLogger
    init_default_scope('pair_plugin')
    logger = MMLogger.get_instance('grouped_constructor_test', log_level='INFO')
    records = []

    class Keep(logging.Handler):

        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    handler = Keep(level=logging.DEBUG)
    logger.addHandler(handler)
    try:
        build_optim_wrapper(Net(), dict(OPTIM, constructor='GroupedOptimWrapperConstructor'))
    finally:
        logger.removeHandler(handler)
    info = [msg for level, msg in records if level >= logging.INFO]
    assert info == [
        'optimizer group 0: 4 parameters, lr=0.02, weight_decay=0.01',
        'optimizer group 1: 1 parameters, lr=0.01, weight_decay=0.01',
        'optimizer group 2: 1 parameters, lr=0.01, weight_decay=0.0'
    ]
    assert not any('paramwise_options' in msg for msg in info)
