# The contact map of a photo from S: time and peak memory of what predict_by_feat does
# against the resize of all 18 planes followed by the argmax.
"""Time and peak memory of the contact map's post-processing at photo sizes.

    python tools/benchmarks/benchmark_postprocess.py --photos 1200 900 6048 4024 --runs 5

For each photo (W H), S has the size PaIR-Net gives it: (1, 18, h, w) logits at the test
resize (the longer side to at most 1333, the shorter to at most 800, as the configs'
``Resize``) padded to a multiple of 32, smooth as a decoder gives them (random at 1/16 of
the size, upsampled) and no contact on about 80 % of the pixels. Two ways to the contact
map at the photo's size are timed: ``BaseContactHead.predict_by_feat`` (the argmax at S's
resolution, only the borders between labels interpolated) and the one-shot
``F.interpolate`` of all planes then ``argmax``. Each measurement runs in a fresh process,
the two ways in turn, ``--runs`` times: the time of one call, and the process's peak
resident memory (``resource.getrusage``) before and after the call. Medians over the
runs; the load average of the machine is printed with them.
"""
import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHILD = r'''
import resource, sys, time
import torch
import torch.nn.functional as F
from pair_plugin.models.heads.base_contact_head import BaseContactHead
method, photo_w, photo_h, in_h, in_w, pad_h, pad_w = sys.argv[1:8]
photo = (int(photo_h), int(photo_w))
torch.set_num_threads(int(sys.argv[8]))
# smooth logits, as a decoder gives them (random at 1/16 of the size, upsampled), with
# no contact ahead on most pixels (about 80 %), as a trained model's
coarse = 3 * torch.randn(1, 18, -(-int(pad_h) // 16), -(-int(pad_w) // 16),
                         generator=torch.Generator().manual_seed(0))
coarse[:, 0] += 6
logits = F.interpolate(coarse, size=(int(pad_h), int(pad_w)), mode='bilinear')
meta = dict(img_shape=(int(in_h), int(in_w)), ori_shape=photo)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if method == 'planes':
    labels = BaseContactHead.predict_by_feat(logits, [meta])[0].sem_seg
else:
    crop = logits[:, :, :int(in_h), :int(in_w)]
    labels = F.interpolate(crop, size=photo, mode='bilinear', align_corners=False).argmax(1)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert tuple(labels.shape[-2:]) == photo
print(seconds, before / 1024, after / 1024)
'''

METHODS = {'planes': 'predict_by_feat', 'one-shot': 'all planes resized, argmax'}


def test_size(photo_w: int, photo_h: int, long_side: int = 1333, short_side: int = 800):
    """(h, w) of the image after the test resize (keep ratio), and its padded size."""
    scale = min(long_side / max(photo_w, photo_h), short_side / min(photo_w, photo_h))
    h, w = int(photo_h * scale + 0.5), int(photo_w * scale + 0.5)
    return (h, w), (-(-h // 32) * 32, -(-w // 32) * 32)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--photos',
        type=int,
        nargs='+',
        default=[1200, 900, 6048, 4024],
        metavar='W H',
        help='pairs of photo (width, height)')
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    if len(args.photos) % 2:
        parser.error('--photos takes pairs of W H')
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    lines = [
        '| photo (W x H) | S (h x w) | method | time (ms) | peak memory (MiB) | '
        'increase by the call (MiB) |', '| --- | --- | --- | ---: | ---: | ---: |'
    ]
    for i in range(0, len(args.photos), 2):
        photo_w, photo_h = args.photos[i:i + 2]
        (h, w), (pad_h, pad_w) = test_size(photo_w, photo_h)
        results = {method: [] for method in METHODS}
        loads = [os.getloadavg()[0]]
        for _ in range(args.runs):
            for method in METHODS:
                out = subprocess.run([
                    sys.executable, '-c', CHILD, method,
                    str(photo_w),
                    str(photo_h),
                    str(h),
                    str(w),
                    str(pad_h),
                    str(pad_w),
                    str(args.threads)
                ],
                                     env=env,
                                     check=True,
                                     capture_output=True,
                                     text=True).stdout.split()
                results[method].append([float(v) for v in out[-3:]])
            loads.append(os.getloadavg()[0])
        for method, label in METHODS.items():
            seconds, before, after = (statistics.median(v) for v in zip(*results[method]))
            lines.append(f'| {photo_w} x {photo_h} | {pad_h} x {pad_w} | {label} | '
                         f'{1e3 * seconds:.0f} | {after:.0f} | {after - before:.0f} |')
        print(
            f'{photo_w}x{photo_h}: load average (1 min) {min(loads):.1f}-{max(loads):.1f}',
            flush=True)
    print('\n'.join(lines))
    print(f'\nMedian of {args.runs} fresh processes per row, {args.threads} threads, '
          'the two methods in turn.')


if __name__ == '__main__':
    main()
