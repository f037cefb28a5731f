"""HOIMetric and ContactMetric in a real 2-process (gloo, CPU) evaluation: every sample
counted once although the distributed sampler pads 7 samples to 8."""
import json

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from evaluation_samples import META, contact_sample, random_hoi_image, sample_from_random

from pair_plugin.evaluation import ContactMetric, HOIMetric

NUM_SAMPLES = 7


def make_samples():
    rng = np.random.default_rng(3)
    samples = []
    for i in range(NUM_SAMPLES):
        gt, pred = random_hoi_image(rng, 4, 3, 20)
        sample = sample_from_random(gt, pred, name=f'{i}.jpg')
        gt_map = rng.integers(0, 18, (6, 8))
        pred_map = np.where(rng.random((6, 8)) < 0.5, gt_map, rng.integers(0, 18, (6, 8)))
        sample.update(contact_sample(pred_map, gt_map, annotated=i != 2, name=f'{i}.jpg'))
        samples.append(sample)
    return samples


def evaluate(samples, size):
    hoi = HOIMetric(rare_categories=[[0, 1], [1, 1], [2, 2]])
    hoi.dataset_meta = dict(META, objects=META['objects'][:3])
    contact = ContactMetric(part_weights='hot')
    for start in range(0, len(samples), 2):
        batch = samples[start:start + 2]
        hoi.process({}, batch)
        contact.process({}, batch)
    return dict(**hoi.evaluate(size), **contact.evaluate(size))


def worker(rank, store, out_file):
    dist.init_process_group('gloo', init_method=f'file://{store}', rank=rank, world_size=2)
    samples = make_samples()
    # torch's DistributedSampler without shuffling: rank r takes r, r + 2, ... padded
    # with the first indices to the same length on every rank
    sampler = torch.utils.data.DistributedSampler(
        range(NUM_SAMPLES), num_replicas=2, rank=rank, shuffle=False)
    metrics = evaluate([samples[i] for i in sampler], NUM_SAMPLES)
    if rank == 0:
        with open(out_file, 'w') as f:
            json.dump(metrics, f)
    dist.destroy_process_group()


def test_two_process_evaluation_counts_each_sample_once(tmp_path):
    out_file = tmp_path / 'metrics.json'
    mp.spawn(worker, args=(str(tmp_path / 'store'), str(out_file)), nprocs=2)
    distributed = json.loads(out_file.read_text())
    single = evaluate(make_samples(), NUM_SAMPLES)
    assert distributed == pytest.approx(single, abs=1e-12)
    padded = make_samples()
    padded.append(padded[0])  # what counting the padding would do
    assert evaluate(padded, NUM_SAMPLES + 1) != pytest.approx(single)
