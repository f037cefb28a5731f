# PaIR-Net, ResNet-101, PaIR-1 (Table 1: 74.6 M parameters).
# Recipe as the paper: AdamW lr 1e-4 (backbone x0.1), weight decay 1e-4, gradient clip 0.1,
# 4 images per GPU x 8 GPUs (schedule_90e.py). The backbone's ImageNet weights are downloaded
# once into torch's hub cache (offline: docs/model.md, "Pretrained weights"); the IIM encoder
# can start from DETR (tools/model_converters/detr_to_pairnet.py, then
# `--cfg-options load_from=<the converted file>`).
_base_ = [
    './_base_/models/pairnet_r101.py', './_base_/datasets/pair1.py',
    './_base_/schedules/schedule_90e.py', './_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=4)
