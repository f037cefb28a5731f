# The small PaIR-Net on the synthetic set for 4 epochs instead of 12: about 5 minutes on a
# 2-core CPU. This is what `make demo` (tools/main_job.sh) trains: long enough to see the
# losses fall and the first interactions and contacts found, short enough for a first
# run. The full schedule (configs/pairnet_r18_synthetic.py) learns more: see
# docs/benchmarks.md, "Learning on the synthetic set".
_base_ = ['./pairnet_r18_synthetic.py']

max_epochs = 4
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
