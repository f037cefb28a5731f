"""Progress of long loops (conversion, generation, checking, drawing).

On a terminal this is mmengine's :class:`~mmengine.utils.ProgressBar`. In a log file or a
pipe a bar's carriage returns pile up into one endless line, so there it writes one plain
line each time another ``step_percent`` of the tasks is done, and one at the end.
"""
import math
import sys
import time
from typing import Iterable, Iterator, Optional, TextIO, TypeVar

from mmengine.utils import ProgressBar

T = TypeVar('T')


def _is_terminal(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False


class ProgressDisplay:
    """Counts finished tasks and shows how many are done.

    Args:
        total (int): the number of tasks (> 0).
        title (str): what is counted, shown at the start of each line without a
            terminal, e.g. ``'converting test_vcoco.json'``.
        file (TextIO, optional): where to write; defaults to ``sys.stdout``.
        step_percent (float): without a terminal, write a line each time this many
            percent more of the tasks are done.
    """

    def __init__(self,
                 total: int,
                 title: str = '',
                 file: Optional[TextIO] = None,
                 step_percent: float = 10):
        if total <= 0:
            raise ValueError(f'ProgressDisplay: total must be > 0, got {total}')
        if not 0 < step_percent <= 100:
            raise ValueError('ProgressDisplay: step_percent must be in (0, 100], '
                             f'got {step_percent}')
        self.total = total
        self.title = title
        self.file = sys.stdout if file is None else file
        self.completed = 0
        self._bar = (ProgressBar(total, file=self.file) if _is_terminal(self.file) else None)
        self._start = time.monotonic()
        self._step = max(1, math.ceil(total * step_percent / 100))
        self._next_line_at = self._step

    def update(self, num_tasks: int = 1) -> None:
        """Count ``num_tasks`` more finished tasks."""
        self.completed += num_tasks
        if self._bar is not None:
            self._bar.update(num_tasks)
        elif self.completed >= min(self._next_line_at, self.total):
            self._write_line()
            self._next_line_at = (self.completed // self._step + 1) * self._step

    def close(self) -> None:
        """End the display (the terminal's bar leaves its line)."""
        if self._bar is not None:
            self.file.write('\n')
            self.file.flush()

    def _write_line(self) -> None:
        elapsed = time.monotonic() - self._start
        done = min(self.completed, self.total)
        eta = elapsed * (self.total - done) / done if done else 0.0
        prefix = f'{self.title}: ' if self.title else ''
        self.file.write(f'{prefix}{done}/{self.total} ({100 * done // self.total}%), '
                        f'elapsed {elapsed:.0f} s, ETA {eta:.0f} s\n')
        self.file.flush()


def track_progress(tasks: Iterable[T],
                   total: Optional[int] = None,
                   title: str = '',
                   enabled: bool = True,
                   file: Optional[TextIO] = None,
                   step_percent: float = 10) -> Iterator[T]:
    """Iterate over ``tasks``, counting each one done when the loop asks for the next.

    Args:
        tasks (Iterable): the tasks; ``len(tasks)`` is the total unless ``total`` is
            given.
        total (int, optional): the number of tasks, for iterables without ``len``.
        title (str): see :class:`ProgressDisplay`.
        enabled (bool): False iterates without showing anything.
        file, step_percent: see :class:`ProgressDisplay`.

    Yields:
        the tasks, in order.
    """
    total = len(tasks) if total is None else total
    if not enabled or total <= 0:
        yield from tasks
        return
    display = ProgressDisplay(total, title, file, step_percent)
    try:
        for task in tasks:
            yield task
            display.update()
    finally:
        display.close()
