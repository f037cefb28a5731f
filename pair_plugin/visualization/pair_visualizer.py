"""Drawing PaIR-Net's ground truth and predictions like the paper's Fig. 4."""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from pair_plugin.registry import VISUALIZERS
from pair_plugin.structures import (BODY_PARTS, IGNORE_INDEX, NUM_PARTS, PART_PALETTE,
                                    PaIRDataSample, to_numpy, with_object_alias)

#: one HOI triplet to draw: human box (4,), object box (4,), object id, action id, score
Triplet = Tuple[np.ndarray, np.ndarray, int, int, Optional[float]]


class _BoxGroups:
    """Boxes drawn once: a box whose IoU with an earlier one reaches ``iou_thr`` joins
    that one's group (duplicate detections of one person draw one box, lines stacked).
    """

    def __init__(self, iou_thr: float):
        self.iou_thr = iou_thr
        self.boxes: List[np.ndarray] = []

    def index(self, box: np.ndarray) -> int:
        box = np.asarray(box, dtype=np.float64)
        if self.boxes:
            others = np.stack(self.boxes)
            same = (others == box).all(axis=1)  # equal (even empty) boxes: one group
            iou = bbox_overlaps(torch.from_numpy(box[None]), torch.from_numpy(others))[0].numpy()
            joins = np.flatnonzero(same | (iou >= self.iou_thr))
            if joins.size:
                return int(joins[0])
        self.boxes.append(box)
        return len(self.boxes) - 1


@VISUALIZERS.register_module()
class PaIRVisualizer(Visualizer):
    """Draws HOI triplets and contact maps, as mmdet's ``DetLocalVisualizer`` draws boxes.

    Like the paper's Fig. 4: human boxes in red, object boxes in green; above each human
    box one line per triplet, the action name in blue followed by the object name in
    green (and the score for predictions), the best nearest to the box; the object name
    in green below each object box. Labels go outside the boxes, where they hide the
    least of the contact, and inside along the same edge when the image has no room.
    Boxes shared by several triplets (or nearly the same, ``box_merge_iou``) are drawn
    once and their lines stacked. The contact map (0 none, 1..17 part, 255 not
    annotated) is blended over the image, each part in its colour from
    :data:`PART_PALETTE`, with a legend of the parts present at the top right (with
    CPAM's probability for predictions).

    All colours are RGB, as the images drawn on (mmengine's convention).

    Args:
        name (str): the instance name. Defaults to 'visualizer'.
        image (np.ndarray, optional): an RGB image (H, W, 3) to draw on.
        vis_backends (list[dict], optional): vis backend configs
            (``LocalVisBackend``, ``TensorboardVisBackend``, ...).
        save_dir (str, optional): where the backends store their data.
        human_color (tuple): RGB of human boxes. Defaults to red.
        object_color (tuple): RGB of object boxes. Defaults to green.
        action_text_color (tuple): RGB of action names. Defaults to blue.
        object_text_color (tuple): RGB of object names: a darker green than the
            boxes, readable on the white label background.
        text_background (tuple): RGB of the label background.
        line_width (float): box line width in points for images up to about 900
            pixels across, scaled up with the image-adaptive font size beyond (a line
            stays visible on a 6000-pixel photo); mmengine caps it at a quarter of
            that font size.
        font_size (int, optional): label font size in points; None (default) adapts it
            to the image size (mmengine's ``sqrt(H * W) / 90``, at least 10).
        alpha (float): opacity of the contact colours over the image. Defaults to 0.6.
        draw_legend (bool): draw the legend of the parts present. Defaults to True.
        draw_labels (bool): write the action and object names (and scores) at the
            boxes; False draws boxes and contact colours only, which leaves every
            contact pixel visible on small images. Defaults to True.
        label_background_alpha (float): opacity of the white background of the
            labels. Defaults to 0.7.
        box_merge_iou (float): boxes overlapping an earlier (better scoring) box of
            the same role by this IoU or more are drawn as that box, their lines
            stacked on it, so that duplicate detections of one person or object do
            not pile up labels. 1.0 merges identical boxes only. Defaults to 0.9.
        max_draw_size (int, optional): when the longer image side exceeds it, the image,
            the boxes and the contact maps are scaled down together by the same factor
            before drawing (the output is then that much smaller, with every box and
            mask pixel where it belongs). None (default) draws at full size.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[Dict]] = None,
                 save_dir: Optional[str] = None,
                 human_color: Tuple[int, int, int] = (255, 0, 0),
                 object_color: Tuple[int, int, int] = (0, 255, 0),
                 action_text_color: Tuple[int, int, int] = (0, 0, 255),
                 object_text_color: Tuple[int, int, int] = (0, 150, 0),
                 text_background: Tuple[int, int, int] = (255, 255, 255),
                 line_width: float = 3,
                 font_size: Optional[int] = None,
                 alpha: float = 0.6,
                 draw_legend: bool = True,
                 draw_labels: bool = True,
                 label_background_alpha: float = 0.7,
                 box_merge_iou: float = 0.9,
                 max_draw_size: Optional[int] = None) -> None:
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must lie in [0, 1], got {alpha}')
        if max_draw_size is not None and max_draw_size < 1:
            raise ValueError(f'max_draw_size must be a positive int or None, got {max_draw_size}')
        self.human_color = tuple(human_color)
        self.object_color = tuple(object_color)
        self.action_text_color = tuple(action_text_color)
        self.object_text_color = tuple(object_text_color)
        self.text_background = tuple(text_background)
        self.line_width = line_width
        self.font_size = font_size
        self.alpha = alpha
        self.draw_legend = draw_legend
        self.draw_labels = draw_labels
        self.label_background_alpha = label_background_alpha
        self.box_merge_iou = box_merge_iou
        self.max_draw_size = max_draw_size
        # replaced by the dataset's metainfo when a runner or init_model sets it
        self.dataset_meta = {}

    # ------------------------------------------------------------------ canvas
    @master_only
    def set_image(self, image: np.ndarray) -> None:
        """Set the image to draw on: (H, W, 3) uint8 RGB.

        Unlike mmengine's Visualizer, the image is not put into the matplotlib figure:
        the figure only holds what is drawn (boxes, texts, ...) on a transparent
        background, and :meth:`get_image` lays it over the image. The image's pixels are
        never resampled by matplotlib, and a 6000-pixel photo draws in about a second
        instead of twenty.
        """
        assert image is not None
        image = np.asarray(image).astype(np.uint8)
        self._image = image
        self.width, self.height = image.shape[1], image.shape[0]
        self._default_font_size = max(np.sqrt(self.height * self.width) // 90, 10)
        # the small 1e-2 avoids matplotlib's truncation to one pixel less (as mmengine)
        self.fig_save.set_size_inches((self.width + 1e-2) / self.dpi,
                                      (self.height + 1e-2) / self.dpi)
        self.ax_save.cla()
        self.ax_save.axis(False)
        self.ax_save.set_xlim(0, self.width)
        self.ax_save.set_ylim(self.height, 0)

    @master_only
    def get_image(self) -> np.ndarray:
        """The image with everything drawn so far: (H, W, 3) uint8 RGB."""
        assert self._image is not None, 'Please set image using `set_image`'
        buffer, (width, height) = self.fig_save_canvas.print_to_buffer()
        layer = np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 4)
        layer = layer[:self.height, :self.width]
        out = self._image.copy()
        covered = layer[..., 3] > 0
        if covered.any():
            alpha = layer[..., 3][covered].astype(np.float32)[:, None] / 255.0
            colour = layer[..., :3][covered].astype(np.float32)
            below = out[:layer.shape[0], :layer.shape[1]][covered].astype(np.float32)
            out[:layer.shape[0], :layer.shape[1]][covered] = np.clip(
                np.round(alpha * colour + (1 - alpha) * below), 0, 255).astype(np.uint8)
        return out

    # ------------------------------------------------------------------ names
    def _object_name(self, label: int) -> str:
        names = with_object_alias(self.dataset_meta or {}).get('objects')
        if names is not None and 0 <= label < len(names):
            return str(names[label])
        return f'object {label}'

    def _action_name(self, label: int) -> str:
        names = (self.dataset_meta or {}).get('actions')
        if names is not None and 0 <= label < len(names):
            return str(names[label])
        return f'action {label}'

    # ------------------------------------------------------------------ text layout
    def _text_extent(self) -> Tuple[float, float, float, float]:
        """x1, y1, x2, y2 in image pixels of the last text drawn, with its background."""
        renderer = self.fig_save_canvas.get_renderer()
        artist = self.ax_save.texts[-1]
        patch = artist.get_bbox_patch()
        if patch is not None:
            artist.update_bbox_position_size(renderer)
            extent = patch.get_window_extent(renderer)
        else:
            extent = artist.get_window_extent(renderer)
        to_data = self.ax_save.transData.inverted()
        (x1, y1), (x2, y2) = to_data.transform([[extent.x0, extent.y0], [extent.x1, extent.y1]])
        return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)

    def _box_line_width(self) -> float:
        """Box line width in points for the current image."""
        return self.line_width * max(1.0, self._default_font_size / 10)

    def _label_inset(self) -> float:
        """Pixels between a box's top left corner and its first label."""
        drawn_width = min(max(self._box_line_width(), 1), self._default_font_size / 4)
        return drawn_width * self.dpi / 72 + 2

    def _label_font_size(self) -> float:
        """Label font size in points: ``font_size``, or ``sqrt(H * W) / 90`` and at
        least 7 (mmengine's default keeps 10 at least, which covers a 256-pixel image
        with text)."""
        if self.font_size is not None:
            return self.font_size
        return max(np.sqrt(self.height * self.width) / 90, 7.0)

    def _draw_text_line(self,
                        pieces: Sequence[Tuple[str, Tuple[int, int, int]]],
                        x: float,
                        y: float,
                        font_size: float,
                        align_right: bool = False,
                        valign: str = 'top',
                        background: Optional[Tuple[int, int, int]] = None,
                        background_alpha: Optional[float] = None) -> Tuple[float, float]:
        """Draw coloured pieces of text side by side, one line.

        Args:
            pieces: (text, RGB colour) from left to right.
            x, y (float): the line's left (right with ``align_right``) end and its top
                (bottom with ``valign='bottom'``), in image pixels.

        Returns:
            tuple[float, float]: the top and bottom y of the line, background included.
        """
        background = self.text_background if background is None else background
        if background_alpha is None:
            background_alpha = self.label_background_alpha
        top, bottom = np.inf, -np.inf
        if align_right:
            pieces = list(reversed(pieces))
        for text, color in pieces:
            # an anchor a few pixels outside the image (a label by a box at the border)
            # is moved onto its edge
            self.draw_texts(
                text,
                self._in_image(np.array([x, y], dtype=float)),
                font_sizes=font_size,
                colors=tuple(int(c) for c in color),
                vertical_alignments=valign,
                horizontal_alignments='right' if align_right else 'left',
                bboxes=dict(
                    facecolor=tuple(c / 255 for c in background),
                    alpha=background_alpha,
                    pad=1,
                    edgecolor='none'))
            x1, y1, x2, y2 = self._text_extent()
            # the next piece's background (its pad past its anchor) abuts this one's
            pad_px = 1 * self.dpi / 72
            x = x1 - pad_px if align_right else x2 + pad_px
            top, bottom = min(top, y1), max(bottom, y2)
        return top, bottom

    def _draw_label_block(self, lines: List[Sequence[Tuple[str, Tuple[int, int, int]]]],
                          box: np.ndarray, above: bool) -> None:
        """Stack label lines outside a box, where they hide the least of the
        interaction: above its top edge (``above``) or below its bottom edge; inside the
        box along that edge when the image has no room outside."""
        if not lines:
            return
        font_size = self._label_font_size()
        gap = self._label_inset() / 2
        x = float(box[0]) - gap
        first_text = len(self.ax_save.texts)

        def stack(y: float, upward: bool) -> Tuple[float, float]:
            low, high = np.inf, -np.inf
            for line in lines:
                top, bottom = self._draw_text_line(
                    line, x, y, font_size, valign='bottom' if upward else 'top')
                y = top if upward else bottom
                low, high = min(low, top), max(high, bottom)
            return low, high

        if above:
            low, _ = stack(float(box[1]) - gap, upward=True)
            if low >= 0:
                return
        else:
            _, high = stack(float(box[3]) + gap, upward=False)
            if high <= self.height:
                return
        for artist in list(self.ax_save.texts[first_text:]):
            artist.remove()
        inset = self._label_inset()
        x = float(box[0]) + inset
        if above:
            stack(float(box[1]) + inset, upward=False)
        else:
            stack(float(box[3]) - inset, upward=True)

    # ------------------------------------------------------------------ drawing
    def _draw_triplets(self, triplets: List[Triplet]) -> None:
        """Boxes (objects first, so that a person who is both keeps the human colour);
        one line per triplet above each human box (action in blue, object in green,
        score) and the object names below each object box."""
        if not triplets:
            return
        humans, objects = _BoxGroups(self.box_merge_iou), _BoxGroups(self.box_merge_iou)
        object_labels: Dict[int, List[int]] = {}
        lines: Dict[int, Dict[tuple, Optional[float]]] = {}
        for h_box, o_box, obj, act, score in triplets:
            h, o = humans.index(h_box), objects.index(o_box)
            labels = object_labels.setdefault(o, [])
            if obj not in labels:
                labels.append(obj)
            human_lines = lines.setdefault(h, {})
            line_key = (act, obj, o)
            if line_key not in human_lines or (score is not None
                                               and score > (human_lines[line_key] or 0)):
                human_lines[line_key] = score

        lw = self._box_line_width()
        obj_boxes = np.stack(objects.boxes)
        hum_boxes = np.stack(humans.boxes)
        self.draw_bboxes(
            self._in_image(obj_boxes),
            edge_colors=[self.object_color] * len(obj_boxes),
            line_widths=lw,
            alpha=1.0)
        self.draw_bboxes(
            self._in_image(hum_boxes),
            edge_colors=[self.human_color] * len(hum_boxes),
            line_widths=lw,
            alpha=1.0)
        if not self.draw_labels:
            return
        for o, o_box in enumerate(objects.boxes):
            self._draw_label_block([[(self._object_name(obj), self.object_text_color)]
                                    for obj in object_labels[o]],
                                   o_box,
                                   above=False)
        for h, h_box in enumerate(humans.boxes):
            ordered = sorted(lines[h].items(), key=lambda kv: -(kv[1] if kv[1] is not None else 0))
            block = []
            for (act, obj, _), score in ordered:
                pieces = [(self._action_name(act), self.action_text_color),
                          (' ' + self._object_name(obj), self.object_text_color)]
                if score is not None:
                    pieces.append((f' {score:.2f}', (0, 0, 0)))
                block.append(pieces)
            # the best line nearest to the box: stacked upwards, it goes first
            self._draw_label_block(block, h_box, above=True)

    def _blend_contact_map(self, image: np.ndarray, contact_map: np.ndarray) -> np.ndarray:
        """Blend each part's colour over the pixels of that part.

        Args:
            image (np.ndarray): (H, W, 3) uint8 RGB.
            contact_map (np.ndarray): (H, W) ids, 0 none, 1..17 part, 255 ignored.

        Returns:
            np.ndarray: (H, W, 3) uint8, ``round((1 - alpha) * image + alpha * colour)``
            on part pixels and ``image`` elsewhere.
        """
        if contact_map.shape != image.shape[:2]:
            raise ValueError(f'contact map of size {contact_map.shape} does not match the image '
                             f'of size {image.shape[:2]}: both must be at the original image size')
        ids = np.unique(contact_map)
        bad = ids[((ids < 0) | (ids > NUM_PARTS)) & (ids != IGNORE_INDEX)]
        if len(bad):
            raise ValueError(f'contact map holds ids {bad.tolist()} outside 0..{NUM_PARTS} and '
                             f'{IGNORE_INDEX}')
        is_part = (contact_map >= 1) & (contact_map <= NUM_PARTS)
        out = image.copy()
        colours = PART_PALETTE[contact_map[is_part]].astype(np.float32)
        blended = (1 - self.alpha) * image[is_part].astype(np.float32) \
            + self.alpha * colours
        out[is_part] = np.clip(np.round(blended), 0, 255).astype(np.uint8)
        return out

    def _draw_part_legend(self, contact_map: np.ndarray, part_scores: Optional[np.ndarray]) -> None:
        """At the top right, one entry per part present: its name on its colour."""
        present = [int(k) for k in np.unique(contact_map) if 1 <= k <= NUM_PARTS]
        if not present:
            return
        font_size = max(0.8 * self._label_font_size(), 6.0)
        y = 2.0
        for k in present:
            colour = tuple(int(c) for c in PART_PALETTE[k])
            luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
            text_colour = (0, 0, 0) if luminance > 128 else (255, 255, 255)
            label = BODY_PARTS[k - 1]
            if part_scores is not None:
                label += f' {float(part_scores[k - 1]):.2f}'
            _, bottom = self._draw_text_line([(label, text_colour)],
                                             self.width - 2.0,
                                             y,
                                             font_size,
                                             align_right=True,
                                             background=colour,
                                             background_alpha=1.0)
            y = bottom + 1

    # ------------------------------------------------------------------ data samples
    @staticmethod
    def _gt_triplets(data_sample: PaIRDataSample) -> List[Triplet]:
        """One triplet per (pair, action) of ``gt_pairs``; without pairs, each instance
        as a box (persons as humans, the rest as objects) with no action line."""
        triplets: List[Triplet] = []
        if 'gt_instances' not in data_sample:
            return triplets
        bboxes = to_numpy(data_sample.gt_instances.bboxes).reshape(-1, 4)
        labels = to_numpy(data_sample.gt_instances.labels).reshape(-1)
        if 'gt_pairs' not in data_sample:
            return [(b, b, int(lab), -1, None) for b, lab in zip(bboxes, labels)]
        pairs = data_sample.gt_pairs
        subjects = to_numpy(pairs.subject_ids).reshape(-1)
        objects = to_numpy(pairs.object_ids).reshape(-1)
        actions = to_numpy(pairs.actions)  # (P, A)
        if actions.ndim != 2:
            raise ValueError(
                f'gt_pairs.actions must be (P, A) multi-hot, got shape {actions.shape}')
        for s, o, multi_hot in zip(subjects, objects, actions):
            for a in np.flatnonzero(multi_hot > 0):
                triplets.append((bboxes[s], bboxes[o], int(labels[o]), int(a), None))
        return triplets

    @staticmethod
    def _pred_triplets(data_sample: PaIRDataSample, score_thr: float) -> List[Triplet]:
        if 'pred_hois' not in data_sample:
            return []
        hois = data_sample.pred_hois
        scores = to_numpy(hois.scores).reshape(-1)
        keep = np.flatnonzero(scores > score_thr)
        subj = to_numpy(hois.subject_bboxes).reshape(-1, 4)
        obj = to_numpy(hois.object_bboxes).reshape(-1, 4)
        obj_labels = to_numpy(hois.object_labels).reshape(-1)
        act_labels = to_numpy(hois.action_labels).reshape(-1)
        return [(subj[i], obj[i], int(obj_labels[i]), int(act_labels[i]), float(scores[i]))
                for i in keep]

    @staticmethod
    def _contact_map(pixel_data) -> np.ndarray:
        seg = to_numpy(pixel_data.sem_seg)
        return seg.reshape(seg.shape[-2:])

    def _scale_for_drawing(self, image: np.ndarray, triplets: List[Triplet],
                           contact_map: Optional[np.ndarray]):
        """Apply ``max_draw_size``: scale image, boxes and map by one factor."""
        height, width = image.shape[:2]
        if self.max_draw_size is None or max(height, width) <= self.max_draw_size:
            return image, triplets, contact_map
        factor = self.max_draw_size / max(height, width)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        sx, sy = size[0] / width, size[1] / height
        scale = np.array([sx, sy, sx, sy], dtype=np.float32)
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        triplets = [(h * scale, o * scale, obj, act, score) for h, o, obj, act, score in triplets]
        if contact_map is not None:
            contact_map = cv2.resize(
                contact_map.astype(np.uint8), size,
                interpolation=cv2.INTER_NEAREST).astype(contact_map.dtype)
        return image, triplets, contact_map

    def _draw_side(self, image: np.ndarray, triplets: List[Triplet],
                   contact_map: Optional[np.ndarray],
                   part_scores: Optional[np.ndarray]) -> np.ndarray:
        image, triplets, contact_map = self._scale_for_drawing(image, triplets, contact_map)
        # GT without pairs: instances only, persons red and the rest green
        boxes_only = [t for t in triplets if t[3] < 0]
        hois = [t for t in triplets if t[3] >= 0]
        if contact_map is not None:
            image = self._blend_contact_map(image, contact_map)
        self.set_image(image)
        if boxes_only:
            self._draw_instances(boxes_only)
        self._draw_triplets(hois)
        if contact_map is not None and self.draw_legend:
            self._draw_part_legend(contact_map, part_scores)
        return self.get_image()

    def _in_image(self, coords: np.ndarray) -> np.ndarray:
        """x, y coordinates clipped to the image's last pixel column and row.

        ``coords`` is (..., 2k): a point (x, y) or x1y1x2y2 boxes. A box ending on the
        border (x2 = width) or a label anchor just outside draws the same, without
        mmengine's out-of-bounds warning.
        """
        return np.clip(coords, 0, [self.width - 1, self.height - 1] * (coords.shape[-1] // 2))

    def _draw_instances(self, instances: List[Triplet]) -> None:
        """Unpaired ground-truth instances: box, and the object name above it."""
        for box, _, label, _, _ in instances:
            is_person = label == 0
            self.draw_bboxes(
                self._in_image(box[None]),
                line_widths=self._box_line_width(),
                alpha=1.0,
                edge_colors=[self.human_color if is_person else self.object_color])
            if self.draw_labels:
                self._draw_label_block([[(self._object_name(label), self.object_text_color)]],
                                       box,
                                       above=True)

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[PaIRDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """Draw the ground truth and/or the predictions of one image; store the picture.

        With both drawn, the ground truth is on the left and the prediction on the
        right of one picture (as mmdet). ``show`` displays it in a window; ``out_file``
        writes it to that file (PNG for a ``.png`` name) instead of the vis backends;
        otherwise it goes to every vis backend under ``name`` at ``step``. The picture is
        also left in the visualizer (``get_image()``; with a single panel, the figure
        still holds its boxes and texts as matplotlib artists).

        Args:
            name (str): the image identifier in the vis backends.
            image (np.ndarray): (H, W, 3) RGB image at the original size, the size at
                which predictions (and the test pipeline's ground truth) are given.
            data_sample (PaIRDataSample, optional): ``gt_instances``, ``gt_pairs``,
                ``gt_sem_seg`` and/or ``pred_hois``, ``pred_sem_seg``, ``pred_parts``.
            draw_gt (bool): draw the ground truth. Defaults to True.
            draw_pred (bool): draw the predictions. Defaults to True.
            show (bool): display the picture. Defaults to False.
            wait_time (float): seconds to show it. Defaults to 0.
            out_file (str, optional): write the picture to this file.
            pred_score_thr (float): draw the predicted triplets scoring above this.
            step (int): the global step for the vis backends.
        """
        image = np.asarray(image)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'{name}: image must be (H, W, 3) RGB, got shape {image.shape}')
        image = image.clip(0, 255).astype(np.uint8)

        gt_img = pred_img = None
        if data_sample is not None:
            data_sample = data_sample.cpu()
            has_gt = any(k in data_sample for k in ('gt_instances', 'gt_pairs', 'gt_sem_seg'))
            has_pred = any(k in data_sample for k in ('pred_hois', 'pred_sem_seg'))
            if draw_gt and has_gt:
                gt_map = (
                    self._contact_map(data_sample.gt_sem_seg)
                    if 'gt_sem_seg' in data_sample else None)
                gt_img = self._draw_side(image, self._gt_triplets(data_sample), gt_map, None)
            if draw_pred and has_pred:
                pred_map = (
                    self._contact_map(data_sample.pred_sem_seg)
                    if 'pred_sem_seg' in data_sample else None)
                part_scores = (
                    to_numpy(data_sample.pred_parts).reshape(-1)
                    if 'pred_parts' in data_sample else None)
                pred_img = self._draw_side(image, self._pred_triplets(data_sample, pred_score_thr),
                                           pred_map, part_scores)

        if gt_img is not None and pred_img is not None:
            drawn = np.concatenate((gt_img, pred_img), axis=1)
            self.set_image(drawn)
        elif gt_img is not None or pred_img is not None:
            # the figure already holds this one panel, with its artists
            drawn = gt_img if gt_img is not None else pred_img
        else:
            drawn = self._scale_for_drawing(image, [], None)[0]
            self.set_image(drawn)

        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
