# The paper's optimiser (AdamW, lr 1e-4, weight decay 1e-4, gradient clip 0.1, backbone
# lr x0.1 as GEN-VLKT) for a total batch of 32 (4 per GPU x 8 GPUs). The paper does not give
# the length of its schedule: 90 epochs with a x0.1 drop at 60 are GEN-VLKT's and CDN's.
max_epochs = 90

optim_wrapper = dict(
    type='OptimWrapper',
    # the paramwise settings in one parameter group per distinct setting rather than one
    # per parameter: the same updates, fewer optimiser kernels (docs/model.md)
    constructor='GroupedOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))

param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[60], gamma=0.1)
]

# mmengine's EpochBasedTrainLoop, continuing a resumed epoch where its checkpoint stopped
train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# `tools/train.py --auto-scale-lr` scales lr by (GPUs x batch per GPU) / 32
auto_scale_lr = dict(enable=False, base_batch_size=32)
