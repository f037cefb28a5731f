# The small PaIR-Net on the synthetic set: the main job's config (`make demo`), a short
# schedule (26 epochs) that learns on a CPU; results: docs/benchmarks.md.
# Data:  python tools/data/generate_synthetic.py --out data/synthetic
# Train: python tools/train.py configs/pairnet_r18_synthetic.py
# Curve: python tools/benchmarks/train_synthetic.py
_base_ = [
    './_base_/models/pairnet_r18_small.py', './_base_/datasets/synthetic_pair.py',
    './_base_/schedules/schedule_synthetic.py', './_base_/default_runtime.py'
]

model = dict(
    # ResNet-18 at a quarter of its width (16 base channels), from scratch, and only its
    # first three stages: F_B is stage 3's 64 channels at stride 16 instead of stage 4's
    # 128 at stride 32, twice the resolution for the small objects of these images (a
    # cup is about 12 px, a ball 20); the in_channels of CPAM, both heads and the
    # Mask-Guided RoI Feature to match, and a PGCS decoder to match (64 -> 32 -> 16 -> 16,
    # stride 16 -> 2, S at the input size)
    backbone=dict(
        base_channels=16, num_stages=3, out_indices=(2, ), strides=(1, 2, 2), dilations=(1, 1, 1)),
    cpam=dict(in_channels=64),
    contact_head=dict(
        in_channels=64,
        channels=(32, 16, 16),
        # contact is about 1 % of the pixels: background weighted 0.1 in the
        # cross-entropy, without which a model this young predicts no contact at all
        loss=dict(class_weight=[0.1] + [1.0] * 17),
        # the classifier starts where that weighted cross-entropy settles when nothing
        # is known (no contact 0.9, the parts sharing the rest) instead of at the
        # paper's zero bias, so the first epochs are not spent learning that contact
        # is rare
        background_prior=0.9),
    # the batch in channels_last (NHWC) memory layout, which torch's convolutions keep
    channels_last=True,
    # an image holds at most 3 pairs: 8 pair queries, and 3 query groups in training
    # (Group DETR: each ground-truth pair supervises one query of each group;
    # inference decodes the first group only); the synthetic metainfo: 80 COCO objects,
    # 10 actions
    interaction_head=dict(
        in_channels=64,
        num_object_classes=80,
        num_actions=10,
        transformer=dict(num_queries=8, num_groups=3)),
    mask_guided_feature=dict(in_channels=64),
    # alpha = 1 (the paper: 0.1, with a pretrained backbone): from scratch, the backbone
    # must learn to find people and objects, so L_match weighs as much as the contact
    # losses (beta = 0.5 unchanged)
    match_loss_weight=1.0)

# validation, testing and the saved checkpoints use an exponential moving average of the
# weights (time constant about 200 iterations): a short run at a high learning rate is
# noisy from one iteration to the next, and the average is what it has learned
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(
        type='EMAHook',
        ema_type='ExpMomentumEMA',
        momentum=0.005,
        gamma=200,
        update_buffers=True,
        priority='ABOVE_NORMAL')
]

# a fixed seed (other seeds: --cfg-options randomness.seed=N; trained from scratch for a
# short schedule, the results spread by seed: docs/benchmarks.md)
randomness = dict(seed=0)

# loss curves with 10-iteration resolution (tools/analysis/plot_curves.py); pictures
# (tools/test.py --show-dir) from a triplet score of 0.2: a model trained this briefly
# scores its triplets low
default_hooks = dict(logger=dict(interval=10), visualization=dict(score_thr=0.2))
