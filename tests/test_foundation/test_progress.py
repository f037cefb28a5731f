"""pair_plugin.progress: a bar on a terminal, a few plain lines anywhere else."""
import io

import pytest

from pair_plugin.progress import ProgressDisplay, track_progress


class Terminal(io.StringIO):

    def isatty(self):
        return True


def test_without_a_terminal_one_line_per_step():
    out = io.StringIO()
    items = list(track_progress(range(95), title='checking', file=out))
    assert items == list(range(95))
    lines = out.getvalue().splitlines()
    assert '\r' not in out.getvalue()
    # steps of ceil(9.5) = 10 tasks: 10, 20, ..., 90, then the end
    assert [line.split(':')[1].split()[0]
            for line in lines] == [f'{n}/95' for n in (10, 20, 30, 40, 50, 60, 70, 80, 90, 95)]
    assert lines[-1].startswith('checking: 95/95 (100%), elapsed ')


def test_small_totals_and_coarse_steps():
    out = io.StringIO()
    display = ProgressDisplay(3, file=out, step_percent=50)
    for _ in range(3):
        display.update()
    display.close()
    assert [line.split(' ')[0] for line in out.getvalue().splitlines()] == ['2/3', '3/3']


def test_on_a_terminal_a_bar_that_ends_its_line():
    out = Terminal()
    list(track_progress(range(4), file=out))
    text = out.getvalue()
    assert text.count('\r') >= 4 and '4/4' in text and text.endswith('\n')


def test_disabled_or_empty_writes_nothing():
    out = io.StringIO()
    assert list(track_progress([1, 2], enabled=False, file=out)) == [1, 2]
    assert list(track_progress([], file=out)) == []
    assert out.getvalue() == ''
    with pytest.raises(ValueError, match='total must be > 0'):
        ProgressDisplay(0)
