# Table 1, "DisTrans + PIHOT": DisTrans (TED-Net, configs/two_model/distrans_r50_pair1.py) and
# PIHOT (configs/two_model/pihot_r50_pair1.py, on a dilated ResNet-50), each on its own
# backbone, run on the same images (TwoModelPipeline). 47.04 + 49.82 = 96.86 M trainable
# parameters; the paper's 158.6 M is not reproduced by PIHOT's public code (docs/model.md,
# "Comparison systems"). Training, the checkpoints and the test commands:
# configs/two_model/distrans+unet_r50_pair1.py.
#
# PIHOT's three frozen networks are not trained, not saved in checkpoints and cannot be
# downloaded here: give their weights (docs/model.md, "PIHOT") through the contact half's
# cfg_options, here or on the command line of tools/test.py and of the converter, e.g.
#   --cfg-options \
#     model.contact_segmenter.cfg_options.model.backbone.depth_estimator.checkpoint=zoedepth_n.pt \
#     model.contact_segmenter.cfg_options.model.backbone.inpainter.checkpoint=big-lama.pt \
#     model.contact_segmenter.cfg_options.model.backbone.person_segmenter.checkpoint=person_seg.pt
# The model refuses to build without them.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(
    contact_segmenter=dict(
        config='configs/two_model/pihot_r50_pair1.py',
        cfg_options=dict(
            model=dict(
                backbone=dict(
                    depth_estimator=dict(checkpoint=None),  # ZoeDepth
                    inpainter=dict(checkpoint=None),  # Big-LaMa
                    person_segmenter=dict(checkpoint=None))))))
