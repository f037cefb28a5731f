"""Checkpoints that are complete or absent, and refused when damaged.

A kill (SIGKILL, power loss, a full disk) in the middle of ``torch.save`` leaves a torn file:
0 bytes or a zip archive cut short. Bytes damaged later (a bad disk, a bad copy) load
silently: torch does not check the data of a tensor, so a test prints mAP 0.0 and the
inferencer NaN boxes. This module gives mmengine's checkpoints

- atomic writes (:func:`write_file_atomic`): a temporary file in the same folder, flushed and
  fsync'ed, then ``os.replace``'d onto the name, so the name holds the old file or the new one;
- a sha256 sidecar (``epoch_1.pth.sha256``, the format of ``sha256sum``), written after the
  checkpoint (:func:`write_checkpoint_file`) and checked before every local load
  (:func:`verify_sidecar`, called by :func:`~pair_plugin.engine.load_checkpoint_file`);
  a checkpoint without a sidecar (a user's own ``.pth``) loads unchecked;
- a finite-values check of the weights and the optimizer state (:func:`check_finite`);
- the search for the newest intact checkpoint of a work dir (:func:`resumable_checkpoint`),
  for ``tools/train.py --resume`` when ``last_checkpoint`` names a missing or damaged file.

:class:`AtomicCheckpointBackend` is mmengine's local file backend with these writes,
registered as ``backend='pair_atomic_local'`` for mmengine's ``save_checkpoint``;
:class:`~pair_plugin.engine.AtomicCheckpointHook` uses it.
"""
import glob
import hashlib
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend

#: what follows a checkpoint's name in the name of its sha256 sidecar
SIDECAR_SUFFIX = '.sha256'
#: the registered name of :class:`AtomicCheckpointBackend` (``backend_args=dict(backend=...)``)
ATOMIC_BACKEND = 'pair_atomic_local'
#: what a temporary file's name ends with; a kill leaves such a file behind
TEMPORARY_SUFFIX = '.tmp'
#: the checkpoint keys whose floating-point tensors must be finite
CHECKED_KEYS = ('state_dict', 'model', 'optimizer')
#: how many offending tensors an error lists by name
LISTED = 5

_SHA256 = re.compile(r'^([0-9a-fA-F]{64})\b')


class CheckpointIntegrityError(RuntimeError):
    """A checkpoint file is damaged, incomplete, or holds NaN or infinite values.

    Attributes:
        filename (str): the file.
    """

    def __init__(self, filename: str, message: str):
        super().__init__(f'{filename}: {message}')
        self.filename = str(filename)


def sidecar_path(filename: Union[str, Path]) -> str:
    """``epoch_1.pth`` -> ``epoch_1.pth.sha256``."""
    return str(filename) + SIDECAR_SUFFIX


def temporary_files(folder: str) -> List[str]:
    """The temporary files that an interrupted :func:`write_file_atomic` left in ``folder``."""
    return sorted(glob.glob(osp.join(glob.escape(folder), '.*' + TEMPORARY_SUFFIX)))


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_and_sync(fileobj, data: bytes) -> None:
    """Write ``data``, flush it and fsync it to disk."""
    fileobj.write(data)
    fileobj.flush()
    os.fsync(fileobj.fileno())


def write_file_atomic(data: bytes,
                      filename: Union[str, Path],
                      write: Callable = _write_and_sync,
                      before_replace: Optional[Callable[[], None]] = None) -> None:
    """Write ``data`` to ``filename`` so that the name holds either its old content or
    all of ``data``, never a part.

    The bytes go to a temporary file in the same folder (``.<name>.<random>.tmp``), which is
    flushed, fsync'ed and then renamed onto ``filename`` (``os.replace``, atomic on POSIX
    and Windows); the folder is fsync'ed so that the rename survives a power loss.

    Args:
        data (bytes): the content.
        filename (str | Path): where it goes; the folder is created if absent.
        write (callable): ``write(fileobj, data)``, writes, flushes and fsyncs.
        before_replace (callable, optional): called after the temporary file is complete,
            just before the rename.
    """
    filename = str(filename)
    folder = osp.dirname(osp.abspath(filename))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        dir=folder, prefix='.' + osp.basename(filename) + '.', suffix=TEMPORARY_SUFFIX)
    os.close(fd)
    try:
        with open(temporary, 'wb') as f:  # by name: ``f.name`` is the path
            write(f, data)
        if before_replace is not None:
            before_replace()
        os.replace(temporary, filename)
    except BaseException:
        if osp.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_folder(folder)


def _remove_if_present(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def write_checkpoint_file(data: bytes,
                          filename: Union[str, Path],
                          write: Callable = _write_and_sync) -> None:
    """Write a serialized checkpoint atomically, then its sha256 sidecar atomically.

    An older sidecar of the same name is removed before the new checkpoint takes the name,
    so a kill at any point leaves either the old pair, a checkpoint without a sidecar (which
    is complete, as the rename is atomic), or the new pair; never a checkpoint with a
    sidecar that does not belong to it.
    """
    filename = str(filename)
    sidecar = sidecar_path(filename)
    write_file_atomic(
        data, filename, write=write, before_replace=lambda: _remove_if_present(sidecar))
    digest = hashlib.sha256(data).hexdigest()
    write_file_atomic(f'{digest}  {osp.basename(filename)}\n'.encode(), sidecar)


def file_sha256(filename: str) -> str:
    with open(filename, 'rb') as f:
        return hashlib.file_digest(f, 'sha256').hexdigest()


def verify_sidecar(filename: str) -> bool:
    """Compare ``filename`` with the sha256 of its sidecar, if it has one.

    Returns:
        bool: True if the file was checked, False if it has no sidecar.

    Raises:
        CheckpointIntegrityError: the file differs from what was written, or the sidecar
            is not a sha256 line.
    """
    sidecar = sidecar_path(filename)
    if not osp.isfile(sidecar):
        return False
    with open(sidecar, 'rb') as f:
        line = f.read(4096).decode('ascii', errors='replace')
    match = _SHA256.match(line)
    if match is None:
        raise CheckpointIntegrityError(
            filename, f'its integrity file {sidecar} does not hold a sha256 '
            f'(it starts with {line[:40]!r}); remove the integrity file to load the checkpoint '
            'unchecked')
    expected = match.group(1).lower()
    actual = file_sha256(filename)
    if actual != expected:
        raise CheckpointIntegrityError(
            filename, f'damaged checkpoint: its sha256 is {actual}, not the {expected} '
            f'recorded in {sidecar} when it was written ({osp.getsize(filename)} bytes now). '
            'Refusing to load it; use an earlier checkpoint')
    return True


def _floating_arrays(obj, prefix: str):
    """``(key, tensor)`` for every floating-point tensor or numpy array inside ``obj``."""
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() or obj.is_complex():
            yield prefix, obj
    elif isinstance(obj, np.ndarray):
        if np.issubdtype(obj.dtype, np.inexact):
            yield prefix, torch.from_numpy(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _floating_arrays(value, f'{prefix}.{key}' if prefix else str(key))
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _floating_arrays(value, f'{prefix}.{i}' if prefix else str(i))


def non_finite_tensors(checkpoint) -> List[Tuple[str, int, int, int]]:
    """The tensors of the weights and optimizer state that hold NaN or infinite values.

    Looks under ``state_dict``, ``model`` and ``optimizer`` of a checkpoint dict, or at the
    whole of a plain state dict (``{name: tensor}``).

    Returns:
        list[tuple]: ``(key, NaN count, inf count, number of values)``, the key dotted
        from the top of the checkpoint (``state_dict.backbone.conv1.weight``,
        ``optimizer.state.3.exp_avg``).
    """
    if not isinstance(checkpoint, dict):
        return []
    roots = [k for k in CHECKED_KEYS if k in checkpoint] or [None]
    found = []
    for root in roots:
        obj, prefix = (checkpoint, '') if root is None else (checkpoint[root], root)
        for key, tensor in _floating_arrays(obj, prefix):
            if torch.isfinite(tensor).all():
                continue
            found.append((key, int(torch.isnan(tensor).sum()), int(torch.isinf(tensor).sum()),
                          tensor.numel()))
    return found


def check_finite(checkpoint, filename: str) -> None:
    """Refuse a checkpoint whose weights or optimizer state hold NaN or inf.

    Raises:
        CheckpointIntegrityError: naming the file and the tensors.
    """
    found = non_finite_tensors(checkpoint)
    if not found:
        return
    listed = '; '.join(f'{key} ({nan} NaN, {inf} inf of {numel} values)'
                       for key, nan, inf, numel in found[:LISTED])
    more = f' and {len(found) - LISTED} more tensors' if len(found) > LISTED else ''
    raise CheckpointIntegrityError(
        filename, f'non-finite values in {listed}{more}; refusing to load it (weights or '
        'optimizer state with NaN or inf come from a diverged training or a damaged file, '
        'and predict NaN): use an earlier checkpoint')


@register_backend(ATOMIC_BACKEND, force=True)
class AtomicCheckpointBackend(LocalBackend):
    """mmengine's local file backend whose ``put`` is :func:`write_checkpoint_file`.

    mmengine's ``save_checkpoint`` serializes the checkpoint in memory and hands the bytes
    to ``put``; with ``backend_args=dict(backend='pair_atomic_local')`` they are written
    atomically, with a sha256 sidecar. ``remove`` removes the sidecar too.
    """

    def _write(self, fileobj, data: bytes) -> None:
        _write_and_sync(fileobj, data)

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        write_checkpoint_file(obj, filepath, write=self._write)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        write_file_atomic(obj.encode(encoding), filepath)

    def remove(self, filepath: Union[str, Path]) -> None:
        super().remove(filepath)
        _remove_if_present(sidecar_path(filepath))


# ------------------------------------------------------------------ resuming a work dir
def read_last_checkpoint(work_dir: str) -> Tuple[Optional[str], Optional[str]]:
    """The path that ``<work_dir>/last_checkpoint`` names, or why there is none.

    Returns:
        tuple: ``(path, None)``, or ``(None, reason)`` if the file is absent or empty.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None, f'{pointer} does not exist'
    with open(pointer, encoding='utf-8', errors='replace') as f:
        path = f.read().strip()
    if not path:
        return None, f'{pointer} is empty'
    return path, None


def resumable_checkpoint(work_dir: str, load: Callable) -> Tuple[Optional[str], List[str]]:
    """The checkpoint that ``--resume`` (auto) should resume from, and why, if not the
    one ``last_checkpoint`` names.

    The file that ``last_checkpoint`` names is taken if it loads (``load`` checks its
    sidecar, reads it and checks its values). Otherwise the other ``.pth`` files of its
    folder and of ``work_dir`` are tried, newest first (by modification time); those
    without optimizer state (``best_*.pth``, published weights) cannot continue a
    training and are skipped.

    Args:
        work_dir (str): the run's work dir.
        load (callable): ``load(path) -> checkpoint``, raising on a damaged file
            (:func:`~pair_plugin.engine.load_checkpoint_file`).

    Returns:
        tuple: ``(path, notes)``: the checkpoint (None if the work dir has no checkpoint
        at all: a fresh start) and one line per file passed over, with the reason; empty
        when the named file was taken.

    Raises:
        CheckpointIntegrityError: checkpoints exist but none is intact; the message lists
            each with its reason.
    """
    named, reason = read_last_checkpoint(work_dir)
    notes = [] if reason is None else [reason]
    folders = [work_dir]
    if named is not None:
        folders.insert(0, osp.dirname(named) or work_dir)
        candidates = [named]
    else:
        candidates = []
    seen = {osp.realpath(p) for p in candidates}
    for folder in folders:
        found = glob.glob(osp.join(glob.escape(folder), '*.pth'))
        found.sort(key=lambda p: (osp.getmtime(p), p), reverse=True)
        for path in found:
            if osp.realpath(path) not in seen:
                seen.add(osp.realpath(path))
                candidates.append(path)
    if not candidates:
        return None, notes
    for path in candidates:
        if not osp.isfile(path):
            notes.append(f'{path} does not exist')
            continue
        try:
            checkpoint = load(path)
        except CheckpointIntegrityError as err:
            notes.append(str(err))
            continue
        if path != named and not (isinstance(checkpoint, dict) and 'optimizer' in checkpoint
                                  and 'meta' in checkpoint):
            notes.append(f'{path}: holds no optimizer state, not a training checkpoint')
            continue
        return path, ([] if path == named else notes)
    raise CheckpointIntegrityError(
        work_dir, 'no intact checkpoint to resume from:\n  ' + '\n  '.join(notes) +
        '\nStart again without --resume (or with --resume PATH to a checkpoint elsewhere)')
