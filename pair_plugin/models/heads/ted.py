"""TED-Net's transformer (Wang, Liu & Lei, TCSVT 2024): human and object decoders with
dispersal attention guiding an interaction decoder, the transformer of :class:`TEDHead`
(the paper's DisTrans)."""
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
from .dispersal_attention import DispersalDecoderLayer


@MODELS.register_module()
class TEDTransformer(DETREncoderTransformer):
    """DETR encoder; a human and an object decoder whose cross-attention also gives a
    dispersed copy (:class:`DispersalDecoderLayer`); an interaction decoder whose
    positional queries are the mean of the two dispersed copies (TED-Net's code, on
    GEN-VLKT's).

    F_B goes through a 1x1 input projection and mmdet's ``SinePositionalEncoding`` and
    ``DetrTransformerEncoder``. ``num_queries`` base queries give the human, object and
    interaction positional queries through their own bias-free linear maps and a ReLU;
    a learned position guide is added to the human and the object ones. The human and
    the object decoders (separate self-attention) start from zeros. At stage s the
    interaction decoder layer runs with positional queries ``(LN_h(h'_s) + LN_o(o'_s)) /
    2 + q_i``, h'_s and o'_s being the dispersed copies of stage s of the human and object
    decoders and LN their output norms; its state starts from zeros. Every stage's
    normalised human, object and interaction features are returned.

    Args:
        in_channels (int): channels C of F_B.
        num_queries (int): pair queries. Defaults to 64 (TED-Net on HICO-DET).
        num_stages (int): layers of each decoder. Defaults to 3.
        positional_encoding (dict): kwargs of mmdet's ``SinePositionalEncoding``.
        encoder (dict): kwargs of mmdet's ``DetrTransformerEncoder``.
        instance_decoder_layer (dict): kwargs of the human and object decoders'
            :class:`DispersalDecoderLayer` (its ``cross_attn_cfg`` takes
            ``kernel_size`` and ``sigma`` of the Gaussian).
        interaction_decoder_layer (dict): kwargs of the interaction decoder's
            ``DetrTransformerDecoderLayer``.
        post_norm_cfg (dict): the three decoders' output norms.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 num_queries: int = 64,
                 num_stages: int = 3,
                 positional_encoding: dict = dict(num_feats=128, normalize=True),
                 encoder: dict = dict(
                     num_layers=6, layer_cfg=dict(self_attn_cfg=_ATTN, ffn_cfg=_FFN)),
                 instance_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN,
                     cross_attn_cfg=dict(_ATTN, kernel_size=7, sigma=2.0),
                     ffn_cfg=_FFN),
                 interaction_decoder_layer: dict = dict(
                     self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN, ffn_cfg=_FFN),
                 post_norm_cfg: dict = dict(type='LN'),
                 init_cfg=None):
        super().__init__(in_channels, positional_encoding, encoder, init_cfg=init_cfg)
        self.num_queries = num_queries
        self.num_stages = num_stages
        dims = self.embed_dims
        self.query_embedding = nn.Embedding(num_queries, dims)
        self.human_query_proj = nn.Linear(dims, dims, bias=False)
        self.object_query_proj = nn.Linear(dims, dims, bias=False)
        self.interaction_query_proj = nn.Linear(dims, dims, bias=False)
        self.position_guide = nn.Embedding(num_queries, dims)
        self.human_decoder = ModuleList([
            DispersalDecoderLayer(**copy.deepcopy(instance_decoder_layer))
            for _ in range(num_stages)
        ])
        self.object_decoder = ModuleList([
            DispersalDecoderLayer(**copy.deepcopy(instance_decoder_layer))
            for _ in range(num_stages)
        ])
        self.interaction_decoder = ModuleList([
            DetrTransformerDecoderLayer(**copy.deepcopy(interaction_decoder_layer))
            for _ in range(num_stages)
        ])
        self.human_post_norm = build_norm_layer(post_norm_cfg, dims)[1]
        self.object_post_norm = build_norm_layer(post_norm_cfg, dims)[1]
        self.interaction_post_norm = build_norm_layer(post_norm_cfg, dims)[1]

    def init_weights(self) -> None:
        """Xavier-uniform encoder and decoders (GEN-VLKT's transformer), base queries and
        query maps; the position guide uniform in [0, 1) (TED-Net's
        ``reset_parameters``)."""
        super().init_weights()
        for module in (self.encoder, self.human_decoder, self.object_decoder,
                       self.interaction_decoder):
            for p in module.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
        for module in (self.query_embedding, self.human_query_proj, self.object_query_proj,
                       self.interaction_query_proj):
            nn.init.xavier_uniform_(module.weight)
        nn.init.uniform_(self.position_guide.weight)

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
        spatial_shape = feat.shape[-2:]

        base = self.query_embedding.weight
        guide = self.position_guide.weight
        human_pos = (self.human_query_proj(base).relu() + guide)[None].expand(batch_size, -1, -1)
        object_pos = (self.object_query_proj(base).relu() + guide)[None].expand(batch_size, -1, -1)
        interaction_pos = self.interaction_query_proj(base).relu()[None]
        human = torch.zeros_like(human_pos)
        obj = torch.zeros_like(object_pos)
        interaction = torch.zeros_like(human_pos)
        cross = dict(
            key=memory,
            value=memory,
            key_pos=pos,
            key_padding_mask=key_padding_mask,
        )
        humans, objects, interactions = [], [], []
        for human_layer, object_layer, interaction_layer in zip(self.human_decoder,
                                                                self.object_decoder,
                                                                self.interaction_decoder):
            human, human_dispersed = human_layer(
                human, query_pos=human_pos, spatial_shape=spatial_shape, **cross)
            obj, object_dispersed = object_layer(
                obj, query_pos=object_pos, spatial_shape=spatial_shape, **cross)
            humans.append(self.human_post_norm(human))
            objects.append(self.object_post_norm(obj))
            guided_pos = (self.human_post_norm(human_dispersed) +
                          self.object_post_norm(object_dispersed)) / 2 + interaction_pos
            interaction = interaction_layer(interaction, query_pos=guided_pos, **cross)
            interactions.append(self.interaction_post_norm(interaction))
        return torch.stack(humans), torch.stack(objects), torch.stack(interactions)
