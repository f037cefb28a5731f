"""Run tools/train.py or tools/test.py as one process of a torchrun job on a machine
without a GPU, for the distributed tests:

    python -m torch.distributed.run --nproc_per_node 2 --master_port PORT \
        tests/test_e2e/gloo_launch.py tools/train.py CONFIG [args...]

mmengine's ``init_dist`` selects a CUDA device first, which fails without one, and its
Runner wraps the model in DDP with ``device_ids=[LOCAL_RANK]``, which DDP refuses for a
module on the CPU. The Runner skips ``init_dist`` when a process group exists, so this
starts a gloo group itself, then runs the tool with ``--launcher pytorch`` and DDP told to
keep the model on the CPU (``model_wrapper_cfg.device_ids=None``).

How the process ends matters. Once torch's DistributedDataParallel has been built on a
gloo group, the group outlives ``destroy_process_group()``: torch's C++ side keeps a
reference that Python cannot release (seen with a bare ``DDP(nn.Linear(3, 3))``: without
DDP the threads end at ``destroy_process_group()``, with it they do not), so the group's
three threads (``gloo_tcp_loop`` and two ``pt_gloo_runloop``) still run while the
interpreter finalizes and C++ static destructors run. That is where the ranks aborted
("terminate called without an active exception", exit -6, at random, after the tool had
finished): a foreign thread that touches the finalizing interpreter is ended by it with
``pthread_exit``, which aborts when it unwinds through C++ code. So the process never
finalizes with those threads: once the tool has returned and the group is destroyed, the
log files and output are flushed and the process ends with ``os._exit`` and the tool's exit
status.
"""
import logging
import os
import runpy
import sys
import traceback

import torch.distributed as torch_dist


def exit_status(exc: SystemExit) -> int:
    """The status ``sys.exit(code)`` would give: 0 for None, the int, or 1 after
    printing a message."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def main():
    tool, tool_args = sys.argv[1], sys.argv[2:]
    torch_dist.init_process_group(backend='gloo', init_method='env://')
    print(
        f'gloo_launch: rank {torch_dist.get_rank()} of '
        f'{torch_dist.get_world_size()} in a gloo process group',
        flush=True)
    sys.argv = [
        tool, *tool_args, '--launcher', 'pytorch', '--cfg-options',
        'model_wrapper_cfg.device_ids=None', 'env_cfg.dist_cfg.backend=gloo'
    ]
    status = 0
    try:
        runpy.run_path(tool, run_name='__main__')
    except SystemExit as exc:
        status = exit_status(exc)
    except BaseException:  # noqa: B902  (the tool's failure, reported as Python would)
        traceback.print_exc()
        status = 1
    finally:
        torch_dist.destroy_process_group()
    logging.shutdown()  # flushes and closes mmengine's log file handlers
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == '__main__':
    main()
