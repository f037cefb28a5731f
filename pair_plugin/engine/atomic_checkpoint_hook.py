"""mmengine's ``CheckpointHook`` whose files survive a kill at any moment.

mmengine 0.10.7's ``CheckpointHook`` writes ``epoch_N.pth`` in place (a kill leaves a torn
file), writes ``last_checkpoint`` in place, and removes the oldest checkpoint of
``max_keep_ckpts`` (and the previous ``best_*.pth``) *before* writing the new one: with
``max_keep_ckpts=1`` a kill during the write leaves nothing to resume from. This subclass

- writes checkpoints through :class:`~pair_plugin.engine.checkpoint_integrity.
  AtomicCheckpointBackend` (temporary file, fsync, ``os.replace``, then a sha256 sidecar)
  when they go to a local folder and no other ``backend_args`` are given;
- writes ``last_checkpoint`` atomically;
- removes outdated checkpoints (and their sidecars) only once the new one and
  ``last_checkpoint`` are complete;
- removes the temporary files that a killed write left in the checkpoint folder when
  training starts again.

Loading is checked by :func:`~pair_plugin.engine.load_checkpoint_file`.
"""
import hashlib
import logging
import os
import os.path as osp
import pickle
from contextlib import contextmanager
from typing import List

from mmengine.dist import is_main_process, master_only
from mmengine.hooks import CheckpointHook
from mmengine.logging import MMLogger, print_log
from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint

from pair_plugin.registry import HOOKS
from .checkpoint_integrity import ATOMIC_BACKEND, temporary_files, write_file_atomic


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` are recorded, not done (the rest is
    the wrapped backend's)."""

    def __init__(self, backend, removals: List[str]):
        self._backend = backend
        self._removals = removals

    def __getattr__(self, name):
        return getattr(self._backend, name)

    def remove(self, filepath) -> None:
        self._removals.append(filepath)

    def rmtree(self, dir_path) -> None:
        self._removals.append(dir_path)


#: what mmengine 0.10.7's ``CheckpointHook.before_train`` and ``save_checkpoint`` log
#: whatever their arguments: they build a ``FileClient`` they keep only "to avoid breaking
#: backward compatibility"
_FILE_CLIENT_NOTICES = ('"FileClient" will be deprecated',
                        '"HardDiskBackend" is the alias of "LocalBackend"')


class _DropFileClientNotices(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_FILE_CLIENT_NOTICES)


@contextmanager
def _without_file_client_notices():
    """mmengine's logger without the two notices above, for the duration of the block."""
    logger, drop = MMLogger.get_current_instance(), _DropFileClientNotices()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) with atomic writes, integrity sidecars, and
    outdated checkpoints removed only after the new one is complete."""

    def before_train(self, runner) -> None:
        out_dir = str(self.out_dir or runner.work_dir)
        if self.backend_args is None and self.file_client_args is None and '://' not in out_dir:
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        with _without_file_client_notices():
            super().before_train(runner)
        if is_main_process() and '://' not in str(self.out_dir):
            for leftover in temporary_files(str(self.out_dir)):
                os.remove(leftover)
                runner.logger.warning(f'removed {leftover}, the temporary file of a '
                                      'checkpoint write that was interrupted')

    @contextmanager
    def _removals_deferred(self):
        """Within the block, files the hook removes are only recorded; they are removed
        when the block ends without an error."""
        backend, removals = self.file_backend, []
        self.file_backend = _DeferredRemovals(backend, removals)
        try:
            yield
        finally:
            self.file_backend = backend
        current = {self.last_ckpt, getattr(self, 'best_ckpt_path', None)}
        current.update(getattr(self, 'best_ckpt_path_dict', {}).values())
        if is_main_process():
            for path in removals:
                if path not in current:  # never the file just written under the same name
                    self._remove(path)

    def _remove(self, path: str) -> None:
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are folders
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """mmengine's, with ``last_checkpoint`` written atomically and the outdated
        checkpoint removed after the new one is written."""
        outdated = None
        if self.max_keep_ckpts > 0:
            # _save_checkpoint and _save_best_checkpoint may both save this step
            if not (len(self.keep_ckpt_ids) > 0 and self.keep_ckpt_ids[-1] == step):
                if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                    outdated = self.keep_ckpt_ids.popleft()
                self.keep_ckpt_ids.append(step)
                runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        with _without_file_client_notices():
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        write_file_atomic(
            str(self.last_ckpt).encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None and outdated != step:
            self._remove(
                self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(outdated)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """mmengine's, with the previous best checkpoint removed after the new one is
        written."""
        with self._removals_deferred():
            super()._save_best_checkpoint(runner, metrics)

    @master_only
    def _publish_model(self, runner, ckpt_path: str) -> None:
        """mmengine's, writing the published file through the hook's backend."""
        checkpoint = _load_checkpoint(ckpt_path)
        removed = [key for key in list(checkpoint) if key not in self.published_keys]
        for key in removed:
            checkpoint.pop(key)
        if removed:
            print_log(
                f'Key {removed} will be removed because they are not found in '
                f'published_keys. If you want to keep them, please set `{removed}` in '
                'published_keys',
                logger='current')
        sha = hashlib.sha256(pickle.dumps(checkpoint)).hexdigest()
        final_path = osp.splitext(ckpt_path)[0] + f'-{sha[:8]}.pth'
        with _without_file_client_notices():
            save_checkpoint(checkpoint, final_path, backend_args=self.backend_args)
        print_log(f'The checkpoint ({ckpt_path}) is published to {final_path}.', logger='current')
