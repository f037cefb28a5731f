# Table 1, "DisTrans + UNet": the two-model pipeline (TwoModelPipeline) of DisTrans
# (configs/two_model/distrans_r50_pair1.py, an HOI detector on its own ResNet-50) and UNet-R50
# (configs/two_model/unet_r50_pair1.py, a contact segmenter on its own ResNet-50), run on the
# same test images: HOI metrics from the first, contact metrics from the second. Each half
# keeps its own data preprocessor; the test pipeline is this config's (PaIR-1's).
#
# Training is per model (each half has its own config and schedule); the two checkpoints
# then become one for tools/test.py / mim test:
#   python tools/train.py configs/two_model/distrans_r50_pair1.py --work-dir work_dirs/distrans
#   python tools/train.py configs/two_model/unet_r50_pair1.py --work-dir work_dirs/unet
#   python tools/model_converters/two_models_to_pipeline.py \
#       configs/two_model/distrans+unet_r50_pair1.py work_dirs/distrans/epoch_90.pth \
#       work_dirs/unet/epoch_90.pth work_dirs/distrans+unet.pth
#   python tools/test.py configs/two_model/distrans+unet_r50_pair1.py work_dirs/distrans+unet.pth
# or, without that file (PaIRInferencer(config)), model.hoi_detector.checkpoint and
# model.contact_segmenter.checkpoint load each half at build
# (docs/model.md, "Comparison systems"). Relative config paths are found as mim finds
# configs: the working directory, the repository, the installed package.
_base_ = [
    '../_base_/datasets/pair1.py', '../_base_/schedules/schedule_90e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    type='TwoModelPipeline',
    hoi_detector=dict(config='configs/two_model/distrans_r50_pair1.py', checkpoint=None),
    contact_segmenter=dict(config='configs/two_model/unet_r50_pair1.py', checkpoint=None))
