"""Resume with nothing lost: a crashed run resumed with --resume ends with the same weights."""
import os.path as osp

import pytest
import torch

from tests.helpers import PYTHON, REPO, make_tiny_dataset, run, write_tiny_config


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('resume')
    data = make_tiny_dataset(str(root / 'data'), num_train=6)
    crash = '''
custom_imports = dict(imports=['tests.test_e2e.crash_hook'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='RandomStateHook'),
                dict(type='CrashAfterCheckpointHook', epoch=1)]
'''
    plain = write_tiny_config(str(root / 'plain.py'), data, max_epochs=3)
    crashing = write_tiny_config(str(root / 'crashing.py'), data, max_epochs=3, extra=crash)
    return root, plain, crashing


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def test_resumed_run_equals_uninterrupted_run(tiny):
    root, plain, crashing = tiny
    train = osp.join(REPO, 'tools', 'train.py')
    full = root / 'full'
    run([PYTHON, train, plain, '--work-dir', str(full)])

    crashed = root / 'crashed'
    with pytest.raises(AssertionError, match=r'command failed \(137\)'):
        run([PYTHON, train, crashing, '--work-dir', str(crashed)])
    assert (crashed / 'epoch_1.pth').is_file()
    assert not (crashed / 'epoch_2.pth').exists()

    out = run([PYTHON, train, plain, '--work-dir', str(crashed), '--resume'])
    assert 'resumed epoch: 1' in out
    assert 'restored the random generators of the checkpoint' in out

    a, b = _weights(full / 'epoch_3.pth'), _weights(crashed / 'epoch_3.pth')
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f'{len(different)} tensors differ, e.g. {different[:3]}'
    # and training did change the weights after the resume
    c = _weights(crashed / 'epoch_1.pth')
    assert any(not torch.equal(c[k], b[k]) for k in c if c[k].is_floating_point())


def test_resume_from_a_given_checkpoint_path(tiny):
    root, plain, _ = tiny
    train = osp.join(REPO, 'tools', 'train.py')
    work = root / 'given'
    run([PYTHON, train, plain, '--work-dir', str(work), '--cfg-options', 'train_cfg.max_epochs=1'])
    out = run([
        PYTHON, train, plain, '--work-dir',
        str(work), '--resume',
        str(work / 'epoch_1.pth'), '--cfg-options', 'train_cfg.max_epochs=2'
    ])
    assert 'resumed epoch: 1' in out
    assert (work / 'epoch_2.pth').is_file()
