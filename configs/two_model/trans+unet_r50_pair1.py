# Table 1, "Trans + UNet": Trans (QPIC, configs/two_model/trans_r50_pair1.py) and UNet-R50
# (configs/two_model/unet_r50_pair1.py), each on its own ResNet-50, run on the same images
# (TwoModelPipeline). 41.74 + 32.51 = 74.24 M parameters (paper 74.0 M). Training, the
# checkpoints and the test commands: configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(hoi_detector=dict(config='configs/two_model/trans_r50_pair1.py'))
