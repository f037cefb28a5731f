"""How many threads torch uses when PaIR-Net trains or evaluates on the CPU."""
import os
from typing import Optional

import torch
from mmengine.logging import print_log


def set_cpu_threads(device_is_cpu: bool) -> Optional[int]:
    """Half of the CPU cores (at least one), unless ``OMP_NUM_THREADS`` says otherwise.

    torch uses every core by default. Its threads meet at a barrier after each operation,
    so one thread that another process has pushed off its core stalls all of them: on a
    2-core machine with a second busy process, two threads were about twice as slow
    as one (docs/get_started.md, "Threads"), and one thread beside an idle core costs
    less than that. The tests and the main job use one thread for the same reason.

    Args:
        device_is_cpu (bool): whether the model runs on the CPU; on an accelerator
            nothing is changed.

    Returns:
        int or None: the number of threads set, None when nothing was changed (an
        accelerator, or ``OMP_NUM_THREADS`` given).
    """
    if not device_is_cpu or os.environ.get('OMP_NUM_THREADS'):
        return None
    threads = max(1, (os.cpu_count() or 1) // 2)
    torch.set_num_threads(threads)
    print_log(
        f'CPU threads: {threads} of {os.cpu_count()} cores (set OMP_NUM_THREADS '
        'to choose)',
        logger='current')
    return threads
