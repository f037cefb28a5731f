"""DisTrans (PaIR-Net's Tables 1, 2, 5): TED-Net as an interaction head."""
import io
import math
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import Linear
from mmcv.cnn.bricks.transformer import FFN
from mmdet.structures.bbox import bbox_cxcywh_to_xyxy, bbox_overlaps
from mmengine import fileio
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from .base_interaction_head import BaseInteractionHead

#: channels of the pair layout: obj→human centre offset (2), IoU, area ratio, both boxes (8)
LAYOUT_CHANNELS = 12


@MODELS.register_module()
class TEDHead(BaseInteractionHead):
    """TED-Net (Wang, Liu & Lei, "TED-Net: Dispersal Attention for Perceiving Interaction
    Region in Indirectly-Contact HOI Detection", TCSVT 2024; code YuxiaoWang-AI/TED-Net,
    built on GEN-VLKT) as an interaction head.

    ``transformer`` (:class:`TEDTransformer`) gives the human, object and interaction
    features of every stage. The branches, as TED-Net's code builds them:

    - boxes: a 3-layer MLP (FFN of ``num_reg_fcs`` layers + a linear layer, sigmoid) on
      the human and on the object features;
    - object classes: a cosine classifier in a ``embed_channels``-wide space (GEN-VLKT's
      CLIP space): ``exp(s_o) * Linear(normalise(LN(Linear(D_o))))``, with the
      no-object class;
    - actions: the classifier reads ``action_feats`` = [LN(pair layout), the sign of the
      object→human centre offset, the one-hot argmax object class (with no-object), the
      interaction features] (the layout: that offset, the IoU and the area ratio of the
      two boxes and both boxes, normalised cxcywh), here followed by F_M inside PaIR-Net
      (Eq. 15), and gives ``exp(s_a) * Linear(normalise(LN(Linear(action_feats))))``.

    The classifiers' weights start as unit rows: random ones, or the rows of the text
    embeddings a user supplies (``text_embeddings``; TED-Net / GEN-VLKT take them from
    CLIP's text encoder). One sigmoid per action class (a verb), as every interaction head
    here, where TED-Net classifies the HOI categories (verb-object pairs); the loss and the
    triplets are the base's.

    Args:
        in_channels (int): channels C of F_B.
        transformer (dict): the TED-Net transformer (``type='TEDTransformer'``; its
            ``in_channels`` is filled in).
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M appended to ``action_feats`` (0 without
            the Mask-Guided RoI Feature). Set by :class:`PaIRNet`.
        num_reg_fcs (int): FFN layers of the box branches. Defaults to 2.
        embed_channels (int): width of the classifiers' embedding space. Defaults to 512
            (CLIP ViT-B/32's, as TED-Net).
        logit_scale (float): the initial ``exp(s)`` of both classifiers. Defaults to
            1 / 0.07 (CLIP's).
        text_embeddings (dict, optional): ``objects``: a ``.npy`` file of
            (num_object_classes + 1, embed_channels) floats (the last row: no object),
            ``actions``: one of (num_actions, embed_channels), loaded by
            :meth:`init_weights` as the classifiers' weights (rows normalised).
        **kwargs: the losses, ``train_cfg``, ``test_cfg`` and ``init_cfg`` of
            :class:`BaseInteractionHead`.
    """

    def __init__(self,
                 in_channels: int,
                 transformer: dict = dict(type='TEDTransformer'),
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 num_reg_fcs: int = 2,
                 embed_channels: int = 512,
                 logit_scale: float = 1 / 0.07,
                 text_embeddings: Optional[dict] = None,
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            num_object_classes=num_object_classes,
            num_actions=num_actions,
            mask_feat_channels=mask_feat_channels,
            **kwargs)
        unknown = set(text_embeddings or {}) - {'objects', 'actions'}
        if unknown:
            raise ValueError(f'TEDHead: text_embeddings takes objects and actions, got '
                             f'{sorted(unknown)}')
        self.text_embeddings = dict(text_embeddings or {})
        self.transformer = MODELS.build(dict(transformer, in_channels=in_channels))
        dims = self.embed_dims = self.transformer.embed_dims
        self.embed_channels = embed_channels

        self.human_reg_ffn = self._reg_ffn(num_reg_fcs)
        self.human_reg = Linear(dims, 4)
        self.object_reg_ffn = self._reg_ffn(num_reg_fcs)
        self.object_reg = Linear(dims, 4)
        self.object_embed = nn.Sequential(
            Linear(dims, embed_channels), nn.LayerNorm(embed_channels))
        self.object_cls = Linear(embed_channels, num_object_classes + 1)
        self.object_logit_scale = nn.Parameter(torch.tensor(math.log(logit_scale)))
        self.layout_norm = nn.LayerNorm(LAYOUT_CHANNELS)
        self.action_feat_channels = LAYOUT_CHANNELS + 2 + num_object_classes + 1 + dims
        self.action_embed = nn.Sequential(
            Linear(self.action_feat_channels + mask_feat_channels, embed_channels),
            nn.LayerNorm(embed_channels))
        self.action_cls = Linear(embed_channels, num_actions)
        self.action_logit_scale = nn.Parameter(torch.tensor(math.log(logit_scale)))

    def _reg_ffn(self, num_reg_fcs: int) -> FFN:
        return FFN(
            self.embed_dims,
            self.embed_dims,
            num_reg_fcs,
            dict(type='ReLU', inplace=True),
            dropout=0.0,
            add_residual=False)

    @property
    def num_queries(self) -> int:
        """Pair queries."""
        return self.transformer.num_queries

    def init_weights(self) -> None:
        """The transformer's; the classifiers' weights as unit rows, from
        ``text_embeddings`` where given, else random."""
        super().init_weights()
        with torch.no_grad():
            for name, layer in (('objects', self.object_cls), ('actions', self.action_cls)):
                path = self.text_embeddings.get(name)
                weight = torch.randn_like(layer.weight) if path is None else \
                    self._load_text_embeddings(path, name, tuple(layer.weight.shape))
                layer.weight.copy_(F.normalize(weight.to(layer.weight), dim=-1))

    @staticmethod
    def _load_text_embeddings(path: str, name: str, shape: tuple) -> Tensor:
        """A (rows, embed_channels) float array from a ``.npy`` file, checked."""
        try:
            array = np.load(io.BytesIO(fileio.get(path)), allow_pickle=False)
        except FileNotFoundError:
            raise FileNotFoundError(f'TEDHead: text_embeddings.{name}: no file {path}') from None
        except ValueError as error:
            raise ValueError(f'TEDHead: text_embeddings.{name}: {path} is not a .npy array '
                             f'({error})') from None
        if array.shape != shape or not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f'TEDHead: text_embeddings.{name}: {path} holds a {array.dtype} '
                             f'array of shape {array.shape}; expected floats of shape {shape}')
        if not np.isfinite(array).all() or (np.linalg.norm(array, axis=1) == 0).any():
            raise ValueError(f'TEDHead: text_embeddings.{name}: {path} has a non-finite value '
                             'or an all-zero row')
        return torch.from_numpy(array.astype(np.float32))

    @staticmethod
    def pair_layout(human_boxes: Tensor, object_boxes: Tensor) -> Tensor:
        """TED-Net's spatial features of each pair, before their LayerNorm.

        Args:
            human_boxes, object_boxes (Tensor): (..., Q, 4) normalised cxcywh.

        Returns:
            Tensor: (..., Q, 12): the human centre minus the object centre (2), the IoU
            (1), the human box area over the object box area (+1e-7) (1), the human box
            (4), the object box (4).
        """
        offset = human_boxes[..., :2] - object_boxes[..., :2]
        iou = bbox_overlaps(
            bbox_cxcywh_to_xyxy(human_boxes), bbox_cxcywh_to_xyxy(object_boxes), is_aligned=True)
        area_ratio = human_boxes[..., 2] * human_boxes[..., 3] / (
            object_boxes[..., 2] * object_boxes[..., 3] + 1e-7)
        return torch.cat([offset, iou[..., None], area_ratio[..., None], human_boxes, object_boxes],
                         dim=-1)

    def forward(self, feat: Tensor, padding_mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The transformer, the box and object branches and the action classifier's input.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding cells.

        Returns:
            dict[str, Tensor]: ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised
            cxcywh, ``object_logits`` (S, B, Q, num_object_classes + 1), ``action_feats``
            (S, B, Q, 12 + 2 + num_object_classes + 1 + embed_dims).
        """
        human_feats, object_feats, interaction_feats = self.transformer(feat, padding_mask)
        human_boxes = self.human_reg(F.relu(self.human_reg_ffn(human_feats))).sigmoid()
        object_boxes = self.object_reg(F.relu(self.object_reg_ffn(object_feats))).sigmoid()
        object_logits = self.object_logit_scale.exp() * self.object_cls(
            F.normalize(self.object_embed(object_feats), dim=-1))
        layout = self.pair_layout(human_boxes, object_boxes)
        direction = torch.where(layout[..., :2] >= 0, 1.0, -1.0).to(layout.dtype)
        object_class = F.one_hot(object_logits.argmax(-1), self.num_object_classes + 1)
        action_feats = torch.cat(
            [self.layout_norm(layout), direction,
             object_class.to(layout.dtype), interaction_feats],
            dim=-1)
        return dict(
            human_boxes=human_boxes,
            object_boxes=object_boxes,
            object_logits=object_logits,
            action_feats=action_feats)

    def forward_actions(self,
                        outs: Dict[str, Tensor],
                        mask_feats: Optional[Tensor] = None) -> Tensor:
        """Action logits ``exp(s_a) * Linear(normalise(LN(Linear([action_feats; F_M]))))``
        of every stage.

        Args:
            outs (dict[str, Tensor]): from :meth:`forward`.
            mask_feats (Tensor, optional): F_M, (B, mask_feat_channels).

        Returns:
            Tensor: (S, B, Q, num_actions) logits.
        """
        embedded = self.action_embed(self.with_mask_feats(outs['action_feats'], mask_feats))
        return self.action_logit_scale.exp() * self.action_cls(F.normalize(embedded, dim=-1))
