# Table 1, "DisTrans + MANet": DisTrans (TED-Net, configs/two_model/distrans_r50_pair1.py) and
# MA-Net-R50 (configs/two_model/manet_r50_pair1.py), each on its own ResNet-50, run on the
# same images (TwoModelPipeline). 47.04 + 147.38 = 194.43 M parameters; the paper's 236.6 M
# implies a larger MA-Net than smp's MAnet-R50 (docs/model.md, "Comparison systems").
# Training, the checkpoints and the test commands: configs/two_model/distrans+unet_r50_pair1.py.
_base_ = ['./distrans+unet_r50_pair1.py']

model = dict(contact_segmenter=dict(config='configs/two_model/manet_r50_pair1.py'))
