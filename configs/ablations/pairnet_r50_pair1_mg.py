# Table 3, row "+M-G": +H-O plus the Mask-Guided RoI Feature, i.e. the full PaIR-Net
# (identical to configs/pairnet_r50_pair1.py).
_base_ = ['../pairnet_r50_pair1.py']
