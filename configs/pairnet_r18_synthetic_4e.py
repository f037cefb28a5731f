# The small PaIR-Net on the synthetic set for 4 epochs instead of 26: the whole main job
# (PAIR_CONFIG=configs/pairnet_r18_synthetic_4e.py make demo) took 2.5 minutes on a 2-core
# Intel Xeon with the data already generated (3-5 minutes for the stride-32 recipe of
# before), to check a set-up end to end. The losses fall, but 4 epochs find little
# interaction or contact yet (test mAP 0.7, C-Acc 5.5; 64 triplets above the drawing
# threshold, on 27 of the 100 test images); the full schedule
# (configs/pairnet_r18_synthetic.py) is what docs/benchmarks.md measures.
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
