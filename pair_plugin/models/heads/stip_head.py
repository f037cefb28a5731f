"""STIP (Zhang et al., CVPR 2022) as an interaction head: "STTrans"."""
import copy
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmcv.ops import batched_nms
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy
from mmengine.model import kaiming_init
from mmengine.structures import InstanceData
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from .base_interaction_head import BaseInteractionHead

#: STIP's layout classes of a memory cell for one proposal: padding, image, union box,
#: human box, object box, both boxes
NUM_LAYOUT_CLASSES = 6
#: STIP's relations between two proposals: independent, same human, same object, the
#: first's human is the second's object, the reverse, itself
NUM_DEPENDENCY_CLASSES = 6

_DETR_ASSIGNER = dict(
    type='HungarianAssigner',
    match_costs=[
        dict(type='ClassificationCost', weight=1.0),
        dict(type='BBoxL1Cost', weight=5.0, box_format='xywh'),
        dict(type='IoUCost', iou_mode='giou', weight=2.0)
    ])


def _mlp(in_channels: int, hidden: int, out_channels: int, relu_out: bool = False) -> nn.Sequential:
    """Linear → ReLU → Linear (→ ReLU): STIP's two-layer fusion and mapping MLPs."""
    layers = [
        nn.Linear(in_channels, hidden),
        nn.ReLU(inplace=True),
        nn.Linear(hidden, out_channels)
    ]
    if relu_out:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def pair_spatial_layout(human: Tensor, obj: Tensor) -> Tensor:
    """STIP's 8 spatial features of (human, object) box pairs.

    Args:
        human, obj (Tensor): (P, 4) x1y1x2y2 boxes normalised to [0, 1].

    Returns:
        Tensor: (P, 8): the centre offset human − object (dx, dy), its length, its angle
        / π, the intersection area, the area of the box enclosing both, the human's and
        the object's areas.
    """
    delta = (human[:, :2] + human[:, 2:]) / 2 - (obj[:, :2] + obj[:, 2:]) / 2
    overlap = (torch.min(human[:, 2:], obj[:, 2:]) - torch.max(human[:, :2], obj[:, :2]))
    enclosing = (torch.max(human[:, 2:], obj[:, 2:]) - torch.min(human[:, :2], obj[:, :2]))
    return torch.stack([
        delta[:, 0], delta[:, 1],
        delta.norm(dim=1),
        torch.atan2(delta[:, 1], delta[:, 0]) / torch.pi,
        overlap.clamp(min=0).prod(1),
        enclosing.clamp(min=0).prod(1), (human[:, 2:] - human[:, :2]).prod(1),
        (obj[:, 2:] - obj[:, :2]).prod(1)
    ],
                       dim=1)


def proposal_relations(pairs: Tensor) -> Tensor:
    """STIP's relation class of every two proposals of an image (its semantic structure).

    ``[i, j]`` is 0 independent, 1 the same human, 2 the same object, 3 i's human is j's
    object, 4 i's object is j's human, 5 i itself; where several hold, the later one
    (as STIP).

    Args:
        pairs (Tensor): (B, K, 2) (human, object) instance indices.

    Returns:
        Tensor: (B, K, K) int64.
    """
    human, obj = pairs[..., 0], pairs[..., 1]
    relation = torch.zeros(human.shape + human.shape[-1:], dtype=torch.long, device=pairs.device)
    relation[human[:, :, None] == human[:, None]] = 1
    relation[obj[:, :, None] == obj[:, None]] = 2
    relation[human[:, :, None] == obj[:, None]] = 3
    relation[obj[:, :, None] == human[:, None]] = 4
    relation[:, torch.eye(human.size(1), dtype=torch.bool, device=pairs.device)] = 5
    return relation


def proposal_layouts(pairs: Tensor, boxes: Tensor, in_image: Tensor) -> Tensor:
    """STIP's layout class of every memory cell for every proposal (its spatial structure).

    The boxes are scaled to the image's cells (the rows and columns of ``in_image``
    holding any image cell), rounded and kept inside them, each covering its cells from
    the first to the last, inclusive (as STIP). A cell's class is 0 padding, 1 image,
    2 the union box of the human and the object, 3 the human box, 4 the object box, 5
    both (1 + in union + in human + 2 · in object).

    Args:
        pairs (Tensor): (B, K, 2) (human, object) instance indices.
        boxes (Tensor): (B, N, 4) normalised cxcywh instance boxes.
        in_image (Tensor): (B, h, w) bool, False on padding cells.

    Returns:
        Tensor: (B, K, h, w) int64.
    """
    height, width = in_image.shape[-2:]
    image = torch.arange(pairs.size(0), device=pairs.device)[:, None]
    xyxy = bbox_cxcywh_to_xyxy(boxes).clamp(0, 1)
    human, obj = xyxy[image, pairs[..., 0]], xyxy[image, pairs[..., 1]]
    union = torch.cat(
        [torch.min(human[..., :2], obj[..., :2]),
         torch.max(human[..., 2:], obj[..., 2:])], dim=-1)
    valid_h = in_image.any(2).sum(1).to(xyxy.dtype)
    valid_w = in_image.any(1).sum(1).to(xyxy.dtype)
    size = torch.stack([valid_w, valid_h, valid_w, valid_h], dim=-1)[:, None]  # (B, 1, 4)
    rows = torch.arange(height, device=pairs.device)
    cols = torch.arange(width, device=pairs.device)

    def inside(box: Tensor) -> Tensor:
        cells = torch.min((box * size).round(), size - 1)
        in_rows = (rows >= cells[..., 1, None]) & (rows <= cells[..., 3, None])
        in_cols = (cols >= cells[..., 0, None]) & (cols <= cells[..., 2, None])
        return (in_rows[..., :, None] & in_cols[..., None, :]).long()  # (B, K, h, w)

    return in_image[:, None].long() + inside(union) + inside(human) + 2 * inside(obj)


@MODELS.register_module()
class STIPHead(BaseInteractionHead):
    """STIP (Zhang et al., "Exploring Structure-aware Transformer over Interaction
    Proposals for Human-Object Interaction Detection", CVPR 2022; zyong812/STIP): the
    paper's "STTrans" (Tables 1, 2 and 5).

    Two phases, in one head:

    1. **Instances**: DETR (:class:`DETRTransformer`, 100 queries, 6 + 6 layers, and
       mmdet's ``DETRHead`` for its class and box branches and its set loss) detects
       people and objects on F_B.
    2. **Interaction proposals**: every (person scoring above ``human_score_thr``,
       other instance) pair is a candidate; its feature fuses both instances' decoder
       features, 8 spatial layout features of their boxes (projected to
       ``spatial_channels``) and the object's class distribution times a learned label
       embedding (``semantic_channels``), through a two-layer MLP (``pair_channels``);
       an MLP scores its interactiveness, and the ``num_proposals`` best become the
       proposals. In training the ground-truth pairs come first (their instances found
       by DETR's Hungarian matching), then the highest-scoring other pairs (STIP's hard
       negative mining); at inference class-wise NMS (IoU ``nms_iou_thr``) removes
       duplicate objects first.
    3. **Structure-aware transformer** (:class:`StructureAwareDecoder`, 6 layers): the
       proposals' projected features are the queries; the self-attention adds the
       semantic structure (how two proposals share a human or an object, embedded and
       mapped with the other proposal's feature), the cross-attention to the memory
       (a 1×1 projection of F_B with the sine positional encoding) the spatial layout
       (whether a cell lies in the proposal's human, object or union box, embedded and
       mapped with the cell's feature). A linear action classifier reads every layer.

    Interface: S = the interaction decoder's layers, Q = ``num_proposals``;
    ``human_boxes``, ``object_boxes`` and ``object_logits`` are DETR's (last layer) for
    each proposal's two instances, the same for every stage; ``action_feats`` are the
    decoder outputs (F_M is concatenated to them in PaIR-Net). The triplet score is the
    base's, σ(action) × p(object), as STIP's HICO-DET post-processing.

    Loss (:meth:`loss_by_feat`, replacing the base's pair set loss): DETR's set loss on
    every instance decoder layer (``instance_head``'s losses, ``loss_inst_*``); the
    proposals' interactiveness and every decoder layer's actions, each CornerNet's focal
    loss (γ = 2, weight 1) normalised by the positives, as STIP's criterion (mmdet's
    ``FocalLoss`` with α = 0.5 at weight 2 is that loss). A proposal's targets are the
    actions of the ground-truth pair whose human and object DETR's matching assigned to
    its two instances (none otherwise).

    In one model, STIP's detector is trained with the rest from the start: its code
    trains the interaction part on a COCO-trained DETR frozen, then fine-tunes both with
    the DETR losses × 0.1; here the DETR losses keep DETR's own weights (class 1, L1 5,
    GIoU 2) by default, since the detector starts untrained (set ``instance_head``'s
    loss weights to 0.1× for STIP's fine-tuning stage).

    Args:
        in_channels (int): channels C of F_B.
        num_object_classes (int): object classes (80 for COCO's), person included.
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M concatenated to the decoder output
            before the action classifier (0: none). Set by :class:`PaIRNet`.
        instance_transformer (dict): :class:`DETRTransformer` config.
        instance_head (dict): mmdet's ``DETRHead`` config (``num_classes``,
            ``embed_dims`` and ``train_cfg`` filled in).
        interaction_decoder (dict): :class:`StructureAwareDecoder` config.
        num_proposals (int): interaction proposals per image (STIP's
            ``num_hoi_queries``, 32); at most the instance queries − 1.
        pair_channels (int): width of the proposal features (1024).
        spatial_channels (int): width of the projected spatial layout (64).
        semantic_channels (int): width of the object label embedding (300).
        human_score_thr (float): a person instance scoring above it is a proposal's
            human (0.5).
        nms_iou_thr (float, optional): IoU of STIP's class-wise NMS on the instances at
            inference (0.7); None switches it off.
        person_label (int): the object class of people. Defaults to 0.
        loss_proposal (dict): the interactiveness loss.
        loss_action (dict): the action loss.
        train_cfg (dict, optional): ``assigner``, DETR's instance matcher (class 1,
            L1 5, GIoU 2); handed to ``instance_head``.
        test_cfg (dict, optional): ``max_per_img``, the top-K triplets kept.
        init_cfg (dict, optional): mmengine init config.
    """

    forward_takes_gt = True

    def __init__(self,
                 in_channels: int,
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 instance_transformer: dict = dict(type='DETRTransformer', num_queries=100),
                 instance_head: dict = dict(
                     type='DETRHead',
                     loss_cls=dict(
                         type='CrossEntropyLoss',
                         bg_cls_weight=0.1,
                         use_sigmoid=False,
                         loss_weight=1.0,
                         class_weight=1.0),
                     loss_bbox=dict(type='L1Loss', loss_weight=5.0),
                     loss_iou=dict(type='GIoULoss', loss_weight=2.0)),
                 interaction_decoder: dict = dict(type='StructureAwareDecoder', num_layers=6),
                 num_proposals: int = 32,
                 pair_channels: int = 1024,
                 spatial_channels: int = 64,
                 semantic_channels: int = 300,
                 human_score_thr: float = 0.5,
                 nms_iou_thr: Optional[float] = 0.7,
                 person_label: int = 0,
                 loss_proposal: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
                 loss_action: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
                 train_cfg: Optional[dict] = dict(assigner=_DETR_ASSIGNER),
                 test_cfg: Optional[dict] = dict(max_per_img=100),
                 init_cfg=None):
        # the base's pair matcher and pair losses are not STIP's: no train_cfg for it
        super().__init__(
            in_channels=in_channels,
            num_object_classes=num_object_classes,
            num_actions=num_actions,
            mask_feat_channels=mask_feat_channels,
            loss_action=loss_action,
            train_cfg=None,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        if train_cfg is not None:
            assigner_type = train_cfg.get('assigner', {}).get('type')
            if assigner_type == 'HOIHungarianAssigner':
                raise ValueError('STIPHead: train_cfg.assigner is DETR\'s instance matcher '
                                 "(type='HungarianAssigner'), not the pair matcher "
                                 "HOIHungarianAssigner; in a PaIR-Net config set model.train_cfg")
        self.train_cfg = train_cfg
        self.num_proposals = num_proposals
        self.human_score_thr = human_score_thr
        self.nms_iou_thr = nms_iou_thr
        self.person_label = person_label

        self.instance_transformer = MODELS.build(
            dict(instance_transformer, in_channels=in_channels))
        if getattr(self.instance_transformer, 'num_groups', 1) > 1:
            raise ValueError('STIPHead: its instance detector decodes one query group '
                             '(instance_transformer.num_groups=1)')
        self.embed_dims = dims = self.instance_transformer.embed_dims
        num_instances = self.instance_transformer.num_queries
        if not 1 <= num_proposals < num_instances:
            raise ValueError(f'STIPHead: num_proposals ({num_proposals}) must be between 1 and '
                             f'the instance queries - 1 ({num_instances - 1})')
        # a copy: mmdet's DETRHead writes its class weights into its loss config
        self.instance_head = MODELS.build(
            dict(
                copy.deepcopy(instance_head),
                num_classes=num_object_classes,
                embed_dims=dims,
                train_cfg=train_cfg))

        # the proposals' features and interactiveness
        self.spatial_proj = nn.Linear(8, spatial_channels)
        self.label_embedding = nn.Embedding(num_object_classes + 1, semantic_channels)
        self.pair_fusion = _mlp(
            2 * dims + spatial_channels + semantic_channels,
            pair_channels,
            pair_channels,
            relu_out=True)
        self.proposal_cls = _mlp(pair_channels, pair_channels // 2, 1)
        self.query_proj = nn.Linear(pair_channels, dims)

        # the structure-aware transformer and its structure encodings
        self.memory_proj = nn.Conv2d(in_channels, dims, kernel_size=1)
        self.layout_embedding = nn.Embedding(NUM_LAYOUT_CLASSES, dims)
        self.layout_mapping = _mlp(2 * dims, dims, dims)
        self.dependency_embedding = nn.Embedding(NUM_DEPENDENCY_CLASSES, dims)
        self.dependency_mapping = _mlp(2 * dims, dims, dims)
        self.interaction_decoder = MODELS.build(interaction_decoder)
        if self.interaction_decoder.embed_dims != dims:
            raise ValueError(f'STIPHead: the interaction decoder is '
                             f'{self.interaction_decoder.embed_dims} wide, the instance '
                             f'transformer {dims}')
        self.action_cls = nn.Linear(dims + mask_feat_channels, num_actions)
        self.loss_proposal = MODELS.build(loss_proposal)

    def init_weights(self) -> None:
        """The transformers' (Xavier), and STIP's Kaiming-uniform (a = 1) with zero bias
        for its fully connected layers (the Caffe2 "XavierFill" of its ``make_fc``)."""
        super().init_weights()
        for module in (self.spatial_proj, self.pair_fusion, self.proposal_cls, self.query_proj,
                       self.layout_mapping, self.dependency_mapping):
            for layer in module.modules():
                if isinstance(layer, nn.Linear):
                    kaiming_init(
                        layer,
                        a=1,
                        mode='fan_in',
                        nonlinearity='leaky_relu',
                        distribution='uniform')

    # ------------------------------------------------------------------ forward
    def forward(self,
                feat: Tensor,
                padding_mask: Optional[Tensor] = None,
                batch_data_samples: Optional[Sequence] = None) -> Dict[str, Tensor]:
        """Instances, proposals, then the structure-aware transformer.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding cells.
            batch_data_samples (list[PaIRDataSample], optional): the ground truth; in
                training, the ground-truth pairs become the first proposals.

        Returns:
            dict[str, Tensor]: with S decoder layers, K = ``num_proposals``, L instance
            decoder layers and N instance queries: ``human_boxes``, ``object_boxes``
            (S, B, K, 4) normalised cxcywh, ``object_logits`` (S, B, K,
            num_object_classes + 1), ``action_feats`` (S, B, K, embed_dims);
            ``instance_logits`` (L, B, N, num_object_classes + 1), ``instance_boxes``
            (L, B, N, 4), ``proposal_pairs`` (B, K, 2) int64 (the human's and the
            object's instance), ``proposal_logits`` (B, K) interactiveness, and, when
            the ground truth was used, ``instance_gt_ids`` (B, N) int64 (the matched
            ground-truth instance, −1 for none).
        """
        hidden, _, pos = self.instance_transformer(feat, padding_mask)
        instance_logits, instance_boxes = self.instance_head(hidden)
        logits, boxes = instance_logits[-1], instance_boxes[-1]
        gt_ids = None
        if self.training and batch_data_samples is not None:
            gt_ids = self.match_instances(logits, boxes, batch_data_samples)
        pairs, pair_feats, proposal_logits = self.propose(logits, boxes, hidden[-1],
                                                          batch_data_samples, gt_ids)

        query = self.query_proj(pair_feats)
        memory = self.memory_proj(feat)
        action_feats = self.interaction_decoder(
            query,
            memory.flatten(2).transpose(1, 2),
            pos,
            query_structure=self.dependency_structure(pairs, query),
            memory_structure=self.layout_structure(pairs, boxes.detach(), memory, padding_mask),
            memory_padding_mask=padding_mask.flatten(1) if padding_mask is not None else None)

        stages = action_feats.size(0)
        image = torch.arange(pairs.size(0), device=pairs.device)[:, None]
        outs = dict(
            human_boxes=boxes[image, pairs[..., 0]].expand(stages, -1, -1, -1),
            object_boxes=boxes[image, pairs[..., 1]].expand(stages, -1, -1, -1),
            object_logits=logits[image, pairs[..., 1]].expand(stages, -1, -1, -1),
            action_feats=action_feats,
            instance_logits=instance_logits,
            instance_boxes=instance_boxes,
            proposal_pairs=pairs,
            proposal_logits=proposal_logits)
        if gt_ids is not None:
            outs['instance_gt_ids'] = gt_ids
        return outs

    def forward_actions(self,
                        outs: Dict[str, Tensor],
                        mask_feats: Optional[Tensor] = None) -> Tensor:
        """Action logits of every decoder layer, from ``[decoder output; F_M]``.

        Returns:
            Tensor: (S, B, K, num_actions) logits.
        """
        return self.action_cls(self.with_mask_feats(outs['action_feats'], mask_feats))

    @staticmethod
    def _gt_instances(sample) -> InstanceData:
        boxes = sample.gt_instances.bboxes
        boxes = boxes.tensor if hasattr(boxes, 'tensor') else boxes
        return InstanceData(bboxes=boxes.float(), labels=sample.gt_instances.labels.long())

    @torch.no_grad()
    def match_instances(self, logits: Tensor, boxes: Tensor,
                        batch_data_samples: Sequence) -> Tensor:
        """DETR's Hungarian matching of the instance queries to the ground-truth instances.

        Args:
            logits (Tensor): (B, N, num_object_classes + 1), the last instance layer's.
            boxes (Tensor): (B, N, 4) normalised cxcywh.
            batch_data_samples (list[PaIRDataSample]): ``gt_instances``, ``img_shape``.

        Returns:
            Tensor: (B, N) int64, each query's ground-truth instance, −1 for none.
        """
        if not hasattr(self.instance_head, 'assigner'):
            raise ValueError('STIPHead: built without train_cfg (no instance matcher): give '
                             "train_cfg=dict(assigner=dict(type='HungarianAssigner', ...))")
        gt_ids = []
        for img_logits, img_boxes, sample in zip(logits, boxes, batch_data_samples):
            img_h, img_w = sample.metainfo['img_shape'][:2]
            factor = img_boxes.new_tensor([img_w, img_h, img_w, img_h])
            assigned = self.instance_head.assigner.assign(
                InstanceData(scores=img_logits, bboxes=bbox_cxcywh_to_xyxy(img_boxes) * factor),
                self._gt_instances(sample),
                img_meta=sample.metainfo)
            gt_ids.append(assigned.gt_inds.long() - 1)
        return torch.stack(gt_ids)

    def propose(self, logits: Tensor, boxes: Tensor, reps: Tensor,
                batch_data_samples: Optional[Sequence],
                gt_ids: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """The ``num_proposals`` interaction proposals of each image.

        Args:
            logits (Tensor): (B, N, num_object_classes + 1) instance logits.
            boxes (Tensor): (B, N, 4) normalised cxcywh instance boxes.
            reps (Tensor): (B, N, embed_dims) instance features.
            batch_data_samples (list[PaIRDataSample], optional): the ground-truth pairs,
                used with ``gt_ids``.
            gt_ids (Tensor, optional): (B, N) from :meth:`match_instances`.

        Returns:
            tuple[Tensor]: pairs (B, K, 2) int64 instance indices (human, object), their
            features (B, K, pair_channels) and interactiveness logits (B, K).
        """
        probs = logits.softmax(-1)
        xyxy = bbox_cxcywh_to_xyxy(boxes.detach()).clamp(0, 1)
        num_instances = logits.size(1)
        eye = torch.eye(num_instances, dtype=torch.bool, device=logits.device)
        all_pairs, all_feats, all_logits = [], [], []
        for img_id in range(logits.size(0)):
            candidates = self._candidates(probs[img_id].detach(), xyxy[img_id]) & ~eye
            gt_pairs = candidates.new_zeros((0, 2), dtype=torch.long)
            if gt_ids is not None:
                gt_pairs = self._gt_pairs(gt_ids[img_id], batch_data_samples[img_id])
                candidates[gt_pairs[:, 0]] = True
                candidates &= ~eye
                candidates[gt_pairs[:, 0], gt_pairs[:, 1]] = False
            pairs = torch.cat([gt_pairs, candidates.nonzero()])
            feats = self.pair_features(pairs, reps[img_id], xyxy[img_id], probs[img_id])
            scores = self.proposal_cls(feats).squeeze(-1)
            # ground-truth pairs first, then the other pairs by interactiveness
            order = scores[len(gt_pairs):].detach().argsort(descending=True) + len(gt_pairs)
            order = torch.cat([torch.arange(len(gt_pairs), device=order.device),
                               order])[:self.num_proposals]
            all_pairs.append(pairs[order])
            all_feats.append(feats[order])
            all_logits.append(scores[order])
        return torch.stack(all_pairs), torch.stack(all_feats), torch.stack(all_logits)

    def _candidates(self, probs: Tensor, xyxy: Tensor) -> Tensor:
        """(N, N) bool: (human, object) instance pairs STIP considers in one image.

        Rows: the instances whose best class is a person scoring above
        ``human_score_thr``; columns: every instance, less those class-wise NMS removes at
        inference. When that gives fewer than ``num_proposals`` pairs, the most
        person-like instance's row is added whole, so that there are always enough.
        """
        scores, labels = probs[:, :-1].max(-1)
        humans = (labels == self.person_label) & (scores > self.human_score_thr)
        objects = torch.ones_like(humans)
        if not self.training and self.nms_iou_thr is not None:
            _, keep = batched_nms(xyxy, scores, labels, dict(iou_threshold=self.nms_iou_thr))
            objects = torch.zeros_like(humans)
            objects[keep] = True
        candidates = humans[:, None] & objects[None]
        if int(candidates.sum()) - int((humans & objects).sum()) < self.num_proposals:
            candidates[probs[:, self.person_label].argmax()] = True
        return candidates

    def _gt_pairs(self, gt_ids: Tensor, sample) -> Tensor:
        """(P, 2) instance-query indices of the image's ground-truth pairs (through the
        matching), duplicates once, in random order (as STIP)."""
        num_gt = len(sample.gt_instances.labels)
        query_of_gt = gt_ids.new_full((num_gt, ), -1)
        matched = (gt_ids >= 0).nonzero().squeeze(1)
        query_of_gt[gt_ids[matched]] = matched
        pairs = torch.stack([
            query_of_gt[sample.gt_pairs.subject_ids.long().to(gt_ids.device)],
            query_of_gt[sample.gt_pairs.object_ids.long().to(gt_ids.device)]
        ],
                            dim=1)
        pairs = pairs[(pairs >= 0).all(1) & (pairs[:, 0] != pairs[:, 1])].unique(dim=0)
        return pairs[torch.randperm(len(pairs), device=pairs.device)]

    def pair_features(self, pairs: Tensor, reps: Tensor, xyxy: Tensor, probs: Tensor) -> Tensor:
        """STIP's coarse proposal features: both instances' features, the projected
        spatial layout and the object's semantic embedding, fused.

        Args:
            pairs (Tensor): (P, 2) instance indices.
            reps (Tensor): (N, embed_dims) instance features.
            xyxy (Tensor): (N, 4) normalised x1y1x2y2 boxes.
            probs (Tensor): (N, num_object_classes + 1) class probabilities.

        Returns:
            Tensor: (P, pair_channels).
        """
        human, obj = pairs[:, 0], pairs[:, 1]
        spatial = self.spatial_proj(pair_spatial_layout(xyxy[human], xyxy[obj]))
        semantic = probs[obj] @ self.label_embedding.weight
        return self.pair_fusion(torch.cat([reps[human], reps[obj], spatial, semantic], dim=-1))

    def dependency_structure(self, pairs: Tensor, query: Tensor) -> Tensor:
        """The semantic structure r of the self-attention: (B, K, K, embed_dims).

        ``r[i, j]`` = MLP([query_j; embedding(:func:`proposal_relations`[i, j])]).
        """
        content = query[:, None].expand(-1, query.size(1), -1, -1)
        return self.dependency_mapping(
            torch.cat([content, self.dependency_embedding(proposal_relations(pairs))], dim=-1))

    def layout_structure(self, pairs: Tensor, boxes: Tensor, memory: Tensor,
                         padding_mask: Optional[Tensor]) -> Tensor:
        """The spatial layout structure r of the cross-attention: (B, K, h*w, embed_dims).

        ``r[i, m]`` = MLP([memory_m; embedding(:func:`proposal_layouts`[i, m])]).

        Args:
            pairs (Tensor): (B, K, 2) instance indices.
            boxes (Tensor): (B, N, 4) normalised cxcywh instance boxes.
            memory (Tensor): (B, embed_dims, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding.
        """
        if padding_mask is None:
            batch, _, height, width = memory.shape
            in_image = memory.new_ones((batch, height, width), dtype=torch.bool)
        else:
            in_image = ~padding_mask
        layout = proposal_layouts(pairs, boxes, in_image)
        content = memory.flatten(2).transpose(1, 2)[:, None].expand(-1, pairs.size(1), -1, -1)
        return self.layout_mapping(
            torch.cat([content, self.layout_embedding(layout.flatten(2))], dim=-1))

    # --------------------------------------------------------------------- loss
    def proposal_targets(self, pairs: Tensor, gt_ids: Tensor,
                         batch_data_samples: Sequence) -> Tensor:
        """Each proposal's actions: those of the ground-truth pair whose human and object
        were matched to its two instances, none otherwise.

        Args:
            pairs (Tensor): (B, K, 2) instance indices.
            gt_ids (Tensor): (B, N) matched ground-truth instance, −1 for none.
            batch_data_samples (list[PaIRDataSample]): ``gt_instances``, ``gt_pairs``.

        Returns:
            Tensor: (B, K, num_actions) multi-hot float.
        """
        targets = []
        for img_pairs, img_gt_ids, sample in zip(pairs, gt_ids, batch_data_samples):
            num_gt = len(sample.gt_instances.labels)
            gt_pairs = sample.gt_pairs
            relations = img_pairs.new_zeros((num_gt, num_gt, self.num_actions), dtype=torch.float)
            relations.index_put_((gt_pairs.subject_ids.long().to(
                pairs.device), gt_pairs.object_ids.long().to(pairs.device)),
                                 gt_pairs.actions.float().to(pairs.device),
                                 accumulate=True)
            human, obj = img_gt_ids[img_pairs[:, 0]], img_gt_ids[img_pairs[:, 1]]
            found = (human >= 0) & (obj >= 0)
            target = relations.new_zeros((len(img_pairs), self.num_actions))
            target[found] = relations[human[found], obj[found]].clamp(max=1)
            targets.append(target)
        return torch.stack(targets)

    def loss_by_feat(self, outs: Dict[str, Tensor], batch_data_samples: Sequence,
                     img_sizes: Tensor) -> Dict[str, Tensor]:
        """STIP's losses: DETR's on every instance layer, the proposals' interactiveness
        and every decoder layer's actions.

        Args:
            outs (dict[str, Tensor]): :meth:`forward`'s outputs with ``action_logits``
                (S, B, K, A).
            batch_data_samples (list[PaIRDataSample]): ``gt_instances``, ``gt_pairs``,
                ``img_shape``.
            img_sizes (Tensor): (B, 2) (h, w); unused (the metainfo has them).

        Returns:
            dict[str, Tensor]: ``loss_inst_cls``, ``loss_inst_bbox``, ``loss_inst_iou``
            (``d{i}.`` the earlier instance layers), ``loss_proposal``, ``loss_action``
            (``d{i}.`` the earlier decoder layers).
        """
        metas = [sample.metainfo for sample in batch_data_samples]
        instance_losses = self.instance_head.loss_by_feat(
            outs['instance_logits'], outs['instance_boxes'],
            [self._gt_instances(sample) for sample in batch_data_samples], metas)
        losses = {
            key.replace('loss_', 'loss_inst_'): value
            for key, value in instance_losses.items()
        }

        gt_ids = outs.get('instance_gt_ids')
        if gt_ids is None:
            gt_ids = self.match_instances(outs['instance_logits'][-1], outs['instance_boxes'][-1],
                                          batch_data_samples)
        targets = self.proposal_targets(outs['proposal_pairs'], gt_ids, batch_data_samples)
        exists = (targets.sum(-1) > 0).to(targets.dtype).reshape(-1, 1)
        losses['loss_proposal'] = self.loss_proposal(
            outs['proposal_logits'].reshape(-1, 1), exists, avg_factor=exists.sum().clamp(min=1))
        targets = targets.flatten(0, 1)
        num_pos = targets.sum().clamp(min=1)
        action_logits = outs['action_logits']
        num_stages = action_logits.size(0)
        for stage in range(num_stages):
            prefix = '' if stage == num_stages - 1 else f'd{stage}.'
            losses[prefix + 'loss_action'] = self.loss_action(
                action_logits[stage].flatten(0, 1), targets, avg_factor=num_pos)
        return losses

    @property
    def num_queries(self) -> int:
        """The interaction proposals (the Q of the outputs)."""
        return self.num_proposals
