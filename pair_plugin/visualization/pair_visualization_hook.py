"""The hook that draws val and test predictions, as mmdet's DetVisualizationHook."""
import os.path as osp
import warnings
from typing import Optional, Sequence

import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from pair_plugin.registry import HOOKS
from pair_plugin.structures import PaIRDataSample, PaIRFormatError


@HOOKS.register_module()
class PaIRVisualizationHook(Hook):
    """Draws PaIR-Net's predictions (and the ground truth beside them) in val and test.

    The pictures go to the runner's visualizer (a :class:`PaIRVisualizer`), which hands
    them to its vis backends (``LocalVisBackend`` writes ``<work_dir>/<timestamp>/
    vis_data/vis_image/<name>_<step>.png``; ``TensorboardVisBackend`` logs them).

    - Validation: every ``interval``-th image of each validation run (the 0th, the
      ``interval``-th, ...) under the name of its file, at the training iteration, so
      the same images are compared from one evaluation to the next.
    - Test: every ``interval``-th image to the backends; with ``test_out_dir``, every
      image as ``<work_dir>/<timestamp>/<test_out_dir>/<file_name>.png`` instead
      (the data sample's ``file_name`` keeps its sub-folders, so names cannot clash).
    - ``show``: display the pictures in a window instead of storing them.

    Args:
        draw (bool): draw at all. Defaults to False (the test tool's ``--show-dir``
            and ``--show`` switch it on).
        interval (int): draw every ``interval``-th image. Defaults to 50.
        score_thr (float): draw predicted triplets scoring above this. Defaults to 0.3.
        show (bool): display instead of storing. Defaults to False.
        wait_time (float): seconds each displayed picture stays. Defaults to 0.
        test_out_dir (str, optional): folder under the run's work dir for the test
            pictures.
        backend_args (dict, optional): file backend arguments to read the images.
    """

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 score_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self._visualizer: Visualizer = Visualizer.get_current_instance()
        self.interval = interval
        self.score_thr = score_thr
        self.show = show
        if self.show:
            # only display: no vis backend stores anything
            self._visualizer._vis_backends = {}
            warnings.warn('show=True: predictions are displayed and not stored, '
                          'so the vis backends are switched off')
        self.wait_time = wait_time
        self.backend_args = backend_args
        self.draw = draw
        self.test_out_dir = test_out_dir
        self._out_dir: Optional[str] = None
        self._val_index = 0
        self._test_index = 0

    def _load_image(self, data_sample: PaIRDataSample) -> np.ndarray:
        """The original image, RGB, as the data pipeline read it (EXIF applied)."""
        img_path = data_sample.img_path
        try:
            img_bytes = get(img_path, backend_args=self.backend_args)
        except FileNotFoundError as err:
            raise PaIRFormatError(img_path, 'image', 'file not found') from err
        try:
            img = mmcv.imfrombytes(img_bytes, flag='color', channel_order='rgb')
        except Exception as err:  # cv2 raises cv2.error on undecodable bytes
            raise PaIRFormatError(img_path, 'image',
                                  f'cannot be decoded as an image ({err})') from err
        if img is None:
            raise PaIRFormatError(img_path, 'image', 'cannot be decoded as an image')
        ori_shape = data_sample.metainfo.get('ori_shape')
        if ori_shape is not None and tuple(img.shape[:2]) != tuple(ori_shape[:2]):
            raise PaIRFormatError(
                img_path, 'image', f'read as {img.shape[:2]} but the data sample says ori_shape '
                f'{tuple(ori_shape[:2])}')
        return img

    @staticmethod
    def _name(data_sample: PaIRDataSample) -> str:
        file_name = data_sample.metainfo.get('file_name') or data_sample.img_path
        return osp.splitext(osp.basename(file_name))[0]

    def _draw(self,
              data_sample: PaIRDataSample,
              name: str,
              step: int,
              out_file: Optional[str] = None) -> None:
        self._visualizer.add_datasample(
            name,
            self._load_image(data_sample),
            data_sample=data_sample,
            show=self.show,
            wait_time=self.wait_time,
            pred_score_thr=self.score_thr,
            out_file=out_file,
            step=step)

    def before_val_epoch(self, runner) -> None:
        self._val_index = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[PaIRDataSample]) -> None:
        """Draw every ``interval``-th image of this validation run."""
        if not self.draw:
            return
        for data_sample in outputs:
            if self._val_index % self.interval == 0:
                self._draw(data_sample, f'val_{self._name(data_sample)}', step=runner.iter)
            self._val_index += 1

    def before_test(self, runner) -> None:
        self._test_index = 0
        self._out_dir = None
        if self.draw and self.test_out_dir is not None:
            self._out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(self._out_dir)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[PaIRDataSample]) -> None:
        """Draw every test image to ``test_out_dir``, or every ``interval``-th one to
        the vis backends."""
        if not self.draw:
            return
        for data_sample in outputs:
            index = self._test_index
            self._test_index += 1
            if self._out_dir is not None:
                file_name = osp.normpath(
                    data_sample.metainfo.get('file_name') or data_sample.img_path)
                if osp.isabs(file_name) or file_name.startswith('..'):
                    file_name = osp.basename(file_name)
                out_file = osp.join(self._out_dir, osp.splitext(file_name)[0] + '.png')
                self._draw(data_sample, self._name(data_sample), index, out_file)
            elif index % self.interval == 0:
                self._draw(data_sample, f'test_{self._name(data_sample)}', index)
