# The synthetic PaIR set (python tools/data/generate_synthetic.py --out data/synthetic):
# 256-px-wide procedural scenes, 10 actions on 8 COCO objects, 17-part contact masks.
dataset_type = 'PaIRDataset'
data_root = 'data/synthetic/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PaIRRandomFlip', prob=0.5),
    dict(type='RandomResize', scale=[(384, 224), (384, 288)], keep_ratio=True),
    dict(type='PhotoMetricDistortion', brightness_delta=24,
         contrast_range=(0.75, 1.25), saturation_range=(0.75, 1.25),
         hue_delta=10),
    dict(type='PackPaIRInputs')
]
# ground truth is loaded after the resize: it stays at the original size for the metrics
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(384, 256), keep_ratio=True),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PackPaIRInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
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
    num_workers=2,
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
    num_workers=2,
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
