"""mmengine's epoch-based training loop that resumes in the middle of an epoch.

mmengine 0.10.7's ``EpochBasedTrainLoop`` restores the epoch and iteration counts of an
iteration checkpoint (``CheckpointHook(by_epoch=False)``) but then runs the resumed epoch
from its first batch: the batches trained before the checkpoint are trained twice and the
run ends with more iterations than configured (39 instead of 36). This loop skips them.

The skip happens on the batch sampler: the resumed epoch's batches of sample indices are
drawn as in the interrupted run (the sampler is seeded by epoch), the first ``k`` lists are
dropped, and a data loader over the rest loads only the remaining samples. Nothing is read
or augmented for the skipped batches, so with ``num_workers=0`` and
:class:`~pair_plugin.engine.RandomStateHook` the resumed run draws the same random numbers as
the uninterrupted one and ends with the same weights. With worker processes the remaining
batches are the same samples in the same order, but each worker restarts its random
generator at the resumed batch, so the augmentations of the rest of that epoch differ.
"""
import itertools

import torch
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader, Sampler

from pair_plugin.registry import LOOPS


class SkipFirstBatches(Sampler):
    """A batch sampler without the first ``skip`` batches of ``batch_sampler``.

    Args:
        batch_sampler (Iterable[list[int]]): yields lists of sample indices.
        skip (int): how many lists to drop.
    """

    def __init__(self, batch_sampler, skip: int):
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self):
        return itertools.islice(iter(self.batch_sampler), self.skip, None)

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)


def remaining_batches_loader(loader: DataLoader, skip: int) -> DataLoader:
    """A data loader over ``loader``'s batches of the current epoch but the first ``skip``.

    Same dataset, collate function, workers and worker seeding; non-persistent workers (it
    serves one partial epoch), and its own generator for the base seed that a data loader
    draws at every ``iter()``, so the global torch generator is not advanced.
    """
    kwargs = dict(
        batch_sampler=SkipFirstBatches(loader.batch_sampler, skip),
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        multiprocessing_context=loader.multiprocessing_context,
        generator=torch.Generator(),
        pin_memory_device=loader.pin_memory_device)
    if loader.num_workers > 0:
        kwargs['prefetch_factor'] = loader.prefetch_factor
    return DataLoader(loader.dataset, **kwargs)


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` (same arguments) that continues a resumed epoch at the batch
    after the checkpoint instead of its first batch."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._first_epoch_of_run = True

    def batches_done_in_epoch(self) -> int:
        """How many batches of the current epoch were trained before this run (non-zero
        only right after resuming from an iteration checkpoint)."""
        return self._iter - self._epoch * len(self.dataloader)

    def run_epoch(self) -> None:
        """Iterate one epoch, or its remaining batches after a mid-epoch resume."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        done, total = self.batches_done_in_epoch(), len(self.dataloader)
        if not self._first_epoch_of_run:  # only a resumed run starts inside an epoch
            done = 0
        self._first_epoch_of_run = False
        loader = self.dataloader
        if 0 < done <= total:
            self.runner.logger.info(
                f'resumed in the middle of epoch {self._epoch + 1}: skipping its first {done} '
                f'of {total} batches, trained before the checkpoint (iteration {self._iter})')
            loader = remaining_batches_loader(self.dataloader, done)
        elif done != 0:
            self.runner.logger.warning(
                f'iteration {self._iter} of the checkpoint does not fall in epoch '
                f'{self._epoch + 1} of {total} batches (were the batch size or the data '
                f'changed?): the epoch runs all its {total} batches, so the run trains '
                f'{abs(done)} iterations {"more" if done > 0 else "fewer"} than configured')
            done = 0
        for idx, data_batch in enumerate(loader, start=done):
            self.run_iter(idx, data_batch)

        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
