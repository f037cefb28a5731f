"""Contact Prior Aware Module (CPAM, Eq. 1)."""
from typing import Sequence

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import NUM_PARTS


@MODELS.register_module()
class CPAM(BaseModule):
    """Which body parts touch something: ``L = sigmoid(FC(FCB2(FCB1(GAP(F_B)))))``.

    Each fully connected block (FCB) is FC → norm (BN) → ReLU → Dropout. The module returns
    logits; ``L`` is their sigmoid. Its loss is a binary cross-entropy against the image's
    ``gt_parts``, over the images whose contact is annotated.

    Args:
        in_channels (int): channels C of F_B.
        hidden_channels (Sequence[int]): widths of the FCBs. Defaults to (1024, 512).
        num_parts (int): number of body parts N_c. Defaults to 17.
        dropout (float): dropout probability of the FCBs. Defaults to 0.5.
        norm_cfg (dict): norm layer of the FCBs. Defaults to BN1d; a training batch of
            one image is normalised with BN's running statistics.
        loss (dict): the BCE loss (mmdet ``CrossEntropyLoss`` with ``use_sigmoid=True``).
        init_cfg (dict | list[dict]): defaults to Kaiming (He et al. 2015), as the paper.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Sequence[int] = (1024, 512),
                 num_parts: int = NUM_PARTS,
                 dropout: float = 0.5,
                 norm_cfg: dict = dict(type='BN1d'),
                 loss: dict = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
                 init_cfg=dict(type='Kaiming', layer='Linear', nonlinearity='relu')):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_parts = num_parts
        self.norm_cfg = norm_cfg
        blocks = []
        channels = in_channels
        for width in hidden_channels:
            blocks.append(
                nn.Sequential(
                    nn.Linear(channels, width),
                    build_norm_layer(norm_cfg, width)[1], nn.ReLU(inplace=True),
                    nn.Dropout(dropout)))
            channels = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(channels, num_parts)
        self.loss_parts = MODELS.build(loss)

    def forward(self, feat: Tensor) -> Tensor:
        """Part logits.

        Args:
            feat (Tensor): F_B, (B, C, h, w).

        Returns:
            Tensor: (B, num_parts) logits; ``sigmoid`` gives L.
        """
        pooled = feat.mean(dim=(2, 3))
        if self.training and feat.size(0) == 1:
            return self.fc(self._blocks_with_running_stats(pooled))
        return self.fc(self.blocks(pooled))

    def _blocks_with_running_stats(self, pooled: Tensor) -> Tensor:
        """The FCBs on a single image in training, BatchNorm using its running statistics.

        BatchNorm cannot estimate batch statistics from one sample, which is what the last,
        incomplete batch of an epoch (or one image per GPU) gives; normalising that
        sample with the running statistics keeps training going without touching them.
        """
        norms = [
            m for m in self.blocks.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training
        ]
        for m in norms:
            m.eval()
        try:
            return self.blocks(pooled)
        finally:
            for m in norms:
                m.train()

    def loss(self, part_logits: Tensor, batch_data_samples: Sequence) -> Tensor:
        """Binary cross-entropy against ``gt_parts``, over the images whose contact is
        annotated (the others are skipped).

        Args:
            part_logits (Tensor): (B, num_parts) logits.
            batch_data_samples (list[PaIRDataSample]): ``gt_parts`` (num_parts,)
                multi-hot and metainfo ``contact_annotated``.

        Returns:
            Tensor: scalar loss, mean over the parts of the annotated images (0 when none).
        """
        annotated = part_logits.new_tensor([
            float('gt_parts' in s and s.metainfo.get('contact_annotated', True))
            for s in batch_data_samples
        ])
        targets = torch.stack([
            s.gt_parts if 'gt_parts' in s else part_logits.new_zeros(self.num_parts)
            for s in batch_data_samples
        ]).to(part_logits)
        weight = annotated[:, None].expand_as(part_logits)
        return self.loss_parts(
            part_logits, targets, weight=weight, avg_factor=weight.sum().clamp(min=1.0))
