# Table 1, "Trans + UNet", at the synthetic scale: Trans (configs/two_model/trans_r18_synthetic.py)
# and UNet (configs/two_model/unet_r18_synthetic.py), each on its own quarter-width ResNet-18,
# run on the same images (TwoModelPipeline). Each half trains on its own; then
#   python tools/model_converters/two_models_to_pipeline.py \
#       configs/two_model/trans+unet_r18_synthetic.py work_dirs/trans/epoch_26.pth \
#       work_dirs/unet/epoch_26.pth work_dirs/trans+unet.pth
#   python tools/test.py configs/two_model/trans+unet_r18_synthetic.py work_dirs/trans+unet.pth
# Results over seeds: docs/benchmarks.md, "The paper's claims on the synthetic set".
_base_ = [
    '../_base_/datasets/synthetic_pair.py', '../_base_/schedules/schedule_synthetic.py',
    '../_base_/default_runtime.py'
]

model = dict(
    type='TwoModelPipeline',
    hoi_detector=dict(config='configs/two_model/trans_r18_synthetic.py', checkpoint=None),
    contact_segmenter=dict(config='configs/two_model/unet_r18_synthetic.py', checkpoint=None))
