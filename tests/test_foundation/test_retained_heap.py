"""retain_freed_memory: a freed 20 MB block stays in the process's heap."""
import subprocess
import sys

import pytest

from pair_plugin.engine import retain_freed_memory

# run in a fresh interpreter: the settings are process-wide, and a fresh process still has
# glibc's defaults (mmap threshold 128 kB), so the first 20 MB block is mapped afresh
PROBE = r'''
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks',
        'uordblks', 'fordblks', 'keepcost')]
libc = ctypes.CDLL('libc.so.6')
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == 'retain':
    from pair_plugin.engine import retain_freed_memory
    assert retain_freed_memory()
before = libc.mallinfo2()
block = libc.malloc(20 * 1024**2)
during = libc.mallinfo2()
libc.free(block)
after = libc.mallinfo2()
print(during.hblkhd - before.hblkhd, during.arena - before.arena, after.arena - before.arena,
      after.fordblks - before.fordblks)
'''


def _probe(mode):
    out = subprocess.run([sys.executable, '-c', PROBE, mode], capture_output=True,
                         text=True, check=True).stdout.split()
    return [int(v) for v in out]


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc only')
def test_freed_block_stays_in_the_heap():
    try:
        mapped, grown, kept, free = _probe('default')
    except subprocess.CalledProcessError as err:
        pytest.skip(f'no glibc mallinfo2 here: {err.stderr[-200:]}')
    mb = 1024**2
    # glibc's default: the block is mapped on its own, nothing stays in the heap
    assert mapped >= 20 * mb and kept < 20 * mb
    mapped, grown, kept, free = _probe('retain')
    # retained: the block comes from the heap, which keeps it free after the free()
    # (the heap grows by the block less what it already had free)
    assert mapped == 0 and grown >= 19 * mb
    assert kept >= 19 * mb and free >= 19 * mb


def test_no_effect_off_linux(monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'darwin')
    assert retain_freed_memory() is False
