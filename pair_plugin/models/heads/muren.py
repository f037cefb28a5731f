"""MUREN (Kim, Jung & Cho, CVPR 2023): three decoder branches that exchange relational
context, the transformer of :class:`MURENHead` (the paper's RCLTrans)."""
import copy
from typing import Optional, Tuple

import torch
from mmcv.cnn import Linear, build_norm_layer
from mmcv.cnn.bricks.transformer import FFN, MultiheadAttention
from mmdet.models.layers import DetrTransformerDecoderLayer, DetrTransformerEncoderLayer
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from .detr_encoder import DETR_ATTN as _ATTN
from .detr_encoder import DETR_FFN as _FFN
from .detr_encoder import DETREncoderTransformer


def _mlp(in_channels: int, channels: int, last: nn.Module) -> nn.Sequential:
    """Linear → ReLU → Linear → ``last`` (MUREN's two-layer MLPs)."""
    return nn.Sequential(
        Linear(in_channels, channels), nn.ReLU(inplace=True), Linear(channels, channels), last)


@MODELS.register_module()
class CrossAttentionLayer(BaseModule):
    """A DETR decoder layer without its self-attention: cross-attention → LN → FFN → LN
    (post-norm), MUREN's ``TransformerCrossLayer``.

    Args:
        cross_attn_cfg (dict): kwargs of mmcv's ``MultiheadAttention`` (batch first).
        ffn_cfg (dict): kwargs of mmcv's ``FFN``.
        norm_cfg (dict): the two norms. Defaults to LN.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 cross_attn_cfg: dict = _ATTN,
                 ffn_cfg: dict = _FFN,
                 norm_cfg: dict = dict(type='LN'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.cross_attn = MultiheadAttention(**dict(cross_attn_cfg, batch_first=True))
        self.embed_dims = self.cross_attn.embed_dims
        self.ffn = FFN(**ffn_cfg)
        self.norms = ModuleList([build_norm_layer(norm_cfg, self.embed_dims)[1] for _ in range(2)])

    def forward(self,
                query: Tensor,
                key: Tensor,
                key_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            query (Tensor): (N, L, C).
            key (Tensor): (N, K, C), also the value.
            key_pos (Tensor, optional): (N, K, C) added to the key.
            key_padding_mask (Tensor, optional): (N, K) bool, True = ignored.

        Returns:
            Tensor: (N, L, C).
        """
        query = self.cross_attn(
            query=query, key=key, value=key, key_pos=key_pos, key_padding_mask=key_padding_mask)
        return self.norms[1](self.ffn(self.norms[0](query)))


@MODELS.register_module()
class MURE(BaseModule):
    """Multiplex relation embedding: the multiplex relation context of each (human,
    object, interaction) query triplet.

    Per query index, as MUREN's code builds it: the unary tokens (the three branches'
    features) attend to each other; the ternary token (an MLP of the three concatenated)
    reads them (cross-attention); three pairwise tokens (MLPs of the concatenated unary
    pairs human-object, human-interaction, object-interaction) attend to each other and
    the result reads them; that relation context then reads the image (cross-attention to
    the encoder's memory with its positional encoding). Every attention within a triplet
    is over 3 tokens of one query of one image.

    Args:
        self_attn_layer (dict): kwargs of mmdet's ``DetrTransformerEncoderLayer`` for the
            unary and the pairwise self-attention.
        cross_attn_layer (dict): kwargs of :class:`CrossAttentionLayer` for the
            ternary-unary, the ternary-pairwise and the context-image attention.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 self_attn_layer: dict = dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 cross_attn_layer: dict = dict(cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.unary_self_attn = DetrTransformerEncoderLayer(**copy.deepcopy(self_attn_layer))
        self.pairwise_self_attn = DetrTransformerEncoderLayer(**copy.deepcopy(self_attn_layer))
        self.unary_cross_attn = CrossAttentionLayer(**copy.deepcopy(cross_attn_layer))
        self.pairwise_cross_attn = CrossAttentionLayer(**copy.deepcopy(cross_attn_layer))
        self.context_cross_attn = CrossAttentionLayer(**copy.deepcopy(cross_attn_layer))
        dims = self.embed_dims = self.unary_self_attn.embed_dims
        self.ternary_mlp = _mlp(3 * dims, dims, nn.LayerNorm(dims))
        self.human_object_mlp = _mlp(2 * dims, dims, nn.LayerNorm(dims))
        self.human_interaction_mlp = _mlp(2 * dims, dims, nn.LayerNorm(dims))
        self.object_interaction_mlp = _mlp(2 * dims, dims, nn.LayerNorm(dims))

    def forward(self,
                human: Tensor,
                obj: Tensor,
                interaction: Tensor,
                memory: Tensor,
                memory_pos: Tensor,
                padding_mask: Optional[Tensor] = None) -> Tensor:
        """
        Args:
            human, obj, interaction (Tensor): the branches' features, (B, Q, C) each.
            memory (Tensor): the encoder's output, (B, h*w, C).
            memory_pos (Tensor): its positional encoding, (B, h*w, C).
            padding_mask (Tensor, optional): (B, h*w) bool, True on padding.

        Returns:
            Tensor: the multiplex relation context, (B, Q, C).
        """
        batch, queries, dims = human.shape
        ternary = self.ternary_mlp(torch.cat([human, obj, interaction], dim=-1))
        # (B*Q, 3, C): the three unary tokens of each query
        unary = self.unary_self_attn(
            torch.stack([human, obj, interaction], dim=2).flatten(0, 1),
            query_pos=None,
            key_padding_mask=None)
        context = self.unary_cross_attn(ternary.reshape(-1, 1, dims), unary)
        u_h, u_o, u_i = unary.unbind(1)
        pairwise = self.pairwise_self_attn(
            torch.stack([
                self.human_object_mlp(torch.cat([u_h, u_o], dim=-1)),
                self.human_interaction_mlp(torch.cat([u_h, u_i], dim=-1)),
                self.object_interaction_mlp(torch.cat([u_o, u_i], dim=-1))
            ],
                        dim=1),
            query_pos=None,
            key_padding_mask=None)
        context = self.pairwise_cross_attn(context, pairwise).view(batch, queries, dims)
        return self.context_cross_attn(context, memory, memory_pos, padding_mask)


@MODELS.register_module()
class AttentiveFusion(BaseModule):
    """MUREN's attentive fusion: ``x + sigmoid(MLP([x; c])) * LN(MLP([x; c]))``, the
    relation context ``c`` gated into a branch's features ``x``.

    Args:
        embed_dims (int): channels C of x and c.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self, embed_dims: int = 256, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.gate = _mlp(2 * embed_dims, embed_dims, nn.Sigmoid())
        self.message = _mlp(2 * embed_dims, embed_dims, nn.LayerNorm(embed_dims))

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        """x, context: (B, Q, C) → (B, Q, C)."""
        both = torch.cat([x, context], dim=-1)
        return x + self.gate(both) * self.message(both)


@MODELS.register_module()
class MURENTransformer(DETREncoderTransformer):
    """MUREN's transformer: DETR encoder, then per stage one DETR decoder layer in each of
    three branches (human, object, interaction), :class:`MURE` over their outputs and
    :class:`AttentiveFusion` of its context into each branch.

    F_B goes through a 1x1 input projection and mmdet's ``SinePositionalEncoding`` and
    ``DetrTransformerEncoder``. Each branch has its own ``num_queries`` learned positional
    queries and decoder layers (self-attention within the branch, cross-attention to the
    memory), starting from zeros; query i of the three branches is one triplet. One
    :class:`MURE` is shared by all stages (as in MUREN's code); the fusion modules are per
    stage (``share_fusion=False``, MUREN's HICO-DET setting) or shared by the stages
    (``share_fusion=True``, its V-COCO setting). Every stage's three outputs, each through
    its branch's LayerNorm, are returned (auxiliary losses on every stage).

    Args:
        in_channels (int): channels C of F_B.
        num_queries (int): queries per branch (pairs). Defaults to 64 (MUREN on HICO-DET).
        num_stages (int): decoder layers per branch. Defaults to 6.
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        decoder_layer (dict): kwargs of each branch's ``DetrTransformerDecoderLayer``.
        relation (dict): kwargs of :class:`MURE`.
        share_fusion (bool): one fusion module per branch for all stages. Defaults to
            False.
        post_norm_cfg (dict): the branches' output norms.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(
            self,
            in_channels: int,
            num_queries: int = 64,
            num_stages: int = 6,
            positional_encoding: dict = dict(num_feats=128, normalize=True),
            encoder: dict = dict(num_layers=6, layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
            decoder_layer: dict = dict(self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
            relation: dict = dict(
                self_attn_layer=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN),
                cross_attn_layer=dict(cross_attn_cfg=_ATTN, ffn_cfg=_FFN)),
            share_fusion: bool = False,
            post_norm_cfg: dict = dict(type='LN'),
            init_cfg=None):
        super().__init__(in_channels, positional_encoding, encoder, init_cfg=init_cfg)
        self.num_queries = num_queries
        self.num_stages = num_stages
        self.share_fusion = share_fusion
        dims = self.embed_dims
        self.branches = ('human', 'object', 'interaction')
        self.query_embeddings = nn.ModuleDict(
            {name: nn.Embedding(num_queries, dims)
             for name in self.branches})
        self.decoders = nn.ModuleDict({
            name:
            ModuleList([
                DetrTransformerDecoderLayer(**copy.deepcopy(decoder_layer))
                for _ in range(num_stages)
            ])
            for name in self.branches
        })
        self.relation = MURE(**copy.deepcopy(relation))
        num_fusions = 1 if share_fusion else num_stages
        self.fusions = nn.ModuleDict({
            name:
            ModuleList([AttentiveFusion(dims) for _ in range(num_fusions)])
            for name in self.branches
        })
        self.post_norms = nn.ModuleDict(
            {name: build_norm_layer(post_norm_cfg, dims)[1]
             for name in self.branches})

    def init_weights(self) -> None:
        """Xavier-uniform weights for the encoder, the decoders, MURE and the fusions, as
        MUREN's ``_reset_parameters``."""
        super().init_weights()
        for module in (self.encoder, self.decoders, self.relation, self.fusions):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def forward(self,
                feat: Tensor,
                padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Encoder and decoder stages.

        Args:
            feat (Tensor): F_B, (B, C, h, w).
            padding_mask (Tensor, optional): (B, h, w) bool, True on padding cells.

        Returns:
            tuple[Tensor]: the human, object and interaction features of every stage,
            each (S, B, Q, embed_dims).
        """
        memory, pos, key_padding_mask = self.encode(feat, padding_mask)
        batch_size = feat.size(0)

        query_pos = {
            name: embedding.weight[None].expand(batch_size, -1, -1)
            for name, embedding in self.query_embeddings.items()
        }
        states = {name: torch.zeros_like(q) for name, q in query_pos.items()}
        outputs = {name: [] for name in self.branches}
        for stage in range(self.num_stages):
            for name in self.branches:
                states[name] = self.decoders[name][stage](
                    states[name],
                    key=memory,
                    value=memory,
                    query_pos=query_pos[name],
                    key_pos=pos,
                    key_padding_mask=key_padding_mask)
            context = self.relation(*[states[name] for name in self.branches], memory, pos,
                                    key_padding_mask)
            fusion = 0 if self.share_fusion else stage
            for name in self.branches:
                states[name] = self.fusions[name][fusion](states[name], context)
                outputs[name].append(self.post_norms[name](states[name]))
        return tuple(torch.stack(outputs[name]) for name in self.branches)
