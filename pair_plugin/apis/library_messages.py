"""Silencing known, harmless messages of the export and quantization libraries, and only
those, only while our call into the library runs.

Each message is named with why it is harmless where it is dropped; every other message
of the same library still shows.
"""
import logging
import warnings
from contextlib import contextmanager
from typing import Iterator, Sequence


class _DropMessages(logging.Filter):
    """Drops the log records whose message starts with one of ``starts``."""

    def __init__(self, starts: Sequence[str]) -> None:
        super().__init__()
        self.starts = tuple(starts)

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.starts)


@contextmanager
def dropped_log_messages(logger_name: str, starts: Sequence[str]) -> Iterator[None]:
    """Within the block, drop the records logged on ``logger_name`` (``''``: the root
    logger) whose message starts with one of ``starts``.

    A logger's filter sees the records logged on that logger itself, not those that
    propagate to it from its children, so only the named logger's messages are touched.
    """
    logger = logging.getLogger(logger_name)
    drop = _DropMessages(starts)
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


@contextmanager
def logger_level(logger_name: str, level: int) -> Iterator[None]:
    """Within the block, ``logger_name`` logs only records of ``level`` and above."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


@contextmanager
def dropped_warnings(message_regex: str, category: type = UserWarning) -> Iterator[None]:
    """Within the block, ignore the warnings of ``category`` whose message matches
    ``message_regex`` (from its start)."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=message_regex, category=category)
        yield
