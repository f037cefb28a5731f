# PaIR-Net, ResNet-50, PaIR-2 (Table 2, "Ours, ResNet-50": 55.5 M parameters).
# Recipe as the paper: AdamW lr 1e-4 (backbone x0.1), weight decay 1e-4, gradient clip 0.1,
# 4 images per GPU x 8 GPUs (schedule_90e.py). The backbone's ImageNet weights are downloaded
# once into torch's hub cache (offline: docs/model.md, "Pretrained weights"); the IIM encoder
# can start from DETR (tools/model_converters/detr_to_pairnet.py, then
# `--cfg-options load_from=<the converted file>`).
_base_ = [
    './_base_/models/pairnet_r50.py', './_base_/datasets/pair2.py',
    './_base_/schedules/schedule_90e.py', './_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=4)
