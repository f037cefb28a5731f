# "DisTrans" on its own (Tables 1-2, the first half of "DisTrans + UNet" and the other
# DisTrans rows): TED-Net (Wang, Liu & Lei, TCSVT 2024; code YuxiaoWang-AI/TED-Net, on
# GEN-VLKT) on its own ResNet-50, PaIR-1, as its code builds it on HICO-DET: DETR encoder (6
# layers), 64 pair queries, human and object decoders (3 layers each) with dispersal
# attention (a fixed 7x7 Gaussian, sigma 2), an interaction decoder (3 layers) guided by
# their dispersed copies, cosine object and action classifiers in a 512-d space, the action
# classifier reading the pair layout, the object class and the interaction features.
# GEN-VLKT's set loss and matcher (object class 1, actions 1, L1 2.5, GIoU 1; focal loss
# alpha 0.5 on the actions) on every stage. Not built: TED-Net's CLIP parts (the classifiers
# start from random unit rows unless text_embeddings are given; no CLIP feature distillation)
# and its 600 HOI-category classifier (actions instead): docs/model.md, "Comparison systems".
# HOI metrics only: the model predicts no contact.
# Same data, schedule and runtime as configs/pairnet_r50_pair1.py (TED-Net's own recipe: lr
# 1.5e-4, 120 epochs, 8 images x 2 GPUs, from a COCO-trained DETR).
_base_ = [
    '../_base_/models/hoi_detector_r50.py', '../_base_/datasets/pair1.py',
    '../_base_/schedules/schedule_90e.py', '../_base_/default_runtime.py'
]

_attn = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
_ffn = dict(
    embed_dims=256,
    feedforward_channels=2048,
    num_fcs=2,
    ffn_drop=0.1,
    act_cfg=dict(type='ReLU', inplace=True))

model = dict(
    interaction_head=dict(
        type='TEDHead',
        in_channels=2048,
        num_object_classes=80,
        num_actions=117,
        num_reg_fcs=2,
        embed_channels=512,
        logit_scale=1 / 0.07,
        # e.g. dict(objects='clip_objects.npy', actions='clip_actions.npy'): (81, 512) and
        # (117, 512) text embeddings of the class names, as TED-Net's CLIP initialisation
        text_embeddings=dict(),  # objects=, actions=: .npy files (docs/model.md)
        transformer=dict(
            type='TEDTransformer',
            num_queries=64,
            num_stages=3,
            positional_encoding=dict(num_feats=128, normalize=True),
            encoder=dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_attn, ffn_cfg=_ffn)),
            instance_decoder_layer=dict(
                self_attn_cfg=_attn,
                cross_attn_cfg=dict(_attn, kernel_size=7, sigma=2.0),
                ffn_cfg=_ffn),
            interaction_decoder_layer=dict(self_attn_cfg=_attn, cross_attn_cfg=_attn,
                                           ffn_cfg=_ffn)),
        loss_object_cls=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            bg_cls_weight=0.1,
            class_weight=1.0,
            loss_weight=1.0),
        # GEN-VLKT's / TED-Net's HOI loss: CornerNet's focal loss with alpha 0.5 x 2
        loss_action=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
        loss_bbox=dict(type='L1Loss', loss_weight=2.5),
        loss_iou=dict(type='GIoULoss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='HOIHungarianAssigner',
            match_costs=[
                dict(type='ClassificationCost', weight=1.0),
                dict(type='HOIActionCost', weight=1.0),
                dict(type='PairBBoxL1Cost', weight=2.5),
                dict(type='PairIoUCost', iou_mode='giou', weight=1.0)
            ])))

train_dataloader = dict(batch_size=4)

# an HOI-only model: the HOI metric (rare/non-rare from the training split), no contact metric
data_root = 'data/pair1/'
val_evaluator = [dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json')]
test_evaluator = val_evaluator
