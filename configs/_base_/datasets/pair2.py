# PaIR-2 (What-Meets-Where, AAAI 2026): the same pipelines, loaders and metrics as PaIR-1
# (pair1.py), with the data at data/pair2/: images/, masks/, annotations/{train,test}.json.
_base_ = ['./pair1.py']

data_root = 'data/pair2/'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json'),
    dict(type='ContactMetric', train_ann_file=data_root + 'annotations/train.json'),
]
test_evaluator = val_evaluator
