"""QPIC's interaction detector (Tamura et al., CVPR 2021) as an interaction head: "Trans"."""
from typing import Dict, Optional

import torch.nn.functional as F
from torch import Tensor

from pair_plugin.registry import MODELS
from .base_interaction_head import BaseInteractionHead
from .iim_head import IIMHead


@MODELS.register_module()
class QPICHead(IIMHead):
    """QPIC (Tamura, Ohashi & Yoshinaga, CVPR 2021; hitachi-rd-cv/qpic): the paper's
    "Trans" interaction detector (Tables 1, 2 and 5).

    DETR's transformer (:class:`DETRTransformer`: 1×1 projection of F_B, sine positional
    encoding, 6 encoder and 6 decoder layers, 100 queries) decodes each query into one
    whole (human box, object box, object class, actions) triplet. The branches read every
    decoder layer's output (auxiliary losses on all of them, as QPIC's ``aux_loss``): two
    box branches (each an MLP of 3 linear layers, sigmoid; normalised cxcywh), a linear
    object classifier (``num_object_classes`` + no-object, softmax) and a linear action
    classifier (one sigmoid per action) on ``[decoder output; F_M]``: the decoder output
    is ``action_feats``, so PaIR-Net's Mask-Guided RoI Feature (Eq. 15) is concatenated
    to it. S = the decoder layers, Q = the queries. The branches are :class:`IIMHead`'s,
    all reading the one decoder output.

    The loss is the base's set-prediction loss, QPIC's: Hungarian matching with cost
    1·object class + 1·action + 2.5·max(L1_h, L1_o) + 1·max(−GIoU_h, −GIoU_o); object
    class cross-entropy with no-object weight 0.1, L1 2.5 and GIoU 1 on both boxes, and
    QPIC's action loss, CornerNet's focal loss (γ = 2, no α) with weight 1, normalised by
    the positive labels, which is mmdet's ``FocalLoss`` with α = 0.5 at weight 2 (the
    default ``loss_action`` here; the base's default is PaIR-Net's L_match term, which
    the Table 5 config keeps).

    Args:
        in_channels (int): channels C of F_B.
        transformer (dict): :class:`DETRTransformer` config (``in_channels`` filled in).
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M concatenated to the decoder output
            before the action classifier (0: none). Set by :class:`PaIRNet`.
        num_reg_fcs (int): FFN layers of each box branch before its last linear layer.
            Defaults to 2 (QPIC's 3-layer MLP).
        loss_action (dict): the action loss. Defaults to QPIC's (see above).
        **kwargs: the other losses, ``train_cfg``, ``test_cfg`` and ``init_cfg`` of
            :class:`BaseInteractionHead` (their defaults are QPIC's).
    """

    def __init__(self,
                 in_channels: int,
                 transformer: dict = dict(type='DETRTransformer', num_queries=100),
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 num_reg_fcs: int = 2,
                 loss_action: dict = dict(
                     type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.5, loss_weight=2.0),
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            transformer=transformer,
            num_object_classes=num_object_classes,
            num_actions=num_actions,
            mask_feat_channels=mask_feat_channels,
            num_reg_fcs=num_reg_fcs,
            loss_action=loss_action,
            **kwargs)

    def init_weights(self) -> None:
        """The transformer's; the classifiers keep PyTorch's initialisation, as QPIC's
        (no prior probability on the action bias, unlike :class:`IIMHead`)."""
        BaseInteractionHead.init_weights(self)

    def forward(self, feat: Tensor, padding_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The transformer, then the box and object branches on every decoder layer.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding cells.

        Returns:
            dict[str, Tensor]: ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised
            cxcywh, ``object_logits`` (S, B, Q, num_object_classes + 1) and
            ``action_feats`` (S, B, Q, embed_dims), the decoder's outputs; S = decoder
            layers, Q = ``num_queries``.
        """
        hidden_states, _, _ = self.transformer(feat, padding_mask)
        return dict(
            human_boxes=self.human_reg(F.relu(self.human_reg_ffn(hidden_states))).sigmoid(),
            object_boxes=self.object_reg(F.relu(self.object_reg_ffn(hidden_states))).sigmoid(),
            object_logits=self.object_cls(hidden_states),
            action_feats=hidden_states)
