# PaIR-Net with a ResNet-101 backbone (74.6 M parameters in the paper).
_base_ = ['./pairnet_r50.py']

model = dict(
    backbone=dict(
        depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
