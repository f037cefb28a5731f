# Table 1, "DisTrans + PIHOT" (contact half): PIHOT (Wang et al., AAAI 2025; code
# YuxiaoWang-AI/PIHOT) on its own on PaIR-1, a contact-only model (ContactSegmenter), as its
# code builds it: the dilated ResNet-50 of configs/two_model/hot_r50_pair1.py inside
# PIHOTBackbone (person segmenter -> dilated mask -> inpainter, depth estimator; the same
# ResNet-50 on the image and on the restored image) and PIHOT's decoder (PIHOTContactHead).
# 49.82 M trainable parameters; the paper's row implies 158.6 - 47.3 = 111.3 M, which no
# reading of the public code reproduces (docs/model.md, "Comparison systems").
#
# The three frozen networks are not trained and cannot be downloaded here: give their
# weights (docs/model.md, "PIHOT"), e.g.
#   --cfg-options model.backbone.depth_estimator.checkpoint=zoedepth_n.pt \
#                 model.backbone.inpainter.checkpoint=big-lama.pt \
#                 model.backbone.person_segmenter.checkpoint=person_seg.pt
# The model refuses to build without them.
_base_ = ['./hot_r50_pair1.py']

_mean = [123.675, 116.28, 103.53]
_std = [58.395, 57.12, 57.375]

model = dict(
    data_preprocessor=dict(mean=_mean, std=_std),
    backbone=dict(
        _delete_=True,
        type='PIHOTBackbone',
        backbone={{_base_.model.backbone}},
        # TorchScript (or *.pt2 torch.export) files, or checkpoints of a registered
        # architecture given as `network`; see docs/model.md, "PIHOT" for each contract
        depth_estimator=dict(type='FrozenPretrainedNetwork', checkpoint=None),  # ZoeDepth
        inpainter=dict(type='FrozenPretrainedNetwork', checkpoint=None),  # Big-LaMa
        person_segmenter=dict(
            type='FrozenPretrainedNetwork', checkpoint=None, mean=_mean, std=_std),
        mean=_mean,
        std=_std,
        person_thr=0.5,
        mask_dilation=30),
    contact_head=dict(
        _delete_=True,
        type='PIHOTContactHead',
        in_channels=(1, 2048, 2048),
        in_index=(0, 1, -1),
        channels=512,
        num_heads=8,
        attn_size=(15, 15),
        attn_scale=0.1,
        depth_scale=1 / 3,
        roi_enhancer=None,
        loss=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            class_weight=[0.02] + [1.0] * 17,
            ignore_index=255,
            avg_non_ignore=True,
            loss_weight=1.0)))
