"""Run tools/train.py or tools/test.py as one process of a torchrun job on a machine
without a GPU, for the distributed tests:

    python -m torch.distributed.run --nproc_per_node 2 --master_port PORT \
        tests/test_e2e/gloo_launch.py tools/train.py CONFIG [args...]

mmengine's ``init_dist`` selects a CUDA device first, which fails without one, and its
Runner wraps the model in DDP with ``device_ids=[LOCAL_RANK]``, which DDP refuses for a
module on the CPU. The Runner skips ``init_dist`` when a process group exists, so this
starts a gloo group itself, then runs the tool with ``--launcher pytorch`` and DDP told to
keep the model on the CPU (``model_wrapper_cfg.device_ids=None``), and destroys the group
when the tool returns.
"""
import runpy
import sys

import torch.distributed as torch_dist


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
    try:
        runpy.run_path(tool, run_name='__main__')
    finally:
        # without it, gloo's worker threads can outlive the interpreter's teardown and
        # abort the process ('terminate called without an active exception', exit -6)
        # after the tool has finished
        torch_dist.destroy_process_group()


if __name__ == '__main__':
    main()
