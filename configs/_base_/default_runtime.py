# Runtime settings shared by every pair_plugin config.
default_scope = 'pair_plugin'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # mmengine's LoggerHook, with the test metrics JSON written by the main process only
    # (mmengine's own writes it from every rank to one path: a race under dist_test.sh)
    logger=dict(type='MainProcessLoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook with atomic writes and sha256 sidecars, removing outdated
    # checkpoints only after the new one is complete (a kill leaves one to resume from)
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PaIRVisualizationHook'))

# checkpoints carry the random generators' states, so a resumed run continues exactly
custom_hooks = [dict(type='RandomStateHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # nccl, for GPUs
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
# no fixed `name` (mmdet's configs give 'visualizer'): mmengine keeps one visualizer per name
# in a process, so a second Runner would write its scalars into the first one's folder;
# unnamed, each Runner's visualizer is named after its run
visualizer = dict(type='PaIRVisualizer', vis_backends=vis_backends)
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False
