# The synthetic PaIR set (python tools/data/generate_synthetic.py --out data/synthetic):
# 256-px-wide procedural scenes (192-320 px high), 10 actions on 8 COCO objects, 17-part
# contact masks. Images are used at about their own size: training jitters the scale
# (long side <= 288, short side 192-224), testing fits them in 288 x 224: upscaling would
# cost the CPU time that a short schedule needs for iterations.
dataset_type = 'PaIRDataset'
data_root = 'data/synthetic/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PaIRRandomFlip', prob=0.5),
    dict(type='RandomResize', scale=[(288, 192), (288, 224)], keep_ratio=True),
    dict(type='PackPaIRInputs')
]
# ground truth is loaded after the resize: it stays at the original size for the metrics
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(288, 224), keep_ratio=True),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PackPaIRInputs')
]

# training loads in the main process: the images are small, and on a 2-core machine a
# loader worker takes a core from the model. On a larger machine, num_workers=2+.
# Validation and testing keep one worker (nothing else runs then).
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        filter_cfg=dict(filter_empty_interactions=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val.json',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test.json',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

# rare/non-rare HOI categories and the wIoU part weights come from the training split
val_evaluator = [
    dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json'),
    dict(type='ContactMetric', train_ann_file=data_root + 'annotations/train.json'),
]
test_evaluator = val_evaluator
