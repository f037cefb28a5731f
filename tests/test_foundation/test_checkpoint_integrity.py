"""Checkpoints complete or absent, refused when damaged: atomic writes, sha256 sidecars,
NaN/inf refusal, and the choice of checkpoint for ``--resume``."""
import hashlib
import io
import os
import os.path as osp
import zipfile

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import _load_checkpoint

from pair_plugin.engine import CheckpointIntegrityError, checkpoint_integrity, load_checkpoint_file
from pair_plugin.engine.checkpoint_integrity import (ATOMIC_BACKEND, resumable_checkpoint,
                                                     sidecar_path, temporary_files,
                                                     write_checkpoint_file, write_file_atomic)


def _checkpoint(value: float = 1.0, optimizer: bool = True, iteration: int = 3) -> dict:
    checkpoint = {
        'meta': {
            'epoch': 1,
            'iter': iteration
        },
        'state_dict': {
            'head.weight': torch.full((64, 16), value),
            'head.bias': torch.zeros(64)
        }
    }
    if optimizer:
        checkpoint['optimizer'] = {
            'state': {
                0: {
                    'step': torch.tensor(3.0),
                    'exp_avg': torch.zeros(64, 16)
                }
            },
            'param_groups': [{
                'lr': 1e-4,
                'params': [0]
            }]
        }
    return checkpoint


def _serialized(checkpoint: dict) -> bytes:
    with io.BytesIO() as f:
        torch.save(checkpoint, f)
        return f.getvalue()


def _save(path, checkpoint: dict, sidecar: bool = True) -> str:
    path = str(path)
    if sidecar:
        write_checkpoint_file(_serialized(checkpoint), path)
    else:
        torch.save(checkpoint, path)
    return path


def tensor_data_offset(path: str, size=None) -> int:
    """Where the data of the first tensor of ``size`` bytes (the largest if None) starts in
    a file written by ``torch.save``."""
    with zipfile.ZipFile(path) as archive:
        tensors = [i for i in archive.infolist() if '/data/' in i.filename]
        info = (
            max(tensors, key=lambda i: i.file_size) if size is None else next(
                i for i in tensors if i.file_size == size))
    with open(path, 'rb') as f:
        f.seek(info.header_offset)
        header = f.read(30)
    name_length = int.from_bytes(header[26:28], 'little')
    extra_length = int.from_bytes(header[28:30], 'little')
    return info.header_offset + 30 + name_length + extra_length


def damage(path: str, offset: int, length: int = 256) -> None:
    with open(path, 'r+b') as f:
        f.seek(offset)
        original = f.read(length)
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in original))


def test_checkpoint_and_sidecar_written_in_sha256sum_format(tmp_path):
    data = _serialized(_checkpoint())
    path = str(tmp_path / 'epoch_1.pth')
    write_checkpoint_file(data, path)
    with open(path, 'rb') as f:
        assert f.read() == data
    with open(sidecar_path(path)) as f:
        assert f.read() == f'{hashlib.sha256(data).hexdigest()}  epoch_1.pth\n'
    assert temporary_files(str(tmp_path)) == []
    assert torch.equal(load_checkpoint_file(path)['state_dict']['head.weight'], torch.ones(64, 16))


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    path = str(tmp_path / 'last_checkpoint')
    write_file_atomic(b'old', path)

    def write_half_then_fail(f, data):
        f.write(data[:2])
        raise OSError('No space left on device')

    with pytest.raises(OSError, match='No space'):
        write_file_atomic(b'new content', path, write=write_half_then_fail)
    with open(path, 'rb') as f:
        assert f.read() == b'old'
    assert os.listdir(tmp_path) == ['last_checkpoint']


def test_rewrite_stopped_before_its_sidecar_leaves_a_loadable_file(tmp_path, monkeypatch):
    """A checkpoint rewritten under the same name never meets the old one's sidecar."""
    path = str(tmp_path / 'epoch_1.pth')
    write_checkpoint_file(_serialized(_checkpoint(1.0)), path)

    def fail(*args):
        raise KeyboardInterrupt  # stops between the checkpoint and its sidecar

    monkeypatch.setattr(checkpoint_integrity.hashlib, 'sha256', fail)
    with pytest.raises(KeyboardInterrupt):
        write_checkpoint_file(_serialized(_checkpoint(2.0)), path)
    monkeypatch.undo()
    assert not osp.exists(sidecar_path(path))
    assert load_checkpoint_file(path)['state_dict']['head.weight'][0, 0] == 2.0


def test_registered_backend_writes_sidecars_and_removes_them(tmp_path):
    path = str(tmp_path / 'iter_4.pth')
    backend = get_file_backend(path, backend_args=dict(backend=ATOMIC_BACKEND))
    backend.put(_serialized(_checkpoint()), path)
    assert osp.isfile(sidecar_path(path))
    backend.remove(path)
    assert os.listdir(tmp_path) == []


def test_damaged_weight_bytes_are_refused_naming_the_file(tmp_path):
    path = _save(tmp_path / 'epoch_1.pth', _checkpoint())
    damage(path, tensor_data_offset(path, 64 * 16 * 4) + 512)
    for load in (load_checkpoint_file, _load_checkpoint):  # ours, and mmengine's entry
        with pytest.raises(CheckpointIntegrityError, match='damaged checkpoint') as err:
            load(path)
        assert path in str(err.value) and 'sha256' in str(err.value)


def test_damaged_optimizer_state_is_refused(tmp_path):
    checkpoint = _checkpoint()
    checkpoint['optimizer']['state'][0]['exp_avg'] = torch.zeros(100, 10)
    path = _save(tmp_path / 'epoch_2.pth', checkpoint)
    damage(path, tensor_data_offset(path, 100 * 10 * 4) + 100)
    with pytest.raises(CheckpointIntegrityError, match=f'{path}: damaged checkpoint'):
        load_checkpoint_file(path)


def test_malformed_sidecar_is_named(tmp_path):
    path = _save(tmp_path / 'epoch_1.pth', _checkpoint())
    with open(sidecar_path(path), 'w') as f:
        f.write('not a hash\n')
    with pytest.raises(CheckpointIntegrityError, match=r'epoch_1\.pth\.sha256 does not hold'):
        load_checkpoint_file(path)


def test_checkpoint_without_sidecar_loads(tmp_path):
    path = _save(tmp_path / 'mine.pth', _checkpoint(2.0), sidecar=False)
    assert load_checkpoint_file(path)['state_dict']['head.weight'][0, 0] == 2.0


@pytest.mark.parametrize('cut', [0, 0.5])
def test_torn_file_without_sidecar_is_refused_naming_it(tmp_path, cut):
    path = _save(tmp_path / 'epoch_3.pth', _checkpoint(), sidecar=False)
    size = osp.getsize(path)
    with open(path, 'r+b') as f:
        f.truncate(int(size * cut))
    expected = 'empty file' if cut == 0 else 'cannot be read as a PyTorch checkpoint'
    with pytest.raises(CheckpointIntegrityError, match=expected) as err:
        load_checkpoint_file(path)
    assert str(err.value).startswith(path)


def test_nan_weight_is_refused_naming_tensor_and_file(tmp_path):
    checkpoint = _checkpoint()
    checkpoint['state_dict']['head.weight'][3, :2] = float('nan')
    checkpoint['state_dict']['head.weight'][5, 0] = float('inf')
    path = _save(tmp_path / 'mine.pth', checkpoint, sidecar=False)
    with pytest.raises(CheckpointIntegrityError) as err:
        load_checkpoint_file(path)
    message = str(err.value)
    assert message.startswith(path)
    assert 'state_dict.head.weight (2 NaN, 1 inf of 1024 values)' in message
    assert 'head.bias' not in message


def test_plain_state_dict_with_inf_is_refused(tmp_path):
    path = str(tmp_path / 'weights.pth')
    torch.save({'conv.weight': torch.tensor([1.0, float('-inf')])}, path)
    with pytest.raises(CheckpointIntegrityError, match=r'conv\.weight \(0 NaN, 1 inf'):
        load_checkpoint_file(path)


def test_non_finite_optimizer_state_is_refused_naming_the_key(tmp_path):
    checkpoint = _checkpoint()
    checkpoint['optimizer']['state'][0]['exp_avg'][0, 0] = float('nan')
    path = _save(tmp_path / 'epoch_2.pth', checkpoint)  # intact file, diverged values
    with pytest.raises(CheckpointIntegrityError, match=r'optimizer\.state\.0\.exp_avg \(1 NaN'):
        load_checkpoint_file(path)


def _last_checkpoint(work_dir, path) -> None:
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(str(path))


def _ages(*paths) -> None:
    """Modification times in the order given, oldest first."""
    for age, path in enumerate(paths):
        os.utime(path, (1_000_000 + age, 1_000_000 + age))


def test_resume_takes_the_named_checkpoint_when_intact(tmp_path):
    first = _save(tmp_path / 'epoch_1.pth', _checkpoint())
    second = _save(tmp_path / 'epoch_2.pth', _checkpoint())
    _ages(second, first)  # the named file wins even if another is newer
    _last_checkpoint(tmp_path, second)
    assert resumable_checkpoint(str(tmp_path), load_checkpoint_file) == (second, [])


def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path):
    first = _save(tmp_path / 'epoch_1.pth', _checkpoint())
    second = _save(tmp_path / 'epoch_2.pth', _checkpoint())
    best = _save(tmp_path / 'best_mAP_epoch_3.pth', _checkpoint(optimizer=False))
    third = _save(tmp_path / 'epoch_3.pth', _checkpoint())
    with open(second, 'r+b') as f:
        f.truncate(osp.getsize(second) // 2)  # sidecar kept: sha256 mismatch
    with open(third, 'wb'):
        pass
    os.remove(sidecar_path(third))  # no sidecar: 0 bytes
    _ages(first, second, best, third)
    _last_checkpoint(tmp_path, third)
    path, notes = resumable_checkpoint(str(tmp_path), load_checkpoint_file)
    assert path == first
    assert [n.split(':')[0] for n in notes] == [third, best, second]
    assert 'empty file (0 bytes)' in notes[0]
    assert 'holds no optimizer state' in notes[1]
    assert 'damaged checkpoint' in notes[2]


@pytest.mark.parametrize('pointer', ['missing file', 'empty', 'absent'])
def test_resume_falls_back_when_last_checkpoint_is_useless(tmp_path, pointer):
    first = _save(tmp_path / 'epoch_1.pth', _checkpoint())
    if pointer == 'missing file':
        _last_checkpoint(tmp_path, tmp_path / 'epoch_2.pth')
    elif pointer == 'empty':
        _last_checkpoint(tmp_path, '')
    path, notes = resumable_checkpoint(str(tmp_path), load_checkpoint_file)
    assert path == first
    expected = {
        'missing file': 'epoch_2.pth does not exist',
        'empty': 'last_checkpoint is empty',
        'absent': 'last_checkpoint does not exist'
    }[pointer]
    assert expected in notes[0]


def test_resume_with_nothing_intact_is_an_error_listing_each_file(tmp_path):
    torn = str(tmp_path / 'epoch_1.pth')
    with open(torn, 'wb'):
        pass
    _last_checkpoint(tmp_path, tmp_path / 'epoch_2.pth')
    with pytest.raises(CheckpointIntegrityError, match='no intact checkpoint') as err:
        resumable_checkpoint(str(tmp_path), load_checkpoint_file)
    assert f'{tmp_path}/epoch_2.pth does not exist' in str(err.value)
    assert f'{torn}: empty file' in str(err.value)


def test_resume_in_an_empty_work_dir_starts_fresh(tmp_path):
    path, notes = resumable_checkpoint(str(tmp_path), load_checkpoint_file)
    assert path is None and 'last_checkpoint does not exist' in notes[0]
