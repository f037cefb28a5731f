"""The interaction head interface: F_B → human-object pairs, their loss and the triplets."""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import reduce_mean
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from pair_plugin.registry import MODELS, TASK_UTILS

#: the outputs of :meth:`BaseInteractionHead.forward` that hold every decoder stage
PAIR_OUTPUTS = ('human_boxes', 'object_boxes', 'object_logits')


class BaseInteractionHead(BaseModule, metaclass=ABCMeta):
    """Base of the interaction heads: everything between F_B and the triplets.

    As mmdet's ``DETRHead``, a head owns its layers (transformer and branches), its
    targets, the matching of its queries to the ground-truth pairs, its query groups, its
    loss and its prediction; :class:`PaIRNet` (or a detector of its own) calls it in two
    phases, because PaIR-Net's action classifier also reads F_M (Eq. 15), which needs the
    contact map, which needs the boxes:

    1. :meth:`forward` (F_B → boxes, object logits, action features, every decoder stage);
    2. :meth:`forward_actions` (action features [+ F_M] → action logits).

    The outputs are a dict; with S stages, B images and Q pair queries (in training Q may
    hold several query groups one after the other, :meth:`query_groups`; the first group is
    what inference keeps): ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised cxcywh,
    ``object_logits`` (S, B, Q, num_object_classes + 1) (last = no object),
    ``action_feats`` (S, B, Q, D), and ``action_logits`` (S, B, Q, num_actions) once
    :meth:`forward_actions` has run.

    The base gives every head the set-prediction loss of QPIC / CDN / GEN-VLKT on those
    outputs (one Hungarian matching per stage and query group, object class CE with a
    weighted no-object class, sigmoid focal loss on the actions, L1 and GIoU on the human
    and the object boxes; :meth:`loss_by_feat`) and the top-K triplets
    (:meth:`predict_by_feat`); a head whose architecture needs another loss overrides
    :meth:`loss_by_feat`.

    Subclasses implement :meth:`forward` and :meth:`forward_actions`; one that decodes
    extra query groups in training overrides :meth:`query_groups`, one whose action
    classifier cannot take F_M sets :attr:`takes_mask_feats` to False, and one whose
    training forward needs the ground truth (STIP's proposals) sets
    :attr:`forward_takes_gt`; outputs beyond the four above reach its
    :meth:`loss_by_feat` too.

    Args:
        in_channels (int): channels C of F_B.
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M concatenated to the action features
            before the action classifier (0: none). Set by :class:`PaIRNet`.
        loss_object_cls (dict): object class loss; ``bg_cls_weight`` is the weight of the
            no-object class (as mmdet's ``DETRHead``).
        loss_action (dict): action loss (sigmoid focal loss on multi-hot targets).
        loss_bbox (dict): L1 loss on normalised cxcywh boxes, human and object.
        loss_iou (dict): GIoU loss on pixel boxes, human and object.
        train_cfg (dict, optional): ``assigner``, the pair matcher (Eq. 16).
        test_cfg (dict, optional): ``max_per_img``, the top-K triplets kept. Defaults to
            100.
        init_cfg (dict, optional): mmengine init config.
    """

    #: whether the action classifier can take F_M (the Mask-Guided RoI Feature)
    takes_mask_feats: bool = True
    #: whether :meth:`forward` takes ``batch_data_samples`` (the ground truth) in training,
    #: as mmdet's DINO hands it to its transformer; None at inference
    forward_takes_gt: bool = False

    def __init__(self,
                 in_channels: int,
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 loss_object_cls: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     bg_cls_weight=0.1,
                     class_weight=1.0,
                     loss_weight=1.0),
                 loss_action: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25, loss_weight=2.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=2.5),
                 loss_iou: dict = dict(type='GIoULoss', loss_weight=1.0),
                 train_cfg: Optional[dict] = dict(
                     assigner=dict(
                         type='HOIHungarianAssigner',
                         match_costs=[
                             dict(type='ClassificationCost', weight=1.0),
                             dict(type='HOIActionCost', weight=1.0),
                             dict(type='PairBBoxL1Cost', weight=2.5),
                             dict(type='PairIoUCost', iou_mode='giou', weight=1.0)
                         ])),
                 test_cfg: Optional[dict] = dict(max_per_img=100),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if mask_feat_channels and not self.takes_mask_feats:
            raise ValueError(f'{name}: its action classifier cannot take F_M; build it with '
                             'mask_feat_channels=0 (no Mask-Guided RoI Feature)')
        self.in_channels = in_channels
        self.num_object_classes = num_object_classes
        self.num_actions = num_actions
        self.mask_feat_channels = mask_feat_channels
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg if test_cfg is not None else dict(max_per_img=100)

        # a weighted no-object class, as mmdet's DETRHead
        loss_object_cls = dict(loss_object_cls)
        class_weight = float(loss_object_cls.pop('class_weight', 1.0))
        self.bg_cls_weight = float(loss_object_cls.pop('bg_cls_weight', class_weight))
        loss_object_cls['class_weight'] = [class_weight] * num_object_classes + [self.bg_cls_weight]
        self.loss_object_cls = MODELS.build(loss_object_cls)
        self.loss_action = MODELS.build(loss_action)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        if train_cfg is not None:
            if 'assigner' not in train_cfg:
                raise ValueError(f'{name}: train_cfg must hold an assigner config')
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])

    # ------------------------------------------------------------------ forward
    @abstractmethod
    def forward(self, feat: Tensor, padding_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The pairs of every decoder stage, before the actions.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on the cells of F_B that
                lie in the batch's padding; None when no image is padded.

        Returns:
            dict[str, Tensor]: ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised
            cxcywh, ``object_logits`` (S, B, Q, num_object_classes + 1) and
            ``action_feats`` (S, B, Q, D), the features the action classifier reads.
        """

    @abstractmethod
    def forward_actions(self,
                        outs: Dict[str, Tensor],
                        mask_feats: Optional[Tensor] = None) -> Tensor:
        """Action logits of every stage from ``outs['action_feats']`` and F_M (Eq. 15).

        Args:
            outs (dict[str, Tensor]): from :meth:`forward`.
            mask_feats (Tensor, optional): F_M, (B, mask_feat_channels), shared by all the
                queries of an image; needed when ``mask_feat_channels`` > 0.

        Returns:
            Tensor: (S, B, Q, num_actions) logits.
        """

    def with_mask_feats(self, action_feats: Tensor, mask_feats: Optional[Tensor]) -> Tensor:
        """``[action_feats; F_M]`` (Eq. 15): F_M repeated for every stage and query.

        Args:
            action_feats (Tensor): (S, B, Q, D).
            mask_feats (Tensor, optional): (B, mask_feat_channels).

        Returns:
            Tensor: (S, B, Q, D + mask_feat_channels); ``action_feats`` without F_M.

        Raises:
            ValueError: the head takes F_M and ``mask_feats`` is None.
        """
        if not self.mask_feat_channels:
            return action_feats
        if mask_feats is None:
            raise ValueError(f'{type(self).__name__}: built for {self.mask_feat_channels} F_M '
                             'channels (the Mask-Guided RoI Feature), but got no F_M')
        s, b, q, _ = action_feats.shape
        return torch.cat([action_feats, mask_feats[None, :, None].expand(s, b, q, -1)], dim=-1)

    def query_groups(self, outs: Dict[str, Tensor]) -> int:
        """How many query groups ``outs`` hold along Q (1; heads that decode Group DETR
        query groups in training override this)."""
        return 1

    @staticmethod
    def object_scores(object_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Largest non-no-object softmax probability and its class.

        Args:
            object_logits (Tensor): (..., num_object_classes + 1).

        Returns:
            tuple[Tensor, Tensor]: scores and labels, (...).
        """
        return object_logits.softmax(-1)[..., :-1].max(-1)

    def interaction_pairs(self, outs: Dict[str, Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """The pairs the H-O RoI Enhancer encloses: those of the last stage that inference
        keeps (the first query group), detached.

        Returns:
            tuple[Tensor]: ``human_boxes``, ``object_boxes`` (B, Q', 4) normalised cxcywh
            and the object scores (B, Q').
        """
        first = slice(0, outs['object_logits'].size(2) // self.query_groups(outs))
        object_scores, _ = self.object_scores(outs['object_logits'][-1, :, first].detach())
        return (outs['human_boxes'][-1, :, first].detach(),
                outs['object_boxes'][-1, :, first].detach(), object_scores)

    # --------------------------------------------------------------------- loss
    def get_targets(self, batch_data_samples: Sequence) -> List[InstanceData]:
        """The ground-truth pairs of each image, in the form the assigner and losses use.

        Args:
            batch_data_samples (list[PaIRDataSample]): ``gt_instances``, ``gt_pairs`` and
                ``img_shape`` (the dataset has checked every pair index).

        Returns:
            list[InstanceData]: per image (P pairs): ``labels`` (P,) object classes,
            ``actions`` (P, A), ``human_bboxes``/``object_bboxes`` (P, 4) normalised
            cxcywh, ``human_pixels``/``object_pixels`` (P, 4) x1y1x2y2 input pixels.
        """
        targets = []
        for sample in batch_data_samples:
            img_h, img_w = sample.metainfo['img_shape'][:2]
            boxes = sample.gt_instances.bboxes
            boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
            pairs = sample.gt_pairs
            human = boxes[pairs.subject_ids.long()].float()
            obj = boxes[pairs.object_ids.long()].float()
            factor = human.new_tensor([img_w, img_h, img_w, img_h])
            targets.append(
                InstanceData(
                    labels=sample.gt_instances.labels[pairs.object_ids.long()].long(),
                    actions=pairs.actions.float(),
                    human_bboxes=bbox_xyxy_to_cxcywh(human / factor),
                    object_bboxes=bbox_xyxy_to_cxcywh(obj / factor),
                    human_pixels=human,
                    object_pixels=obj))
        return targets

    def loss_by_feat(self, outs: Dict[str, Tensor], batch_data_samples: Sequence,
                     img_sizes: Tensor) -> Dict[str, Tensor]:
        """Losses of every stage and query group against the ground-truth pairs.

        Args:
            outs (dict[str, Tensor]): :meth:`forward`'s outputs with ``action_logits``.
            batch_data_samples (list[PaIRDataSample]): see :meth:`get_targets`.
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.

        Returns:
            dict[str, Tensor]: see :meth:`loss_by_pairs`.
        """
        return self.loss_by_pairs(outs, self.get_targets(batch_data_samples), img_sizes,
                                  self.query_groups(outs))

    def loss_by_pairs(self,
                      outs: Dict[str, Tensor],
                      batch_gt_pairs: List[InstanceData],
                      img_sizes: Tensor,
                      num_groups: int = 1) -> Dict[str, Tensor]:
        """Losses of every stage; the last stage unprefixed, the others ``d{i}.``.

        Args:
            outs (dict[str, Tensor]): ``human_boxes``, ``object_boxes`` (S, B, Q, 4),
                ``object_logits`` (S, B, Q, num_object_classes + 1), ``action_logits``
                (S, B, Q, A).
            batch_gt_pairs (list[InstanceData]): from :meth:`get_targets`.
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.
            num_groups (int): query groups laid one after the other along Q; each group
                is matched to the ground truth on its own.

        Returns:
            dict[str, Tensor]: ``loss_obj_cls``, ``loss_action``, ``loss_sub_bbox``,
            ``loss_obj_bbox``, ``loss_sub_iou``, ``loss_obj_iou`` per stage; with query
            groups each is the mean of the groups' losses.
        """
        preds = [outs[key] for key in PAIR_OUTPUTS + ('action_logits', )]
        if num_groups > 1:
            # every group of an image as an image of its own, with that image's ground
            # truth. Each group has the same number of positives, so the losses,
            # averaged over all positives, are the mean of the groups' losses
            preds = [p.unflatten(2, (num_groups, -1)).flatten(1, 2) for p in preds]
            batch_gt_pairs = [gt for gt in batch_gt_pairs for _ in range(num_groups)]
            img_sizes = img_sizes.repeat_interleave(num_groups, dim=0)
        gt_pairs, gt_sizes = self.assigner.pack_gt_instances(batch_gt_pairs)
        losses = dict()
        num_stages = preds[0].size(0)
        for stage in range(num_stages):
            stage_losses = self.loss_by_feat_single(*[p[stage] for p in preds], gt_pairs, gt_sizes,
                                                    img_sizes)
            prefix = '' if stage == num_stages - 1 else f'd{stage}.'
            losses.update({prefix + key: value for key, value in stage_losses.items()})
        return losses

    def loss_by_feat_single(self, human_boxes: Tensor, object_boxes: Tensor, object_logits: Tensor,
                            action_logits: Tensor, gt_pairs: InstanceData, gt_sizes: Sequence[int],
                            img_sizes: Tensor) -> Dict[str, Tensor]:
        """Losses of one stage (B images, Q queries).

        Args:
            human_boxes, object_boxes (Tensor): (B, Q, 4) normalised cxcywh.
            object_logits (Tensor): (B, Q, num_object_classes + 1).
            action_logits (Tensor): (B, Q, A).
            gt_pairs (InstanceData): the pairs of all images, concatenated in image order
                (the assigner's ``pack_gt_instances``).
            gt_sizes (Sequence[int]): the number of pairs of each image.
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.

        Returns:
            dict[str, Tensor]: the six losses.
        """
        num_imgs, num_queries = object_logits.shape[:2]
        preds = InstanceData(
            scores=object_logits.flatten(0, 1).detach(),
            action_scores=action_logits.flatten(0, 1).detach(),
            human_bboxes=human_boxes.flatten(0, 1).detach(),
            object_bboxes=object_boxes.flatten(0, 1).detach())
        # pred_inds index the B*Q flattened queries, gt_inds the concatenated pairs
        pred_inds, gt_inds = self.assigner.match_batch(preds, gt_pairs, num_imgs, gt_sizes)

        # the targets of the whole batch, one indexed write per field
        num_flat = num_imgs * num_queries
        labels = object_logits.new_full((num_flat, ), self.num_object_classes, dtype=torch.long)
        action_targets = action_logits.new_zeros((num_flat, self.num_actions))
        box_weights = object_logits.new_zeros((num_flat, 4))
        targets = {
            key: object_logits.new_zeros((num_flat, 4))
            for key in ('human_bboxes', 'object_bboxes', 'human_pixels', 'object_pixels')
        }
        num_pos = len(pred_inds)
        if num_pos:
            labels[pred_inds] = gt_pairs.labels[gt_inds]
            action_targets[pred_inds] = gt_pairs.actions[gt_inds].to(action_targets.dtype)
            box_weights[pred_inds] = 1
            for key, target in targets.items():
                target[pred_inds] = gt_pairs.get(key)[gt_inds].to(target.dtype)

        num_neg = num_flat - num_pos
        cls_avg_factor = max(num_pos + num_neg * self.bg_cls_weight, 1.0)
        loss_obj_cls = self.loss_object_cls(
            object_logits.reshape(-1, self.num_object_classes + 1),
            labels,
            avg_factor=cls_avg_factor)

        num_pos_actions = reduce_mean(action_targets.sum()).clamp(min=1)
        loss_action = self.loss_action(
            action_logits.reshape(-1, self.num_actions), action_targets, avg_factor=num_pos_actions)

        num_total_pos = reduce_mean(object_logits.new_tensor(float(num_pos))).clamp(min=1)
        factors = img_sizes.flip(-1).repeat(1, 2).to(object_logits.dtype)[:, None]
        losses = dict(loss_obj_cls=loss_obj_cls, loss_action=loss_action)
        for name, pred, key in (('sub', human_boxes, 'human'), ('obj', object_boxes, 'object')):
            losses[f'loss_{name}_bbox'] = self.loss_bbox(
                pred.reshape(-1, 4),
                targets[f'{key}_bboxes'],
                box_weights,
                avg_factor=num_total_pos)
            pred_pixels = (bbox_cxcywh_to_xyxy(pred) * factors).reshape(-1, 4)
            losses[f'loss_{name}_iou'] = self.loss_iou(
                pred_pixels, targets[f'{key}_pixels'], box_weights, avg_factor=num_total_pos)
        return losses

    def loss(self, feat: Tensor, padding_mask: Optional[Tensor], batch_data_samples: Sequence,
             img_sizes: Tensor) -> Dict[str, Tensor]:
        """:meth:`forward`, :meth:`forward_actions` (without F_M) and :meth:`loss_by_feat`:
        the head on its own (an HOI detector without contact), as mmdet's
        ``DETRHead.loss``."""
        if self.forward_takes_gt:
            outs = self(feat, padding_mask, batch_data_samples=batch_data_samples)
        else:
            outs = self(feat, padding_mask)
        outs['action_logits'] = self.forward_actions(outs)
        return self.loss_by_feat(outs, batch_data_samples, img_sizes)

    # ------------------------------------------------------------------ predict
    def predict_by_feat(self,
                        outs: Dict[str, Tensor],
                        batch_img_metas: Sequence[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """Top-K (pair query × action) triplets per image, from the last stage.

        The score of (query q, action a) is ``sigmoid(action logit) × p(object)``, with
        ``p(object)`` the largest non-no-object softmax probability of q, whose class is
        the triplet's object label (QPIC / CDN).

        Args:
            outs (dict[str, Tensor]): the last stage: ``human_boxes``, ``object_boxes``
                (B, Q, 4) normalised cxcywh, ``object_logits`` (B, Q,
                num_object_classes + 1), ``action_logits`` (B, Q, A).
            batch_img_metas (list[dict]): ``img_shape``, and with ``rescale``
                ``scale_factor`` (w, h) and ``ori_shape``.
            rescale (bool): map the boxes to the original image. Defaults to True.

        Returns:
            list[InstanceData]: ``subject_bboxes``, ``object_bboxes`` (K, 4) pixels,
            ``object_labels``, ``action_labels`` (K,) int64, ``scores`` (K,) descending;
            float32 even under mixed precision. K = min(``max_per_img``, Q × A).
        """
        max_per_img = self.test_cfg.get('max_per_img', 100)
        obj_scores, obj_labels = self.object_scores(outs['object_logits'].float())
        action_probs = outs['action_logits'].float().sigmoid()
        num_actions = action_probs.size(-1)
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            scores = action_probs[img_id] * obj_scores[img_id][:, None]  # (Q, A)
            scores, index = scores.flatten().topk(min(max_per_img, scores.numel()))
            query = torch.div(index, num_actions, rounding_mode='floor')
            results.append(
                InstanceData(
                    subject_bboxes=self._to_pixels(outs['human_boxes'][img_id][query], meta,
                                                   rescale),
                    object_bboxes=self._to_pixels(outs['object_boxes'][img_id][query], meta,
                                                  rescale),
                    object_labels=obj_labels[img_id][query].long(),
                    action_labels=(index % num_actions).long(),
                    scores=scores))
        return results

    @staticmethod
    def _to_pixels(boxes: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Normalised cxcywh → x1y1x2y2 in input pixels, or original pixels if rescale."""
        img_h, img_w = meta['img_shape'][:2]
        boxes = bbox_cxcywh_to_xyxy(boxes.float()) * boxes.new_tensor([img_w, img_h, img_w, img_h],
                                                                      dtype=torch.float32)
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, img_w)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, img_h)
        if rescale:
            w_scale, h_scale = meta['scale_factor'][:2]
            ori_h, ori_w = meta['ori_shape'][:2]
            boxes = boxes / boxes.new_tensor([w_scale, h_scale, w_scale, h_scale])
            boxes[:, 0::2] = boxes[:, 0::2].clamp(0, ori_w)
            boxes[:, 1::2] = boxes[:, 1::2].clamp(0, ori_h)
        return boxes

    def predict(self,
                feat: Tensor,
                padding_mask: Optional[Tensor],
                batch_data_samples: Sequence,
                rescale: bool = True) -> List[InstanceData]:
        """:meth:`forward`, :meth:`forward_actions` (without F_M) and
        :meth:`predict_by_feat` on the last stage: the head on its own, as mmdet's
        ``DETRHead.predict``."""
        outs = self(feat, padding_mask)
        outs['action_logits'] = self.forward_actions(outs)
        last = {key: value[-1] for key, value in outs.items()}
        return self.predict_by_feat(last, [s.metainfo for s in batch_data_samples], rescale)
