"""Keep glibc's allocator from giving freed memory back to the OS (steadier CPU timings).

By default glibc's ``malloc`` maps large blocks afresh from the kernel and gives the top
of its heap back once enough of it is free. A CPU forward of a detector at 640×640 makes
and frees tens of tensors of 5-30 MB, so it pays page faults (and the kernel's zeroing
of the new pages) on every call, and how many depends on what the process did before.
Measured (``docs/benchmarks.md``): a ResNet-50 backbone at 640×640 took 0.49-0.51 s, and
0.41-0.44 s after a FLOP count had traced the model once or with these settings.
"""
import ctypes
import ctypes.util
import sys

#: ``mallopt`` parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: the largest mmap threshold glibc accepts on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
MAX_MMAP_THRESHOLD = 32 * 1024**2
#: the largest ``int``: the top of the heap is never trimmed
NEVER_TRIM = 2**31 - 1


def retain_freed_memory(mmap_threshold: int = MAX_MMAP_THRESHOLD,
                        trim_threshold: int = NEVER_TRIM) -> bool:
    """Serve blocks up to ``mmap_threshold`` bytes from the heap and never trim it.

    The same as starting the process with ``MALLOC_MMAP_THRESHOLD_=33554432
    MALLOC_TRIM_THRESHOLD_=2147483647``, but from inside it. The process keeps its peak
    heap instead of returning memory to the OS between iterations. Blocks larger than
    32 MB are still mapped afresh (glibc's limit).

    Args:
        mmap_threshold (int): blocks of this many bytes or fewer come from the heap.
            Defaults to 32 MB.
        trim_threshold (int): free bytes at the top of the heap before glibc gives them
            back. Defaults to the largest ``int`` (never).

    Returns:
        bool: True when glibc took both settings; False where the C library is not glibc
        (macOS, Windows, musl), and nothing changes.
    """
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)
                and mallopt(M_TRIM_THRESHOLD, trim_threshold))
