# Table 3, row "baseline", at the synthetic scale (configs/pairnet_r18_synthetic.py's
# backbone, widths, schedule and recipe): PGCS without the H-O RoI Enhancer and without
# CPAM / Body Attention, IIM without the Mask-Guided RoI Feature. Results over seeds:
# docs/benchmarks.md, "The paper's claims on the synthetic set".
_base_ = ['../pairnet_r18_synthetic.py']

model = dict(
    cpam=None, contact_head=dict(roi_enhancer=None, body_attention=None), mask_guided_feature=None)
