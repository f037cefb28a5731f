# Table 1, "DisTrans + UNet" (contact half): UNet-R50 on its own on PaIR-1, a contact-only
# model (ContactSegmenter). Same data, schedule and runtime as configs/pairnet_r50_pair1.py.
# HOIMetric stays in the evaluator and says in one log line that this model predicts no
# triplets; ContactMetric gives SC-Acc., C-Acc., mIoU and wIoU. The HOI half is an
# interaction detector trained on its own (configs/two_model/).
_base_ = [
    '../_base_/models/contact_segmenter_r50.py', '../_base_/datasets/pair1.py',
    '../_base_/schedules/schedule_90e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=4)
