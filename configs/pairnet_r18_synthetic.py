# The small PaIR-Net (ResNet-18 from scratch, narrow heads) on the synthetic set: trains on a
# CPU in minutes. Data: python tools/data/generate_synthetic.py --out data/synthetic
# Train: python tools/train.py configs/pairnet_r18_synthetic.py
_base_ = [
    './_base_/models/pairnet_r18_small.py', './_base_/datasets/synthetic_pair.py',
    './_base_/schedules/schedule_synthetic.py', './_base_/default_runtime.py'
]

# the synthetic metainfo: 80 COCO objects, 10 actions
model = dict(iim=dict(num_object_classes=80, num_actions=10))
