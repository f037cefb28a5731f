"""Contact Prior Aware Module (CPAM, Eq. 1)."""
from typing import Sequence

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
        norm_cfg (dict): norm layer of the FCBs (``BN1d`` needs at least two images per
            GPU in training; ``dict(type='LN')`` works with one). Defaults to BN1d.
        loss (dict): the BCE loss (mmdet ``CrossEntropyLoss`` with ``use_sigmoid=True``).
        init_cfg (dict | list[dict]): defaults to Kaiming (He et al. 2015), as the paper.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: Sequence[int] = (1024, 512),
                 num_parts: int = NUM_PARTS,
                 dropout: float = 0.5,
                 norm_cfg: dict = dict(type='BN1d'),
                 loss: dict = dict(
                     type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
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
        if (self.training and feat.size(0) == 1 and len(self.blocks) > 0
                and 'BN' in self.norm_cfg['type']):
            raise ValueError(
                'CPAM: BatchNorm in the fully connected blocks needs at least 2 images '
                'per GPU in training; raise the batch size or set '
                "model.cpam.norm_cfg=dict(type='LN')")
        pooled = feat.mean(dim=(2, 3))
        return self.fc(self.blocks(pooled))

    def loss(self, part_logits: Tensor, gt_parts: Tensor,
             annotated: Tensor) -> Tensor:
        """Binary cross-entropy over the annotated images.

        Args:
            part_logits (Tensor): (B, num_parts) logits.
            gt_parts (Tensor): (B, num_parts) multi-hot targets.
            annotated (Tensor): (B,) bool, False for images without contact annotation
                (their loss is skipped).

        Returns:
            Tensor: scalar loss, mean over the parts of the annotated images (0 when none).
        """
        weight = annotated.to(part_logits.dtype)[:, None].expand_as(part_logits)
        avg_factor = max(float(weight.sum()), 1.0)
        return self.loss_parts(
            part_logits, gt_parts.to(part_logits.dtype), weight=weight,
            avg_factor=avg_factor)
