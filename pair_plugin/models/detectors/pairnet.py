"""PaIR-Net (Fig. 2): backbone (+ neck) → CPAM, IIM, PGCS, Mask-Guided RoI Feature."""
import copy
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.detectors import BaseDetector
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.structures import PixelData
from torch import Tensor

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS

_REMOTE_PREFIXES = ('http://', 'https://', 's3://', 'torchvision://', 'open-mmlab://',
                    'openmmlab://', 'mmcls://', 'pavi://', 'modelzoo://')


def class_map(logits: Tensor) -> Tensor:
    """The per-pixel argmax of (B, K, H, W) logits, (B, H, W) int64.

    ``max(dim=1).indices`` is ``argmax(dim=1)`` (both give the first maximum) but 3-5×
    faster on the CPU for a reduction over the channel dimension of an NCHW map.
    """
    return logits.max(dim=1).indices


@MODELS.register_module()
class PaIRNet(BaseDetector):
    """PaIR-Net: what interaction happens (IIM) and where the body touches (PGCS).

    Order of computation: backbone (+ optional neck) gives F_B (the last feature map,
    stride 32 in the paper) → CPAM (part logits, L = sigmoid) → IIM encoder and decoder
    stages (boxes, object classes, D_a) → PGCS (the H-O RoI Enhancer needs boxes; Body
    Attention needs L) → Mask-Guided RoI Feature (needs S) → action classifier of every
    stage on [D_a; F_M].

    Loss (Eq. 18): ``α·L_match + β·(L_BCE + L_CE)``; every IIM term (all stages) is
    multiplied by ``match_loss_weight`` (α) and the part and segmentation losses by
    ``contact_loss_weight`` (β); the logged values are the weighted ones.

    Args:
        backbone (dict): any backbone of the mmdet / mmseg / mmpretrain registries
            (``type='mmpretrain.ConvNeXt'``, with ``_scope_`` for its sub-modules where
            needed); its last output is F_B.
        neck (dict, optional): e.g. mmdet's ``ChannelMapper``; its last output is F_B.
        cpam (dict, optional): CPAM; None switches it off (Table 3's baseline).
        pgcs (dict): PGCS.
        iim (dict): IIM.
        mask_guided_feature (dict, optional): Mask-Guided RoI Feature; None switches it
            off (Table 3's rows before +M-G).
        feat_channels (int, optional): channels C of F_B; inferred from a dry run of the
            backbone (and neck) on a small image when None.
        match_loss_weight (float): α. Defaults to 0.1.
        contact_loss_weight (float): β. Defaults to 0.5.
        channels_last (bool): hand the backbone the batch in ``channels_last`` memory
            layout (NHWC), which the convolutions then keep. The parameters keep theirs,
            so checkpoints, EMA and DDP are as without; the outputs are the same up to
            float rounding. On a 2-core CPU the small synthetic model's training step
            is 12 % faster (docs/benchmarks.md). Defaults to False.
        train_cfg (dict, optional): ``assigner`` (overrides IIM's), ``roi_enhancer_boxes``
            (``'gt'`` default, or ``'pred'``), ``roi_enhancer_score_thr`` (for ``'pred'``),
            ``mask_guided_source`` (``'pred'`` default, or ``'gt'``).
        test_cfg (dict, optional): ``max_per_img`` (top-K triplets, default 100) and
            ``roi_enhancer_score_thr`` (default 0.5): predicted pairs whose object score
            (the largest non-no-object probability) exceeds it form the enhanced region.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` with
            ``pad_seg=True, seg_pad_value=255`` so that images and contact maps are padded
            alike.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 cpam: Optional[dict] = dict(type='CPAM'),
                 pgcs: dict = dict(type='PGCS'),
                 iim: dict = dict(type='IIM'),
                 mask_guided_feature: Optional[dict] = dict(type='MaskGuidedRoIFeature'),
                 feat_channels: Optional[int] = None,
                 match_loss_weight: float = 0.1,
                 contact_loss_weight: float = 0.5,
                 channels_last: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.train_cfg = dict(roi_enhancer_boxes='gt', roi_enhancer_score_thr=0.5,
                              mask_guided_source='pred')
        self.train_cfg.update(train_cfg or {})
        self.test_cfg = dict(max_per_img=100, roi_enhancer_score_thr=0.5)
        self.test_cfg.update(test_cfg or {})
        for key, allowed in (('roi_enhancer_boxes', ('gt', 'pred')),
                             ('mask_guided_source', ('gt', 'pred'))):
            if self.train_cfg[key] not in allowed:
                raise ValueError(f'PaIRNet: train_cfg.{key} must be one of {allowed}, '
                                 f'got {self.train_cfg[key]!r}')
        self.match_loss_weight = match_loss_weight
        self.contact_loss_weight = contact_loss_weight
        self.channels_last = channels_last

        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.feat_channels = feat_channels or self._infer_feat_channels()
        channels = self.feat_channels

        self.cpam = MODELS.build(dict(cpam, in_channels=channels)) if cpam else None
        pgcs = dict(pgcs, in_channels=channels)
        self.pgcs = MODELS.build(pgcs)
        if self.pgcs.with_body_attention and self.cpam is None:
            raise ValueError('PaIRNet: PGCS Body Attention needs CPAM; set '
                             'model.pgcs.body_attention=None when model.cpam is None')
        self.mask_guided_feature = MODELS.build(
            dict(mask_guided_feature, in_channels=channels)) \
            if mask_guided_feature else None
        iim = dict(copy.deepcopy(iim), in_channels=channels)
        iim['extra_action_channels'] = self.mask_guided_feature.out_channels \
            if self.mask_guided_feature else 0
        if 'assigner' in self.train_cfg:
            iim['train_cfg'] = dict(assigner=self.train_cfg['assigner'])
        iim.setdefault('test_cfg', {})
        iim['test_cfg'] = dict(iim['test_cfg'] or {},
                               max_per_img=self.test_cfg['max_per_img'])
        self.iim = MODELS.build(iim)

    # ------------------------------------------------------------------ building
    def _infer_feat_channels(self) -> int:
        """Channels of F_B from a dry run of the backbone (and neck) on a small image."""
        param = next(self.backbone.parameters(), None)
        device = param.device if param is not None else torch.device('cpu')
        modules = [self.backbone] + ([self.neck] if self.with_neck else [])
        modes = [m.training for m in modules]
        errors = []
        try:
            for m in modules:
                m.eval()
            for size in (64, 224):
                try:
                    with torch.no_grad():
                        feat = self.extract_feat(torch.zeros(1, 3, size, size,
                                                             device=device))
                    return int(feat.shape[1])
                except Exception as err:  # a backbone may refuse tiny inputs
                    errors.append(f'{size}x{size}: {err}')
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)
        raise ValueError('PaIRNet: could not infer the channels of the backbone output '
                         f'by a dry run ({"; ".join(errors)}); set model.feat_channels')

    def init_weights(self) -> None:
        """Check that a local pretrained backbone file exists, then initialise."""
        init_cfgs = self.backbone.init_cfg
        for cfg in init_cfgs if isinstance(init_cfgs, list) else [init_cfgs]:
            if not cfg or cfg.get('type') != 'Pretrained':
                continue
            path = cfg.get('checkpoint')
            if isinstance(path, str) and not path.startswith(_REMOTE_PREFIXES) \
                    and not osp.isfile(path):
                raise FileNotFoundError(
                    f"PaIRNet: pretrained backbone checkpoint '{path}' "
                    '(model.backbone.init_cfg.checkpoint) does not exist; see '
                    "docs/model.md, 'Pretrained weights', for how to get it, or set "
                    'model.backbone.init_cfg=None to train from scratch')
        super().init_weights()

    # ------------------------------------------------------------------- forward
    def extract_feat(self, batch_inputs: Tensor) -> Tensor:
        """F_B: the last feature map of the backbone (or of the neck).

        Args:
            batch_inputs (Tensor): (B, 3, H, W).

        Returns:
            Tensor: (B, C, h, w).
        """
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(memory_format=torch.channels_last)
        feats = self.backbone(batch_inputs)
        if self.with_neck:
            feats = self.neck(feats)
        if isinstance(feats, (list, tuple)):
            feats = feats[-1]
        return feats

    @staticmethod
    def _metas(batch_inputs: Tensor,
               batch_data_samples: Optional[Sequence]) -> List[dict]:
        """Image metas; without data samples every image fills the whole input."""
        if batch_data_samples is None:
            shape = tuple(batch_inputs.shape[-2:])
            return [dict(img_shape=shape, batch_input_shape=shape)
                    for _ in range(batch_inputs.size(0))]
        metas = []
        for sample in batch_data_samples:
            meta = dict(sample.metainfo)
            meta.setdefault('batch_input_shape', tuple(batch_inputs.shape[-2:]))
            meta.setdefault('img_shape', tuple(batch_inputs.shape[-2:]))
            metas.append(meta)
        return metas

    def forward_heads(self, batch_inputs: Tensor, batch_metas: List[dict],
                      batch_gt_pairs: Optional[list] = None,
                      gt_seg: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Run every branch in the paper's order.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) padded inputs.
            batch_metas (list[dict]): ``img_shape`` of each image.
            batch_gt_pairs (list[InstanceData], optional): ground-truth pairs (training):
                the enhancer uses their boxes when ``train_cfg.roi_enhancer_boxes='gt'``.
            gt_seg (Tensor, optional): (B, H, W) padded ground-truth contact maps
                (training): the Mask-Guided RoI Feature uses them when
                ``train_cfg.mask_guided_source='gt'``.

        Returns:
            dict: IIM's outputs (see :meth:`IIM.forward`), ``action_logits``
            (S, B, Q, A), ``seg_logits`` (B, 18, H/2, W/2), ``part_logits`` (B, 17) or
            None, ``stride`` (s_y, s_x) of F_B.
        """
        feat = self.extract_feat(batch_inputs)
        input_h, input_w = batch_inputs.shape[-2:]
        stride = (input_h / feat.size(2), input_w / feat.size(3))
        training = batch_gt_pairs is not None
        cfg = self.train_cfg if training else self.test_cfg

        part_logits = self.cpam(feat) if self.cpam is not None else None
        outs = self.iim(feat, batch_metas)

        region_boxes = None
        if self.pgcs.with_roi_enhancer:
            if training and cfg['roi_enhancer_boxes'] == 'gt':
                region_boxes = self._gt_region_boxes(batch_gt_pairs, batch_metas, feat)
            else:
                region_boxes = self._pred_region_boxes(outs, batch_metas,
                                                       cfg['roi_enhancer_score_thr'])
        part_probs = part_logits.sigmoid() if part_logits is not None else None
        seg_logits = self.pgcs(feat, region_boxes, stride, part_probs)

        extra = None
        if self.mask_guided_feature is not None:
            if training and cfg['mask_guided_source'] == 'gt':
                label_map = gt_seg
            else:
                label_map = class_map(seg_logits.detach())
            extra = self.mask_guided_feature(
                feat, label_map,
                self._valid_sizes(batch_metas, label_map.shape[-2:], (input_h, input_w),
                                  feat.device),
                self._valid_sizes(batch_metas, feat.shape[-2:], (input_h, input_w),
                                  feat.device))
        outs['action_logits'] = self.iim.classify_actions(outs['action_feats'], extra)
        outs.update(seg_logits=seg_logits, part_logits=part_logits, stride=stride)
        return outs

    @staticmethod
    def _valid_sizes(metas: List[dict], map_size: Tuple[int, int],
                     input_size: Tuple[int, int], device) -> Tensor:
        """(B, 2) image region (h, w) of a map aligned with the padded input."""
        sizes = []
        for meta in metas:
            img_h, img_w = meta['img_shape'][:2]
            sizes.append([math.ceil(img_h * map_size[0] / input_size[0]),
                          math.ceil(img_w * map_size[1] / input_size[1])])
        return torch.tensor(sizes, device=device)

    @staticmethod
    def _whole_images(metas: List[dict], ref: Tensor) -> Tensor:
        """(B, 4) box of each unpadded image, x1y1x2y2 input pixels."""
        return ref.new_tensor([[0, 0, m['img_shape'][1], m['img_shape'][0]]
                               for m in metas])

    def _gt_region_boxes(self, batch_gt_pairs: list, metas: List[dict],
                         ref: Tensor) -> Tensor:
        """Union of the ground-truth human and object boxes of each image."""
        max_pairs = max(max(len(gt) for gt in batch_gt_pairs), 1)
        num_imgs = len(batch_gt_pairs)
        human = ref.new_zeros((num_imgs, max_pairs, 4))
        obj = ref.new_zeros((num_imgs, max_pairs, 4))
        valid = torch.zeros((num_imgs, max_pairs), dtype=torch.bool, device=ref.device)
        for img_id, gt in enumerate(batch_gt_pairs):
            num = len(gt)
            human[img_id, :num] = gt.human_pixels
            obj[img_id, :num] = gt.object_pixels
            valid[img_id, :num] = True
        return self.pgcs.roi_enhancer.union_boxes(human, obj, valid,
                                                  self._whole_images(metas, ref))

    def _pred_region_boxes(self, outs: Dict[str, Tensor], metas: List[dict],
                           score_thr: float) -> Tensor:
        """Union of the last stage's boxes of the pairs whose object score > thr.

        Only the first query group's (the queries inference keeps; the IIM decodes
        ``num_groups`` of them in training).
        """
        factors = outs['human_boxes'].new_tensor(
            [[m['img_shape'][1], m['img_shape'][0]] * 2 for m in metas])[:, None]
        queries = slice(0, self.iim.num_queries)
        boxes = []
        for key in ('human_boxes', 'object_boxes'):
            boxes.append(bbox_cxcywh_to_xyxy(outs[key][-1, :, queries].detach()) * factors)
        scores, _ = self.iim.object_scores(
            outs['object_logits'][-1, :, queries].detach())
        return self.pgcs.roi_enhancer.union_boxes(
            boxes[0], boxes[1], scores > score_thr,
            self._whole_images(metas, boxes[0]))

    # ----------------------------------------------------------------- modes
    def _gt_seg(self, batch_inputs: Tensor, batch_data_samples: Sequence) -> Tensor:
        """(B, H, W) padded contact maps; unannotated images are all ignored (255)."""
        input_size = tuple(batch_inputs.shape[-2:])
        maps = []
        for sample in batch_data_samples:
            if 'gt_sem_seg' not in sample or not sample.metainfo.get(
                    'contact_annotated', True):
                maps.append(batch_inputs.new_full(input_size, IGNORE_INDEX,
                                                  dtype=torch.long))
                continue
            seg = sample.gt_sem_seg.sem_seg
            if tuple(seg.shape[-2:]) != input_size:
                raise ValueError(
                    f'PaIRNet: gt_sem_seg has size {tuple(seg.shape[-2:])} but the padded '
                    f'input is {input_size}; pad both with the data preprocessor '
                    '(DetDataPreprocessor with pad_seg=True, seg_pad_value=255)')
            maps.append(seg.reshape(input_size).long())
        return torch.stack(maps)

    def loss(self, batch_inputs: Tensor, batch_data_samples: Sequence) -> dict:
        """Losses of a batch (Eq. 18).

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ground truth as
                ``docs/contracts.md``.

        Returns:
            dict[str, Tensor]: ``loss_obj_cls``, ``loss_action``, ``loss_sub_bbox``,
            ``loss_obj_bbox``, ``loss_sub_iou``, ``loss_obj_iou`` (and ``d{i}.`` for the
            earlier stages), each × α; ``loss_contact_seg`` and ``loss_parts`` × β.
        """
        metas = self._metas(batch_inputs, batch_data_samples)
        gt_pairs = self.iim.get_gt_pairs(batch_data_samples)
        gt_seg = self._gt_seg(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, metas, gt_pairs, gt_seg)

        losses = self.iim.loss_by_feat(outs, outs['action_logits'], gt_pairs, metas)
        losses = {key: value * self.match_loss_weight for key, value in losses.items()}
        losses['loss_contact_seg'] = self.contact_loss_weight * self.pgcs.loss(
            outs['seg_logits'], gt_seg)
        if self.cpam is not None:
            # images without contact annotation (or without gt_parts) are skipped
            annotated = torch.tensor(
                [bool(s.metainfo.get('contact_annotated', True)) and 'gt_parts' in s
                 for s in batch_data_samples], device=batch_inputs.device)
            gt_parts = torch.stack([
                s.gt_parts.to(batch_inputs.device) if 'gt_parts' in s else
                batch_inputs.new_zeros(NUM_PARTS) for s in batch_data_samples
            ]).float()
            losses['loss_parts'] = self.contact_loss_weight * self.cpam.loss(
                outs['part_logits'], gt_parts, annotated)
        return losses

    def predict(self, batch_inputs: Tensor, batch_data_samples: Sequence,
                rescale: bool = True) -> Sequence:
        """Triplets, contact map and part probabilities of each image.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): with ``img_shape``, and with
                ``rescale`` ``scale_factor`` and ``ori_shape``.
            rescale (bool): map boxes and maps to the original image size.

        Returns:
            list[PaIRDataSample]: the inputs with ``pred_hois`` (top-K triplets),
            ``pred_sem_seg.sem_seg`` (1, H0, W0) int64 and ``pred_parts`` (17,).
        """
        metas = self._metas(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, metas)
        results = self.iim.predict_by_feat(outs, outs['action_logits'], metas, rescale)
        input_size = tuple(batch_inputs.shape[-2:])
        for img_id, (sample, meta) in enumerate(zip(batch_data_samples, metas)):
            img_h, img_w = meta['img_shape'][:2]
            logits = self.pgcs.upsample(outs['seg_logits'][img_id:img_id + 1],
                                        input_size)[..., :img_h, :img_w]
            if rescale:
                ori_h, ori_w = meta['ori_shape'][:2]
                if (ori_h, ori_w) != (img_h, img_w):
                    logits = F.interpolate(logits, size=(ori_h, ori_w), mode='bilinear',
                                           align_corners=False)
            sample.pred_hois = results[img_id]
            sample.pred_sem_seg = PixelData(sem_seg=class_map(logits))
            if outs['part_logits'] is not None:
                sample.pred_parts = outs['part_logits'][img_id].float().sigmoid()
            else:
                # without CPAM: each part's largest probability over the image's pixels
                probs = logits[0].float().softmax(dim=0)[1:]
                sample.pred_parts = probs.flatten(1).amax(dim=1)
        return batch_data_samples

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: Optional[Sequence] = None) -> Tuple[Tensor, ...]:
        """Raw outputs (tensor mode), no post-processing.

        Returns:
            tuple[Tensor]: ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised
            cxcywh, ``object_logits`` (S, B, Q, 81), ``action_logits`` (S, B, Q, A),
            ``seg_logits`` (B, 18, H/2, W/2), and ``part_logits`` (B, 17) when CPAM is on.
        """
        metas = self._metas(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, metas)
        results = (outs['human_boxes'], outs['object_boxes'], outs['object_logits'],
                   outs['action_logits'], outs['seg_logits'])
        if outs['part_logits'] is not None:
            results = results + (outs['part_logits'], )
        return results
