"""Interaction Inference Module (IIM, Eq. 10-13): the interaction transformer."""
import copy
from typing import Optional, Tuple

import torch
from mmcv.cnn import build_norm_layer
from mmdet.models.layers import DetrTransformerDecoderLayer
from mmengine.model import ModuleList
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from .detr_encoder import DETR_ATTN as _ATTN
from .detr_encoder import DETR_FFN as _FFN
from .detr_encoder import DETREncoderTransformer


@MODELS.register_module()
class IIM(DETREncoderTransformer):
    """DETR encoder, then three stages of instance decoder → (D_h + D_o)/2 → action decoder.

    F_B goes through a 1×1 input projection to ``embed_dims`` (as DETR), gets the sine
    positional encoding and the DETR encoder (Eq. 10). ``num_queries`` human and
    ``num_queries`` object queries are concatenated (``Q_D^I``); every stage runs one
    instance decoder layer on them (Eq. 11), splits the result into D_h and D_o (Eq. 12)
    and runs one action decoder layer on ``(D_h + D_o)/2`` (Eq. 13; its positional query is
    the mean of the human and object ones); the next stage continues from the instance
    decoder's state. Every stage's D_h, D_o and D_a go to the branches of
    :class:`IIMHead`, which builds this module as its ``transformer`` (auxiliary losses on
    every stage, as DETR). The layers are mmdet's, with mmcv's attention as they build it.

    Args:
        in_channels (int): channels C of F_B.
        num_queries (int): human queries = object queries = pair queries N_q. Defaults
            to 64.
        num_stages (int): decoder stages. Defaults to 3.
        num_groups (int): query groups in training (Group DETR, Chen et al., ICCV 2023):
            ``num_groups`` independent sets of ``num_queries`` pair queries, each with its
            own embeddings, decoded together with self-attention only within a group (the
            cross-attention and every weight are shared); :class:`IIMHead` matches and
            supervises every group on its own. In eval mode only the first group is
            decoded, so inference is that of ``num_groups=1``. Defaults to 1 (the paper).
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        instance_decoder_layer (dict): kwargs of the instance decoder's
            ``DetrTransformerDecoderLayer``.
        action_decoder_layer (dict): kwargs of the action decoder's layer.
        post_norm_cfg (dict): norm applied to every decoder output (as DETR's decoder).
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_queries: int = 64,
                 num_stages: int = 3,
                 num_groups: int = 1,
                 positional_encoding: dict = dict(num_feats=128, normalize=True),
                 encoder: dict = dict(
                     num_layers=6, layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
                 instance_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 action_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 post_norm_cfg: dict = dict(type='LN'),
                 init_cfg=None):
        if num_groups < 1:
            raise ValueError(f'IIM: num_groups must be >= 1, got {num_groups}')
        super().__init__(in_channels, positional_encoding, encoder, init_cfg=init_cfg)
        self.num_queries = num_queries
        self.num_stages = num_stages
        self.num_groups = num_groups
        self.human_query_embedding = nn.Embedding(num_queries, self.embed_dims)
        self.object_query_embedding = nn.Embedding(num_queries, self.embed_dims)
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

    def init_weights(self) -> None:
        """Xavier-uniform transformer weights, as mmdet's DETR."""
        super().init_weights()
        for module in (self.encoder, self.instance_decoder, self.action_decoder):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def forward(self,
                feat: Tensor,
                padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Encoder and decoder stages.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on the cells of F_B that
                lie in the batch's padding; None when no image is padded.

        Returns:
            tuple[Tensor]: D_h, D_o and D_a of every stage, each (S, B, Q, embed_dims);
            Q = ``num_queries``, times ``num_groups`` in training (the groups one after the
            other).
        """
        memory, pos, key_padding_mask = self.encode(feat, padding_mask)
        batch_size = feat.size(0)

        human_pos = self.human_query_embedding.weight
        object_pos = self.object_query_embedding.weight
        num_groups = self.num_groups if self.training else 1
        instance_mask = action_mask = None
        if num_groups > 1:
            human_pos = torch.cat([human_pos, self.group_human_query_embedding.weight])
            object_pos = torch.cat([object_pos, self.group_object_query_embedding.weight])
            instance_mask, action_mask = self._group_attention_masks(num_groups, human_pos.device)
        num_pairs = human_pos.size(0)
        query_pos = torch.cat([human_pos, object_pos])[None].expand(batch_size, -1, -1)
        action_pos = ((human_pos + object_pos) / 2)[None].expand(batch_size, -1, -1)
        query = torch.zeros_like(query_pos)
        humans, objects, actions = [], [], []
        for instance_layer, action_layer in zip(self.instance_decoder, self.action_decoder):
            query = instance_layer(
                query,
                key=memory,
                value=memory,
                query_pos=query_pos,
                key_pos=pos,
                key_padding_mask=key_padding_mask,
                self_attn_mask=instance_mask)
            d_h, d_o = self.instance_post_norm(query).split(num_pairs, dim=1)
            d_a = action_layer(
                (d_h + d_o) / 2,
                key=memory,
                value=memory,
                query_pos=action_pos,
                key_pos=pos,
                key_padding_mask=key_padding_mask,
                self_attn_mask=action_mask)
            humans.append(d_h)
            objects.append(d_o)
            actions.append(self.action_post_norm(d_a))
        return torch.stack(humans), torch.stack(objects), torch.stack(actions)

    def _group_attention_masks(self, num_groups: int,
                               device: torch.device) -> Tuple[Tensor, Tensor]:
        """Self-attention masks that keep each query group to itself (True = masked).

        Returns:
            tuple[Tensor]: the instance decoder's (2GQ, 2GQ) mask, over the G·Q human
            then the G·Q object queries, and the action decoder's (GQ, GQ) mask.
        """
        group = torch.arange(num_groups * self.num_queries, device=device) // self.num_queries
        instance_group = torch.cat([group, group])
        return (instance_group[:, None] != instance_group[None], group[:, None] != group[None])
