# PaIR-Net, Swin-L, PaIR-1 (Table 1: 224.2 M parameters).
# Recipe as the paper: AdamW lr 1e-4 (backbone x0.1), weight decay 1e-4, gradient clip 0.1,
# 4 images per GPU x 8 GPUs (schedule_90e.py). The backbone's ImageNet weights are downloaded
# once into torch's hub cache (offline: docs/model.md, "Pretrained weights"); the IIM encoder
# can start from DETR (tools/model_converters/detr_to_pairnet.py, then
# `--cfg-options load_from=<the converted file>`).
_base_ = [
    './_base_/models/pairnet_swin-l.py', './_base_/datasets/pair1.py',
    './_base_/schedules/schedule_90e.py', './_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=4)

# no weight decay on Swin's position tables, as mmdet's Swin configs (mmengine takes the
# longest matching key, so these keep the backbone's lr x0.1)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'absolute_pos_embed': dict(lr_mult=0.1, decay_mult=0.),
            'relative_position_bias_table': dict(lr_mult=0.1, decay_mult=0.)
        }))
