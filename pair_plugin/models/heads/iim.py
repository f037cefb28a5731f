"""Interaction Inference Module (IIM, Eq. 10-13, 15-17): pairs, boxes, classes, actions."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import Linear, build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmdet.models.layers import (DetrTransformerDecoderLayer, DetrTransformerEncoder,
                                 SinePositionalEncoding)
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_xyxy_to_cxcywh
from mmdet.utils import reduce_mean
from mmengine.model import BaseModule, ModuleList, bias_init_with_prob
from mmengine.structures import InstanceData
from torch import Tensor, nn

from pair_plugin.models.layers import fuse_attention
from pair_plugin.registry import MODELS, TASK_UTILS

_ATTN = dict(embed_dims=256, num_heads=8, dropout=0.1, batch_first=True)
_FFN = dict(embed_dims=256, feedforward_channels=2048, num_fcs=2, ffn_drop=0.1,
            act_cfg=dict(type='ReLU', inplace=True))


@MODELS.register_module()
class IIM(BaseModule):
    """DETR encoder + three (instance decoder → (D_h + D_o)/2 → action decoder) stages.

    F_B goes through a 1×1 input projection to ``embed_dims`` (as DETR), gets the sine
    positional encoding and the DETR encoder (Eq. 10). ``num_queries`` human and
    ``num_queries`` object queries are concatenated (``Q_D^I``); every stage runs one
    instance decoder layer on them (Eq. 11), splits the result into D_h and D_o (Eq. 12)
    and runs one action decoder layer on ``(D_h + D_o)/2`` (Eq. 13, its positional query is
    the mean of the human and object ones); the next stage continues from the instance
    decoder's state. Every stage is supervised (auxiliary losses).

    Heads (shared by the stages, as DETR's): FC1 = DETR's regression branch (an FFN of
    ``num_reg_fcs`` layers + a linear layer, sigmoid) for the human boxes from D_h and,
    with its own weights, the object boxes from D_o (normalised cxcywh); FC2 = a linear
    object classifier on D_o (``num_object_classes`` + no-object, softmax); the action
    classifier is a linear layer on ``[D_a; F_M]`` (Eq. 15), one sigmoid per action.

    Args:
        in_channels (int): channels C of F_B.
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        num_queries (int): human queries = object queries = pair queries N_q. Defaults
            to 64.
        num_stages (int): decoder stages. Defaults to 3.
        extra_action_channels (int): length of F_M concatenated to D_a before the action
            classifier (0 without the Mask-Guided RoI Feature). Set by :class:`PaIRNet`.
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        instance_decoder_layer (dict): kwargs of the instance decoder's
            ``DetrTransformerDecoderLayer``.
        action_decoder_layer (dict): kwargs of the action decoder's layer.
        post_norm_cfg (dict): norm applied to every decoder output (as DETR's decoder).
        num_reg_fcs (int): FFN layers of the box branches. Defaults to 2.
        loss_object_cls (dict): object class loss; ``bg_cls_weight`` is the weight of the
            no-object class (as mmdet's ``DETRHead``).
        loss_action (dict): action loss (sigmoid focal loss on multi-hot targets).
        loss_bbox (dict): L1 loss on normalised cxcywh boxes, human and object.
        loss_iou (dict): GIoU loss on pixel boxes, human and object.
        train_cfg (dict): ``assigner`` config.
        test_cfg (dict): ``max_per_img`` (top-K triplets). Defaults to 100.
        fused_attention (bool): compute every attention of the encoder and decoders
            without the head-averaged attention weights that mmcv asks torch for and
            then drops, which lets torch use its fused ``scaled_dot_product_attention``
            (:func:`~pair_plugin.models.layers.fuse_attention`): the same parameters and
            outputs up to float rounding, 3x faster encoder attention at 800x1333
            (docs/benchmarks.md). Defaults to True.
        num_groups (int): query groups in training (Group DETR, Chen et al., ICCV
            2023): ``num_groups`` independent sets of ``num_queries`` pair queries, each
            with its own query embeddings, decoded together with self-attention only
            within a group (the cross-attention and every weight are shared), each group
            matched one-to-one to the ground truth on its own and its losses averaged
            over the groups. A ground-truth pair then supervises ``num_groups`` queries
            per step instead of one. Inference (the module in eval mode) decodes the
            first group only: the model, its outputs and its cost are those of
            ``num_groups=1``; the extra groups' embeddings are
            ``group_{human,object}_query_embedding``. Defaults to 1 (the paper).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 num_queries: int = 64,
                 num_stages: int = 3,
                 extra_action_channels: int = 0,
                 positional_encoding: dict = dict(num_feats=128, normalize=True),
                 encoder: dict = dict(
                     num_layers=6,
                     layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
                 instance_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 action_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 post_norm_cfg: dict = dict(type='LN'),
                 num_reg_fcs: int = 2,
                 loss_object_cls: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=False, bg_cls_weight=0.1,
                     class_weight=1.0, loss_weight=1.0),
                 loss_action: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
                     loss_weight=2.0),
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
                 fused_attention: bool = True,
                 num_groups: int = 1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_object_classes = num_object_classes
        self.num_actions = num_actions
        self.num_queries = num_queries
        self.num_stages = num_stages
        self.extra_action_channels = extra_action_channels
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg if test_cfg is not None else dict(max_per_img=100)

        self.positional_encoding = SinePositionalEncoding(**positional_encoding)
        self.encoder = DetrTransformerEncoder(**copy.deepcopy(encoder))
        self.embed_dims = self.encoder.embed_dims
        if self.positional_encoding.num_feats * 2 != self.embed_dims:
            raise ValueError(
                f'IIM: positional_encoding.num_feats ({self.positional_encoding.num_feats})'
                f' must be half of the embedding width ({self.embed_dims})')
        self.input_proj = nn.Conv2d(in_channels, self.embed_dims, kernel_size=1)
        self.human_query_embedding = nn.Embedding(num_queries, self.embed_dims)
        self.object_query_embedding = nn.Embedding(num_queries, self.embed_dims)
        if num_groups < 1:
            raise ValueError(f'IIM: num_groups must be >= 1, got {num_groups}')
        self.num_groups = num_groups
        if num_groups > 1:
            extra = num_queries * (num_groups - 1)
            self.group_human_query_embedding = nn.Embedding(extra, self.embed_dims)
            self.group_object_query_embedding = nn.Embedding(extra, self.embed_dims)
        self.instance_decoder = ModuleList([
            DetrTransformerDecoderLayer(**copy.deepcopy(instance_decoder_layer))
            for _ in range(num_stages)
        ])
        self.action_decoder = ModuleList([
            DetrTransformerDecoderLayer(**copy.deepcopy(action_decoder_layer))
            for _ in range(num_stages)
        ])
        self.instance_post_norm = build_norm_layer(post_norm_cfg, self.embed_dims)[1]
        self.action_post_norm = build_norm_layer(post_norm_cfg, self.embed_dims)[1]
        self.fused_attention = fused_attention
        if fused_attention:
            fuse_attention(self)

        # FC1: human and object box branches (DETR's reg branch), FC2: object classes
        self.human_reg_ffn, self.human_reg = self._box_branch(num_reg_fcs)
        self.object_reg_ffn, self.object_reg = self._box_branch(num_reg_fcs)
        self.object_cls = Linear(self.embed_dims, num_object_classes + 1)
        self.action_cls = Linear(self.embed_dims + extra_action_channels, num_actions)

        # losses, as mmdet's DETRHead: a weighted no-object class
        loss_object_cls = dict(loss_object_cls)
        class_weight = float(loss_object_cls.pop('class_weight', 1.0))
        self.bg_cls_weight = float(loss_object_cls.pop('bg_cls_weight', class_weight))
        loss_object_cls['class_weight'] = [class_weight] * num_object_classes + [
            self.bg_cls_weight
        ]
        self.loss_object_cls = MODELS.build(loss_object_cls)
        self.loss_action = MODELS.build(loss_action)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_iou = MODELS.build(loss_iou)
        if train_cfg is not None:
            if 'assigner' not in train_cfg:
                raise ValueError('IIM: train_cfg must hold an assigner config')
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])

    def _box_branch(self, num_reg_fcs: int) -> Tuple[nn.Module, nn.Module]:
        ffn = FFN(self.embed_dims, self.embed_dims, num_reg_fcs,
                  dict(type='ReLU', inplace=True), dropout=0.0, add_residual=False)
        return ffn, Linear(self.embed_dims, 4)

    def init_weights(self) -> None:
        """Xavier-uniform transformer weights, as mmdet's DETR; the action classifier's
        bias at a 0.01 prior probability, as mmdet's focal-loss heads."""
        super().init_weights()
        for module in (self.encoder, self.instance_decoder, self.action_decoder):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        nn.init.constant_(self.action_cls.bias, bias_init_with_prob(0.01))

    # ------------------------------------------------------------------ forward
    def _padding_mask(self, feat: Tensor, batch_img_metas: Optional[Sequence[dict]]
                      ) -> Optional[Tensor]:
        """Padding mask of the feature map (True = padding), as mmdet's DETR.

        Returns None when no image of the batch is padded.
        """
        if batch_img_metas is None:
            return None
        input_h, input_w = batch_img_metas[0]['batch_input_shape']
        shapes = [meta['img_shape'][:2] for meta in batch_img_metas]
        if all(h == input_h and w == input_w for h, w in shapes):
            return None
        masks = feat.new_ones((feat.size(0), input_h, input_w))
        for img_id, (h, w) in enumerate(shapes):
            masks[img_id, :h, :w] = 0
        return F.interpolate(masks[:, None], size=feat.shape[-2:]).to(torch.bool)[:, 0]

    def forward(self, feat: Tensor,
                batch_img_metas: Optional[Sequence[dict]] = None) -> Dict[str, Tensor]:
        """Encoder and decoder stages, box and object-class heads.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            batch_img_metas (list[dict], optional): ``img_shape`` and
                ``batch_input_shape`` of each image (padding mask); None = no padding.

        Returns:
            dict: with S stages, B images, Q = num_queries (times ``num_groups`` in
            training: the groups one after the other), per stage:

            - ``human_boxes``, ``object_boxes`` (S, B, Q, 4): normalised cxcywh;
            - ``object_logits`` (S, B, Q, num_object_classes + 1);
            - ``action_feats`` (S, B, Q, embed_dims): D_a, input of
              :meth:`classify_actions`.
        """
        x = self.input_proj(feat)
        batch_size, dims, h, w = x.shape
        masks = self._padding_mask(x, batch_img_metas)
        pos = self.positional_encoding(masks, input=x if masks is None else None)
        x = x.view(batch_size, dims, -1).permute(0, 2, 1)
        pos = pos.view(batch_size, dims, -1).permute(0, 2, 1)
        if masks is not None:
            masks = masks.view(batch_size, -1)
        memory = self.encoder(query=x, query_pos=pos, key_padding_mask=masks)

        human_pos = self.human_query_embedding.weight
        object_pos = self.object_query_embedding.weight
        num_groups = self.num_groups if self.training else 1
        instance_mask = action_mask = None
        if num_groups > 1:
            human_pos = torch.cat([human_pos, self.group_human_query_embedding.weight])
            object_pos = torch.cat([object_pos, self.group_object_query_embedding.weight])
            instance_mask, action_mask = self._group_attention_masks(
                num_groups, human_pos.device)
        num_pairs = human_pos.size(0)
        query_pos = torch.cat([human_pos, object_pos])[None].expand(batch_size, -1, -1)
        action_pos = ((human_pos + object_pos) / 2)[None].expand(batch_size, -1, -1)
        query = torch.zeros_like(query_pos)
        humans, objects, actions = [], [], []
        for instance_layer, action_layer in zip(self.instance_decoder,
                                                self.action_decoder):
            query = instance_layer(query, key=memory, value=memory, query_pos=query_pos,
                                   key_pos=pos, key_padding_mask=masks,
                                   self_attn_mask=instance_mask)
            instance = self.instance_post_norm(query)
            d_h, d_o = instance.split(num_pairs, dim=1)
            d_a = action_layer((d_h + d_o) / 2, key=memory, value=memory,
                               query_pos=action_pos, key_pos=pos,
                               key_padding_mask=masks, self_attn_mask=action_mask)
            humans.append(d_h)
            objects.append(d_o)
            actions.append(self.action_post_norm(d_a))
        d_h = torch.stack(humans)
        d_o = torch.stack(objects)
        return dict(
            human_boxes=self.human_reg(F.relu(self.human_reg_ffn(d_h))).sigmoid(),
            object_boxes=self.object_reg(F.relu(self.object_reg_ffn(d_o))).sigmoid(),
            object_logits=self.object_cls(d_o),
            action_feats=torch.stack(actions))

    def _group_attention_masks(self, num_groups: int,
                               device: torch.device) -> Tuple[Tensor, Tensor]:
        """Self-attention masks that keep each query group to itself (True = masked).

        Returns:
            tuple[Tensor]: the instance decoder's (2GQ, 2GQ) mask, over the G·Q human
            then the G·Q object queries, and the action decoder's (GQ, GQ) mask.
        """
        group = torch.arange(num_groups * self.num_queries,
                             device=device) // self.num_queries
        instance_group = torch.cat([group, group])
        return (instance_group[:, None] != instance_group[None],
                group[:, None] != group[None])

    def classify_actions(self, action_feats: Tensor,
                         extra: Optional[Tensor] = None) -> Tensor:
        """Action logits ``A = FC([D_a; F_M])`` (Eq. 15).

        Args:
            action_feats (Tensor): D_a, (S, B, Q, embed_dims).
            extra (Tensor, optional): F_M, (B, extra_action_channels), shared by all the
                queries of an image.

        Returns:
            Tensor: (S, B, Q, num_actions) logits.
        """
        if self.extra_action_channels:
            if extra is None or extra.size(-1) != self.extra_action_channels:
                raise ValueError(
                    f'IIM: the action classifier expects {self.extra_action_channels} '
                    'extra channels (F_M) per image')
            s, b, q, _ = action_feats.shape
            extra = extra[None, :, None].expand(s, b, q, -1)
            action_feats = torch.cat([action_feats, extra], dim=-1)
        return self.action_cls(action_feats)

    # --------------------------------------------------------------------- loss
    def get_gt_pairs(self, batch_data_samples: Sequence) -> List[InstanceData]:
        """Ground-truth pairs of each image in the form the assigner and losses use.

        Returns:
            list[InstanceData]: per image (P pairs): ``labels`` (P,) object classes,
            ``actions`` (P, A), ``human_bboxes``/``object_bboxes`` (P, 4) normalised
            cxcywh, ``human_pixels``/``object_pixels`` (P, 4) x1y1x2y2 input pixels.
        """
        gt_list, index_checks = [], []
        for sample in batch_data_samples:
            img_h, img_w = sample.metainfo['img_shape'][:2]
            boxes = sample.gt_instances.bboxes
            boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
            labels = sample.gt_instances.labels
            pairs = sample.gt_pairs
            actions = pairs.actions
            if actions.dim() != 2 or actions.size(1) != self.num_actions:
                raise ValueError(
                    f'IIM: gt_pairs.actions has shape {tuple(actions.shape)} but the model '
                    f'has num_actions={self.num_actions} (model.iim.num_actions must equal '
                    "the length of the dataset's metainfo 'actions')")
            sub, obj = pairs.subject_ids.long(), pairs.object_ids.long()
            # indexing with a bad id would fail deep inside torch (or silently wrap
            # around for -1): checked below, once for the whole batch
            if len(boxes) == 0 and sub.numel():
                self._check_pair_indices([(sample, 0, sub, obj)])
            index_checks.append((sample, len(boxes), sub, obj))
            last = max(len(boxes) - 1, 0)
            sub, obj = sub.clamp(0, last), obj.clamp(0, last)
            factor = boxes.new_tensor([img_w, img_h, img_w, img_h])
            human_px, object_px = boxes[sub].float(), boxes[obj].float()
            gt_list.append(
                InstanceData(
                    labels=labels[obj].long(),
                    actions=actions.float(),
                    human_bboxes=bbox_xyxy_to_cxcywh(human_px / factor),
                    object_bboxes=bbox_xyxy_to_cxcywh(object_px / factor),
                    human_pixels=human_px,
                    object_pixels=object_px))
        self._check_pair_indices(index_checks)
        return gt_list

    @staticmethod
    def _check_pair_indices(index_checks: list) -> None:
        """Raise on a pair index outside its image's ``gt_instances``.

        One host-device synchronisation for the batch (not one per image): the flags of
        every image are reduced on the device, and only a failing batch is inspected
        image by image to name the file and the field.
        """
        flags = [((ids < 0) | (ids >= num)).any() for _, num, sub, obj in index_checks
                 for ids in (sub, obj) if ids.numel()]
        if not flags or not bool(torch.stack(flags).any()):
            return
        for sample, num, sub, obj in index_checks:
            for name, ids in (('subject_ids', sub), ('object_ids', obj)):
                if ids.numel() and bool(((ids < 0) | (ids >= num)).any()):
                    raise ValueError(
                        f"IIM: {sample.metainfo.get('img_path', 'an image')}: gt_pairs."
                        f'{name} {ids.tolist()} index outside the {num} gt_instances')

    def loss_by_feat(self, outs: Dict[str, Tensor], action_logits: Tensor,
                     batch_gt_pairs: List[InstanceData],
                     batch_img_metas: Sequence[dict]) -> Dict[str, Tensor]:
        """Losses of every stage; the last stage unprefixed, the others ``d{i}.``.

        Args:
            outs (dict): output of :meth:`forward`.
            action_logits (Tensor): (S, B, Q, A) from :meth:`classify_actions`.
            batch_gt_pairs (list[InstanceData]): from :meth:`get_gt_pairs`.
            batch_img_metas (list[dict]): ``img_shape`` of each image.

        Returns:
            dict[str, Tensor]: ``loss_obj_cls``, ``loss_action``, ``loss_sub_bbox``,
            ``loss_obj_bbox``, ``loss_sub_iou``, ``loss_obj_iou`` per stage; with query
            groups (``num_groups``), each the mean of the groups' losses, every group
            matched on its own.
        """
        preds = [outs['human_boxes'], outs['object_boxes'], outs['object_logits'],
                 action_logits]
        groups = action_logits.size(2) // self.num_queries
        if groups > 1:
            # every group of an image as an image of its own, with that image's ground
            # truth: one assignment call and one loss per stage for all the groups. Each
            # group has the same number of positives, so the losses, averaged over all
            # positives, are the mean of the groups' losses
            preds = [p.unflatten(2, (groups, self.num_queries)).flatten(1, 2)
                     for p in preds]
            batch_gt_pairs = [gt for gt in batch_gt_pairs for _ in range(groups)]
            batch_img_metas = [m for m in batch_img_metas for _ in range(groups)]
        # the same ground truth for every stage: concatenated once
        gt_pairs, gt_sizes = self.assigner.pack_gt_instances(batch_gt_pairs)
        losses = dict()
        num_stages = action_logits.size(0)
        for stage in range(num_stages):
            stage_losses = self.loss_by_feat_single(
                *[p[stage] for p in preds], gt_pairs, gt_sizes, batch_img_metas)
            prefix = '' if stage == num_stages - 1 else f'd{stage}.'
            for key, value in stage_losses.items():
                losses[prefix + key] = value
        return losses

    def loss_by_feat_single(self, human_boxes: Tensor, object_boxes: Tensor,
                            object_logits: Tensor, action_logits: Tensor,
                            gt_pairs: InstanceData, gt_sizes: Sequence[int],
                            batch_img_metas: Sequence[dict]) -> Dict[str, Tensor]:
        """Losses of one stage (B images, Q queries).

        Args:
            human_boxes (Tensor): (B, Q, 4) normalised cxcywh.
            object_boxes (Tensor): (B, Q, 4) normalised cxcywh.
            object_logits (Tensor): (B, Q, num_object_classes + 1).
            action_logits (Tensor): (B, Q, A).
            gt_pairs (InstanceData): the pairs of :meth:`get_gt_pairs` of all images,
                concatenated in image order (the assigner's ``pack_gt_instances``).
            gt_sizes (Sequence[int]): the number of pairs of each image.
            batch_img_metas (list[dict]): per image.

        Returns:
            dict[str, Tensor]: the six losses.
        """
        num_imgs, num_queries = object_logits.shape[:2]
        preds = InstanceData(scores=object_logits.flatten(0, 1).detach(),
                             action_scores=action_logits.flatten(0, 1).detach(),
                             human_bboxes=human_boxes.flatten(0, 1).detach(),
                             object_bboxes=object_boxes.flatten(0, 1).detach())
        # pred_inds index the B*Q flattened queries, gt_inds the concatenated pairs
        pred_inds, gt_inds = self.assigner.match_batch(preds, gt_pairs, num_imgs,
                                                       gt_sizes)

        # Targets by one indexed write per field for the whole batch: no boolean
        # indexing, no nonzero, no .item(), so the only host-device synchronisation of
        # the step is the assignment's cost matrix.
        num_flat = num_imgs * num_queries
        labels = object_logits.new_full((num_flat, ), self.num_object_classes,
                                        dtype=torch.long)
        action_targets = action_logits.new_zeros((num_flat, self.num_actions))
        box_weights = object_logits.new_zeros((num_flat, 4))
        targets = {key: object_logits.new_zeros((num_flat, 4))
                   for key in ('human_bboxes', 'object_bboxes', 'human_pixels',
                               'object_pixels')}
        # known on the host: Hungarian matching pairs min(Q, m_i) queries of image i
        num_pos = len(pred_inds)
        if num_pos:
            labels[pred_inds] = gt_pairs.labels[gt_inds]
            action_targets[pred_inds] = gt_pairs.actions[gt_inds].to(
                action_targets.dtype)
            box_weights[pred_inds] = 1
            for key, target in targets.items():
                target[pred_inds] = gt_pairs.get(key)[gt_inds].to(target.dtype)
        factors = object_logits.new_tensor(
            [[m['img_shape'][1], m['img_shape'][0]] * 2 for m in batch_img_metas]
        )[:, None]  # (B, 1, 4)

        num_neg = labels.numel() - num_pos
        cls_avg_factor = max(num_pos + num_neg * self.bg_cls_weight, 1.0)
        loss_obj_cls = self.loss_object_cls(
            object_logits.reshape(-1, self.num_object_classes + 1), labels,
            avg_factor=cls_avg_factor)

        num_pos_actions = reduce_mean(action_targets.sum()).clamp(min=1)
        loss_action = self.loss_action(
            action_logits.reshape(-1, self.num_actions), action_targets,
            avg_factor=num_pos_actions)

        num_total_pos = reduce_mean(
            object_logits.new_tensor(float(num_pos))).clamp(min=1)
        losses = dict(loss_obj_cls=loss_obj_cls, loss_action=loss_action)
        for name, pred, key in (('sub', human_boxes, 'human'),
                                ('obj', object_boxes, 'object')):
            losses[f'loss_{name}_bbox'] = self.loss_bbox(
                pred.reshape(-1, 4), targets[f'{key}_bboxes'], box_weights,
                avg_factor=num_total_pos)
            pred_pixels = (bbox_cxcywh_to_xyxy(pred) * factors).reshape(-1, 4)
            losses[f'loss_{name}_iou'] = self.loss_iou(
                pred_pixels, targets[f'{key}_pixels'], box_weights,
                avg_factor=num_total_pos)
        return losses

    # ------------------------------------------------------------------ predict
    def predict_by_feat(self, outs: Dict[str, Tensor], action_logits: Tensor,
                        batch_img_metas: Sequence[dict],
                        rescale: bool = True) -> List[InstanceData]:
        """Top-K (pair query × action) triplets of the last stage, per image.

        The score of (query q, action a) is ``sigmoid(action logit) × p(object)`` with
        ``p(object)`` the largest non-no-object softmax probability of q, whose class is
        the triplet's object label.

        Args:
            outs (dict): output of :meth:`forward`.
            action_logits (Tensor): (S, B, Q, A).
            batch_img_metas (list[dict]): ``img_shape``, and with ``rescale``
                ``scale_factor`` (w, h) and ``ori_shape``.
            rescale (bool): map the boxes to the original image. Defaults to True.

        Returns:
            list[InstanceData]: ``subject_bboxes``, ``object_bboxes`` (K, 4) pixels,
            ``object_labels``, ``action_labels`` (K,) int64, ``scores`` (K,) descending;
            float32 even under mixed precision.
        """
        max_per_img = self.test_cfg.get('max_per_img', 100)
        obj_scores, obj_labels = self.object_scores(outs['object_logits'][-1])
        action_probs = action_logits[-1].sigmoid()
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            scores = action_probs[img_id] * obj_scores[img_id][:, None]  # (Q, A)
            k = min(max_per_img, scores.numel())
            scores, index = scores.flatten().topk(k)
            query = torch.div(index, self.num_actions, rounding_mode='floor')
            boxes = []
            for key in ('human_boxes', 'object_boxes'):
                boxes.append(self._to_pixels(outs[key][-1][img_id][query], meta, rescale))
            results.append(
                InstanceData(
                    subject_bboxes=boxes[0].float(), object_bboxes=boxes[1].float(),
                    object_labels=obj_labels[img_id][query].long(),
                    action_labels=(index % self.num_actions).long(),
                    scores=scores.float()))
        return results

    @staticmethod
    def object_scores(object_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Largest non-no-object softmax probability and its class.

        Args:
            object_logits (Tensor): (..., num_object_classes + 1).

        Returns:
            tuple[Tensor, Tensor]: scores and labels, (...).
        """
        return object_logits.softmax(-1)[..., :-1].max(-1)

    @staticmethod
    def _to_pixels(boxes: Tensor, meta: dict, rescale: bool) -> Tensor:
        """Normalised cxcywh → x1y1x2y2 in input pixels, or original pixels if rescale."""
        img_h, img_w = meta['img_shape'][:2]
        boxes = bbox_cxcywh_to_xyxy(boxes) * boxes.new_tensor([img_w, img_h, img_w, img_h])
        boxes[:, 0::2] = boxes[:, 0::2].clamp(0, img_w)
        boxes[:, 1::2] = boxes[:, 1::2].clamp(0, img_h)
        if rescale:
            for key in ('scale_factor', 'ori_shape'):
                if key not in meta:
                    raise ValueError(
                        f"PaIRNet.predict: data sample metainfo lacks '{key}' (set by the "
                        'resize transform and packed by PackPaIRInputs)')
            w_scale, h_scale = meta['scale_factor'][:2]
            ori_h, ori_w = meta['ori_shape'][:2]
            boxes = boxes / boxes.new_tensor([w_scale, h_scale, w_scale, h_scale])
            boxes[:, 0::2] = boxes[:, 0::2].clamp(0, ori_w)
            boxes[:, 1::2] = boxes[:, 1::2].clamp(0, ori_h)
        return boxes
