# Table 3, row "+CPAM": the baseline plus CPAM and PGCS's Body Attention.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(contact_head=dict(roi_enhancer=None), mask_guided_feature=None)
