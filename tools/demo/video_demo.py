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
from mmengine.config import DictAction

from pair_plugin.apis import PaIRInferencer
from pair_plugin.apis.pair_inferencer import BACKENDS
from pair_plugin.progress import ProgressDisplay
from pair_plugin.structures import PaIRFormatError

#: OpenCV's codec for each output extension
FOURCC = {'.mp4': 'mp4v', '.avi': 'XVID'}


def parse_args():
    parser = argparse.ArgumentParser(
        description='Run PaIR-Net on a video and write the drawn predictions as a video')
    parser.add_argument('video', help='the input video file')
    parser.add_argument('config', help='the model config file')
    parser.add_argument(
        'checkpoint',
        help='the checkpoint (.pth), or with --backend the exported '
        'graph (.onnx, .xml)')
    parser.add_argument(
        '--out', default='outputs/video_demo.mp4', help=f'the output video ({", ".join(FOURCC)})')
    parser.add_argument('--backend', choices=BACKENDS, default='pytorch')
    parser.add_argument('--device', default='cpu', help="e.g. 'cpu', 'cuda:0'")
    parser.add_argument('--batch-size', type=int, default=1, help='frames per forward pass')
    parser.add_argument(
        '--num-threads',
        type=int,
        default=None,
        help='threads of the onnxruntime / openvino backend')
    parser.add_argument(
        '--score-thr', type=float, default=0.3, help='draw the triplets scoring above this')
    parser.add_argument(
        '--max-draw-size',
        type=int,
        default=1280,
        help='draw larger frames scaled down to this longer side '
        '(0: full size)')
    parser.add_argument('--alpha', type=float, default=0.6, help='opacity of the contact colours')
    parser.add_argument('--max-frames', type=int, default=None, help='stop after this many frames')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, xxx=yyy (e.g. the test resize: '
        'test_dataloader.dataset.pipeline.1.scale="(640,640)")')
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
    inferencer = PaIRInferencer(
        args.config,
        args.checkpoint,
        device=args.device,
        backend=args.backend,
        num_threads=args.num_threads,
        cfg_options=args.cfg_options,
        show_progress=False,
        visualizer=dict(alpha=args.alpha, max_draw_size=args.max_draw_size or None))
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
          f'frames/s; written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
