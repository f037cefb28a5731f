# PaIR-1 (What-Meets-Where, AAAI 2026) in the PaIR annotation format (docs/dataset.md),
# at data/pair1/: images/, masks/, annotations/{train,test}.json. PaIR has no validation
# split: validation runs on the test split, as HICO-DET practice.
# Augmentation as DETR/QPIC/CDN (the paper follows TED-Net): flip, colour jitter, and
# either a multi-scale resize (short side 480-800, long side at most 1333) or a resize,
# random crop and multi-scale resize; crops drop the pairs whose boxes leave the image.
dataset_type = 'PaIRDataset'
data_root = 'data/pair1/'
backend_args = None

multi_scales = [(1333, 480), (1333, 512), (1333, 544), (1333, 576), (1333, 608), (1333, 640),
                (1333, 672), (1333, 704), (1333, 736), (1333, 768), (1333, 800)]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PaIRRandomFlip', prob=0.5),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.6, 1.4),
        saturation_range=(0.6, 1.4),
        hue_delta=18),
    dict(
        type='RandomChoice',
        transforms=[[dict(type='RandomChoiceResize', scales=multi_scales, keep_ratio=True)],
                    [
                        dict(
                            type='RandomChoiceResize',
                            scales=[(1333, 400), (1333, 500), (1333, 600)],
                            keep_ratio=True),
                        dict(
                            type='PaIRRandomCrop',
                            crop_type='absolute_range',
                            crop_size=(384, 600),
                            allow_negative_crop=True),
                        dict(type='RandomChoiceResize', scales=multi_scales, keep_ratio=True)
                    ]]),
    dict(type='PackPaIRInputs')
]
# ground truth is loaded after the resize: it stays at the original size for the metrics
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadPaIRAnnotations', backend_args=backend_args),
    dict(type='PackPaIRInputs')
]

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
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
    batch_size=1,
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
test_dataloader = val_dataloader

# rare/non-rare HOI categories and the wIoU part weights come from the training split
val_evaluator = [
    dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json'),
    dict(type='ContactMetric', train_ann_file=data_root + 'annotations/train.json'),
]
test_evaluator = val_evaluator
