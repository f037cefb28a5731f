# Table 1, "RCLTrans + UNet": RCLTrans (MUREN, configs/two_model/rcltrans_r50_pair1.py) and
# UNet-R50 (configs/two_model/unet_r50_pair1.py), each on its own ResNet-50, run on the same
# images (TwoModelPipeline). 75.24 + 32.51 = 107.75 M parameters (paper 107.7 M). Training,
# the checkpoints and the test commands: configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(hoi_detector=dict(config='configs/two_model/rcltrans_r50_pair1.py'))
