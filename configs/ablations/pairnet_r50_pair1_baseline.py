# Table 3, row "baseline": PGCS without the H-O RoI Enhancer and without CPAM / Body
# Attention, IIM without the Mask-Guided RoI Feature.
_base_ = ['../pairnet_r50_pair1.py']

model = dict(
    cpam=None, contact_head=dict(roi_enhancer=None, body_attention=None), mask_guided_feature=None)
