"""PaIR-Net's interaction head (Eq. 10-17): the IIM transformer and its branches."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import Linear
from mmcv.cnn.bricks.transformer import FFN
from mmengine.model import bias_init_with_prob
from torch import Tensor

from pair_plugin.registry import MODELS
from .base_interaction_head import BaseInteractionHead


@MODELS.register_module()
class IIMHead(BaseInteractionHead):
    """The Interaction Inference Module as an interaction head (:class:`BaseInteractionHead`).

    ``transformer`` (:class:`IIM`, Eq. 10-13) turns F_B into D_h, D_o and D_a of every
    decoder stage; the branches, shared by the stages as mmdet's ``DETRHead``'s: FC1 =
    DETR's regression branch (an FFN of ``num_reg_fcs`` layers + a linear layer, sigmoid)
    gives the human boxes from D_h and, with its own weights, the object boxes from D_o
    (normalised cxcywh); FC2 = a linear object classifier on D_o (``num_object_classes`` +
    no-object, softmax); the action classifier is a linear layer on ``[D_a; F_M]`` (Eq. 15),
    one sigmoid per action. The loss and the triplets are the base's.

    Args:
        in_channels (int): channels C of F_B.
        transformer (dict): the IIM (``type='IIM'``; its ``in_channels`` is filled in).
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M concatenated to D_a before the action
            classifier (0 without the Mask-Guided RoI Feature). Set by :class:`PaIRNet`.
        num_reg_fcs (int): FFN layers of the box branches. Defaults to 2.
        **kwargs: the losses, ``train_cfg``, ``test_cfg`` and ``init_cfg`` of
            :class:`BaseInteractionHead`.
    """

    def __init__(self,
                 in_channels: int,
                 transformer: dict = dict(type='IIM'),
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 num_reg_fcs: int = 2,
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            num_object_classes=num_object_classes,
            num_actions=num_actions,
            mask_feat_channels=mask_feat_channels,
            **kwargs)
        self.transformer = MODELS.build(dict(transformer, in_channels=in_channels))
        self.embed_dims = self.transformer.embed_dims

        # FC1: the human and object box branches (DETR's reg branch), FC2: object classes
        self.human_reg_ffn = self._reg_ffn(num_reg_fcs)
        self.human_reg = Linear(self.embed_dims, 4)
        self.object_reg_ffn = self._reg_ffn(num_reg_fcs)
        self.object_reg = Linear(self.embed_dims, 4)
        self.object_cls = Linear(self.embed_dims, num_object_classes + 1)
        self.action_cls = Linear(self.embed_dims + mask_feat_channels, num_actions)

    def _reg_ffn(self, num_reg_fcs: int) -> FFN:
        return FFN(
            self.embed_dims,
            self.embed_dims,
            num_reg_fcs,
            dict(type='ReLU', inplace=True),
            dropout=0.0,
            add_residual=False)

    def init_weights(self) -> None:
        """The transformer's (Xavier); the action classifier's bias at a 0.01 prior
        probability, as mmdet's focal-loss heads."""
        super().init_weights()
        torch.nn.init.constant_(self.action_cls.bias, bias_init_with_prob(0.01))

    @property
    def num_queries(self) -> int:
        """Pair queries per group (the ones inference decodes)."""
        return self.transformer.num_queries

    def query_groups(self, outs: Dict[str, Tensor]) -> int:
        """The IIM's query groups in the outputs (``num_groups`` in training, else 1)."""
        return outs['object_logits'].size(2) // self.num_queries

    def forward(self, feat: Tensor, padding_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The IIM, then FC1 and FC2 on every stage.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding cells.

        Returns:
            dict[str, Tensor]: ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised
            cxcywh, ``object_logits`` (S, B, Q, num_object_classes + 1), ``action_feats``
            D_a (S, B, Q, embed_dims).
        """
        human_feats, object_feats, action_feats = self.transformer(feat, padding_mask)
        return dict(
            human_boxes=self.human_reg(F.relu(self.human_reg_ffn(human_feats))).sigmoid(),
            object_boxes=self.object_reg(F.relu(self.object_reg_ffn(object_feats))).sigmoid(),
            object_logits=self.object_cls(object_feats),
            action_feats=action_feats)

    def forward_actions(self,
                        outs: Dict[str, Tensor],
                        mask_feats: Optional[Tensor] = None) -> Tensor:
        """Action logits ``FC([D_a; F_M])`` of every stage (Eq. 15).

        Args:
            outs (dict[str, Tensor]): from :meth:`forward`.
            mask_feats (Tensor, optional): F_M, (B, mask_feat_channels).

        Returns:
            Tensor: (S, B, Q, num_actions) logits.
        """
        return self.action_cls(self.with_mask_feats(outs['action_feats'], mask_feats))
