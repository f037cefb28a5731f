# The small PaIR-Net on the synthetic set for 40 epochs instead of 32: the same recipe given
# more time (its first 31 epochs are the 32-epoch run's: same seed, same lr until then).
# With the earlier recipe (16 pair queries, one group: --cfg-options
# model.iim.num_queries=16 model.iim.num_groups=1) it took 40 minutes on 2 CPU cores (an
# Intel Xeon) and ended at 33.5 HOI mAP and 76.1 C-Acc on the validation split
# (docs/benchmarks.md, "A longer schedule").
#   python tools/benchmarks/train_synthetic.py configs/pairnet_r18_synthetic_40e.py
_base_ = ['./pairnet_r18_synthetic.py']

max_epochs = 40
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
train_cfg = dict(max_epochs=max_epochs)
