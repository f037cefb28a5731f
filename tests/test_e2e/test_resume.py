"""Resume with nothing lost: a killed run resumed with --resume ends with the same
weights as an uninterrupted one; damaged checkpoints are refused by name."""
import glob
import os
import os.path as osp
import re
import shutil

import pytest
import torch

from pair_plugin.engine import CheckpointIntegrityError
from tests.helpers import PYTHON, REPO, load_tool, make_tiny_dataset, run, write_tiny_config
from tests.test_foundation.test_checkpoint_integrity import damage, tensor_data_offset

TRAIN = osp.join(REPO, 'tools', 'train.py')
TEST = osp.join(REPO, 'tools', 'test.py')
CRASH_HOOKS = '''
custom_imports = dict(imports=['tests.test_e2e.crash_hook'], allow_failed_imports=False)
'''


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """The data (6 training images: 3 iterations of 2 per epoch), the configs, and an
    uninterrupted 3-epoch run (``root / 'full'``)."""
    root = tmp_path_factory.mktemp('resume')
    data = make_tiny_dataset(str(root / 'data'), num_train=6)
    configs = dict(
        plain='',
        # SIGKILL once half of epoch_2.pth is written, keeping one checkpoint only
        killing=CRASH_HOOKS + '''
default_hooks['checkpoint'].update(
    max_keep_ckpts=1,
    backend_args=dict(backend='pair_test_kill_during_write', kill_at='epoch_2.pth'))
''',
        # a checkpoint every 4 iterations, the first in the middle of epoch 2
        iterwise='''
default_hooks['checkpoint'].update(by_epoch=False, interval=4)
''',
        iterwise_crashing=CRASH_HOOKS + '''
default_hooks['checkpoint'].update(by_epoch=False, interval=4)
custom_hooks = [dict(type='RandomStateHook'), dict(type='CrashAfterIterationHook', iteration=4)]
''')
    configs = {
        name: write_tiny_config(str(root / f'{name}.py'), data, max_epochs=3, extra=extra)
        for name, extra in configs.items()
    }
    run([PYTHON, TRAIN, configs['plain'], '--work-dir', str(root / 'full')])
    return root, configs


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def _assert_same_weights(path_a, path_b):
    a, b = _weights(path_a), _weights(path_b)
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, f'{len(different)} tensors differ, e.g. {different[:3]}'


def _fails(cmd) -> str:
    """The output of a command that must fail with a message, not a traceback."""
    with pytest.raises(AssertionError, match=r'command failed \(1\)') as err:
        run(cmd)
    assert 'Traceback' not in str(err.value)
    return str(err.value)


def test_resume_from_a_given_checkpoint_path(tiny):
    """--resume PATH into another work dir continues from that checkpoint and ends with the
    uninterrupted run's weights."""
    root, configs = tiny
    work = root / 'given'
    out = run([
        PYTHON, TRAIN, configs['plain'], '--work-dir',
        str(work), '--resume',
        str(root / 'full' / 'epoch_2.pth')
    ])
    assert 'resumed epoch: 2' in out
    assert 'restored the random generators of the checkpoint' in out
    assert not (work / 'epoch_2.pth').exists() and (work / 'epoch_3.pth').is_file()
    _assert_same_weights(root / 'full' / 'epoch_3.pth', work / 'epoch_3.pth')


def test_sigkill_while_writing_a_checkpoint_leaves_the_previous_one(tiny):
    """max_keep_ckpts=1: mmengine would remove epoch_1.pth before writing epoch_2.pth; the
    run resumed from what the kill left ends with the uninterrupted run's weights."""
    root, configs = tiny
    full = root / 'full'
    for epoch in (1, 2, 3):  # each checkpoint with its sha256 beside it, as sha256sum writes
        with open(full / f'epoch_{epoch}.pth.sha256') as f:
            assert re.fullmatch(rf'[0-9a-f]{{64}}  epoch_{epoch}\.pth\n', f.read())
    assert glob.glob(str(full / '.*.tmp')) == []
    work = root / 'killed'
    with pytest.raises(AssertionError, match=r'command failed \(-9\)'):
        run([PYTHON, TRAIN, configs['killing'], '--work-dir', str(work)])
    leftovers = glob.glob(str(work / '.epoch_2.pth.*.tmp'))
    assert len(leftovers) == 1 and osp.getsize(leftovers[0]) > 0  # the cut write
    assert not (work / 'epoch_2.pth').exists()
    assert (work / 'epoch_1.pth.sha256').is_file()
    with open(work / 'last_checkpoint') as f:
        assert f.read() == str(work / 'epoch_1.pth')

    out = run([
        PYTHON, TRAIN, configs['plain'], '--work-dir',
        str(work), '--resume', '--cfg-options', 'default_hooks.checkpoint.max_keep_ckpts=1'
    ])
    assert 'resumed epoch: 1' in out
    assert 'restored the random generators of the checkpoint' in out
    assert f'removed {leftovers[0]}, the temporary file of a checkpoint write' in out
    checkpoints = [f for f in os.listdir(work) if re.search(r'\.(pth|sha256|tmp)$', f)]
    assert sorted(checkpoints) == ['epoch_3.pth', 'epoch_3.pth.sha256']
    _assert_same_weights(full / 'epoch_3.pth', work / 'epoch_3.pth')


def test_resume_falls_back_past_torn_checkpoints(tiny):
    """last_checkpoint names a 0-byte epoch_3.pth; epoch_2.pth is a cut zip; both without
    sidecars (written before sidecars existed, say): resume from epoch_1.pth."""
    root, configs = tiny
    work = root / 'torn'
    work.mkdir()
    for name in ('epoch_1.pth', 'epoch_2.pth', 'epoch_3.pth'):
        shutil.copy2(root / 'full' / name, work / name)
    shutil.copy2(root / 'full' / 'epoch_1.pth.sha256', work / 'epoch_1.pth.sha256')
    with open(work / 'last_checkpoint', 'w') as f:
        f.write(str(work / 'epoch_3.pth'))
    with open(work / 'epoch_3.pth', 'r+b') as f:
        f.truncate(0)
    with open(work / 'epoch_2.pth', 'r+b') as f:
        f.truncate(osp.getsize(work / 'epoch_2.pth') // 2)

    out = run([PYTHON, TRAIN, configs['plain'], '--work-dir', str(work), '--resume'])
    assert (f'--resume: resuming from {work}/epoch_1.pth, the newest intact checkpoint, '
            'because') in out
    assert f'{work}/epoch_3.pth: empty file (0 bytes)' in out
    assert f'{work}/epoch_2.pth: cannot be read as a PyTorch checkpoint' in out
    assert 'resumed epoch: 1' in out
    _assert_same_weights(root / 'full' / 'epoch_3.pth', work / 'epoch_3.pth')


def test_damaged_checkpoint_is_refused_by_name_at_test_and_resume(tiny):
    root, configs = tiny
    work = root / 'damaged'
    work.mkdir()
    path = work / 'epoch_3.pth'
    shutil.copy(root / 'full' / 'epoch_3.pth', path)
    shutil.copy(root / 'full' / 'epoch_3.pth.sha256', work / 'epoch_3.pth.sha256')
    damage(str(path), tensor_data_offset(str(path)) + 1024)  # 256 bytes of a weight

    predictions = work / 'predictions.json'
    out = _fails([
        PYTHON, TEST, configs['plain'],
        str(path), '--work-dir',
        str(work / 'test'), '--out',
        str(predictions)
    ])
    assert f'tools/test.py: {path}: damaged checkpoint: its sha256 is' in out
    assert not predictions.exists()
    # an explicit --resume PATH is refused before anything is built, never replaced
    with pytest.raises(SystemExit, match=f'--resume: {re.escape(str(path))}: damaged'):
        load_tool('tools/train.py').main(
            [configs['plain'], '--work-dir',
             str(work), '--resume',
             str(path)])


def test_nan_weights_are_refused_naming_the_tensor(tiny):
    root, configs = tiny
    checkpoint = torch.load(root / 'full' / 'epoch_3.pth', map_location='cpu', weights_only=False)
    name = next(k for k, v in checkpoint['state_dict'].items() if v.is_floating_point())
    checkpoint['state_dict'][name].view(-1)[0] = float('nan')
    path = str(root / 'nan_weights.pth')  # a user's file: no sidecar
    torch.save(checkpoint, path)

    from pair_plugin.apis import init_model
    with pytest.raises(CheckpointIntegrityError, match=f'state_dict.{re.escape(name)} \\(1 NaN'):
        init_model(configs['plain'], path)


def test_mid_epoch_resume_runs_exactly_the_remaining_iterations(tiny):
    """3 epochs of 3 iterations; killed after iteration 4 (epoch 2, batch 1) and its
    checkpoint: the resumed run trains iterations 5 to 9 only, and ends as the full run."""
    root, configs = tiny
    work = root / 'mid_epoch'
    with pytest.raises(AssertionError, match=r'command failed \(137\)'):
        run([PYTHON, TRAIN, configs['iterwise_crashing'], '--work-dir', str(work)])
    assert (work / 'iter_4.pth').is_file()

    out = run([PYTHON, TRAIN, configs['iterwise'], '--work-dir', str(work), '--resume'])
    assert 'resumed epoch: 1, iter: 4' in out
    assert 'resumed in the middle of epoch 2: skipping its first 1 of 3 batches' in out
    trained = re.findall(r'Epoch\(train\)\s+\[(\d+)\]\[(\d+)/3\]', out)
    assert trained == [('2', '2'), ('2', '3'), ('3', '1'), ('3', '2'), ('3', '3')]
    _assert_same_weights(root / 'full' / 'epoch_3.pth', work / 'iter_9.pth')
