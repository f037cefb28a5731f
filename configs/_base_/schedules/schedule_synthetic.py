# A short schedule for the synthetic set on a CPU (results: docs/benchmarks.md). The paper's
# optimiser (AdamW, weight decay 1e-4, gradient clip 0.1) with a larger lr: the batch is
# small, the run is short, and the backbone trains from scratch (no pretrained weights), so
# it gets twice the base lr instead of the paper's x0.1. A 100-iteration warm-up, one x0.1 step
# for the last epoch. configs/pairnet_r18_synthetic_4e.py is the same shortened to 4 epochs
# (the step for its own last epoch).
max_epochs = 26
lr = 3e-4

optim_wrapper = dict(
    type='OptimWrapper',
    # one parameter group per distinct setting (here 2) instead of one per parameter:
    # the same updates, one log line per group
    constructor='GroupedOptimWrapperConstructor',
    # fused: torch's single-kernel AdamW over all parameters
    optimizer=dict(type='AdamW', lr=lr, weight_decay=1e-4, fused=True),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=2.0)}))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[max_epochs - 1],
        gamma=0.1)
]

# validation after every epoch: 100 images, a few seconds
# mmengine's EpochBasedTrainLoop, continuing a resumed epoch where its checkpoint stopped
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
