# Table 1, "DisTrans + HOT": DisTrans (TED-Net, configs/two_model/distrans_r50_pair1.py) and
# HOT (configs/two_model/hot_r50_pair1.py, on a dilated ResNet-50), each on its own backbone,
# run on the same images (TwoModelPipeline). 47.04 + 50.10 = 97.15 M parameters (paper
# 97.5 M). Training, the checkpoints and the test commands:
# configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(contact_segmenter=dict(config='configs/two_model/hot_r50_pair1.py'))
