# The small PaIR-Net on the synthetic set for 40 epochs instead of 26: the same recipe given
# more time.
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
