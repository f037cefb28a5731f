# Table 1, "STTrans + UNet": STTrans (STIP, configs/two_model/sttrans_r50_pair1.py) and
# UNet-R50 (configs/two_model/unet_r50_pair1.py), each on its own ResNet-50, run on the same
# images (TwoModelPipeline). 54.76 + 32.51 = 87.27 M parameters (paper 87.2 M). Training, the
# checkpoints and the test commands: configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(hoi_detector=dict(config='configs/two_model/sttrans_r50_pair1.py'))
