# Table 3, row "+H-O": +CPAM plus PGCS's H-O RoI Enhancer.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(mask_guided_feature=None)
