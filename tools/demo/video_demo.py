# Run PaIR-Net on a video: the predictions drawn on every frame, written as a video.
"""PaIR-Net video demo (through :class:`pair_plugin.apis.PaIRInferencer`).

    python tools/demo/video_demo.py clip.mp4 configs/pairnet_r18_synthetic.py \\
        work_dirs/main_job/epoch_26.pth --out outputs/clip_pairnet.mp4
    # the exported graph in ONNX Runtime, 4 frames per forward pass
    python tools/demo/video_demo.py clip.mp4 configs/pairnet_r18_synthetic.py \\
        pairnet.onnx --backend onnxruntime --batch-size 4 --out outputs/clip.mp4

Frames are read with ``mmcv.VideoReader`` (any format OpenCV reads), each one drawn as
the image demo draws a picture (triplets above ``--score-thr``, the contact map, its
legend) and written at the input's frame rate with OpenCV's ``VideoWriter`` (``mp4v`` for
``.mp4``, ``XVID`` for ``.avi``). Frames larger than ``--max-draw-size`` are drawn scaled
down. At the end it reports the frames per second of the inference alone and of the
whole loop (reading, inference, drawing, writing).
"""
import argparse
import os
import os.path as osp
import sys
import time

import cv2
import mmcv

from pair_plugin.apis.demo_command_line import add_model_arguments, build_inferencer
from pair_plugin.progress import ProgressDisplay
from pair_plugin.structures import PaIRFormatError

#: OpenCV's codec for each output extension
FOURCC = {'.mp4': 'mp4v', '.avi': 'XVID'}


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run PaIR-Net on a video and write the drawn predictions as a video')
    parser.add_argument('video', help='the input video file')
    add_model_arguments(parser, 'frames', max_draw_size=1280)
    parser.add_argument(
        '--out', default='outputs/video_demo.mp4', help=f'the output video ({", ".join(FOURCC)})')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    return parser.parse_args()


def open_video(path: str) -> mmcv.VideoReader:
    """The video, or an error naming the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: video file not found')
    video = mmcv.VideoReader(path)
    if not video.opened or video.frame_cnt <= 0:
        raise PaIRFormatError(path, 'video', 'cannot be read as a video')
    return video


def frame_batches(video: mmcv.VideoReader, batch_size: int, max_frames=None):
    """Lists of up to ``batch_size`` BGR frames, in order."""
    batch, count = [], 0
    while max_frames is None or count < max_frames:
        frame = video.read()
        if frame is None:
            break
        batch.append(frame)
        count += 1
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def main():
    args = parse_args()
    extension = osp.splitext(args.out)[1].lower()
    if extension not in FOURCC:
        raise SystemExit(f'--out {args.out}: write a {" or ".join(FOURCC)} file')
    video = open_video(args.video)
    start = time.perf_counter()
    inferencer = build_inferencer(args)
    load_s = time.perf_counter() - start

    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    total = min(video.frame_cnt, args.max_frames or video.frame_cnt)
    progress = ProgressDisplay(total, 'video_demo')
    writer, frames, infer_s = None, 0, 0.0
    start = time.perf_counter()
    try:
        for batch in frame_batches(video, args.batch_size, args.max_frames):
            items = [
                dict(img=frame, file_name=f'frame_{frames + i:06d}')
                for i, frame in enumerate(batch)
            ]
            t0 = time.perf_counter()
            preds = inferencer(items, batch_size=len(items), return_datasamples=True)['predictions']
            infer_s += time.perf_counter() - t0
            pictures = inferencer.visualize(
                items, preds, return_vis=True, pred_score_thr=args.score_thr)
            for picture in pictures:
                if writer is None:
                    height, width = picture.shape[:2]
                    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*FOURCC[extension]),
                                             video.fps or 25, (width, height))
                writer.write(cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
            frames += len(batch)
            progress.update(len(batch))
    finally:
        if writer is not None:
            writer.release()
    progress.close()
    loop_s = time.perf_counter() - start
    if frames == 0:
        raise PaIRFormatError(args.video, 'video', 'no frame could be read')
    print(f'model loaded in {load_s:.1f} s ({args.backend}); {frames} frames of '
          f'{video.width}x{video.height}: inference {frames / infer_s:.2f} frames/s '
          f'({infer_s / frames:.3f} s per frame), whole loop {frames / loop_s:.2f} '
          f'frames/s; wrote {osp.abspath(args.out)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
