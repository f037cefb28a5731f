# Table 1, "DisTrans + LinkNet": DisTrans (TED-Net, configs/two_model/distrans_r50_pair1.py)
# and LinkNet-R50 (configs/two_model/linknet_r50_pair1.py), each on its own ResNet-50, run on
# the same images (TwoModelPipeline). 47.04 + 31.27 = 78.31 M parameters; the paper's 120.4 M
# implies a larger LinkNet than smp's LinkNet-R50 (docs/model.md, "Comparison systems").
# Training, the checkpoints and the test commands: configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(contact_segmenter=dict(config='configs/two_model/linknet_r50_pair1.py'))
