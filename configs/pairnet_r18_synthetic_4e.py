# The small PaIR-Net on the synthetic set for 4 epochs instead of 26, to check a set-up end
# to end (PAIR_CONFIG=configs/pairnet_r18_synthetic_4e.py make demo): the losses fall, but
# 4 epochs find little interaction or contact yet.
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
