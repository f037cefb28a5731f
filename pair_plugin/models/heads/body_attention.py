"""Body Attention of PGCS (Eq. 8-9): CPAM's part probabilities re-weight the channels."""
from mmengine.model import BaseModule
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import NUM_PARTS


@MODELS.register_module()
class BodyAttention(BaseModule):
    """``L' = sigmoid(FC(ReLU(FC(L))))``, then ``F_B^D' = F_B^D ⊙ L'`` per channel.

    Args:
        channels (int): channels of F_B^D (the decoder's last width, 64).
        num_parts (int): length of L. Defaults to 17.
        hidden_channels (int): width of the first FC. Defaults to 64.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 channels: int,
                 num_parts: int = NUM_PARTS,
                 hidden_channels: int = 64,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.fc1 = nn.Linear(num_parts, hidden_channels)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Linear(hidden_channels, channels)

    def forward(self, feat: Tensor, part_probs: Tensor) -> Tensor:
        """Re-weight the channels of ``feat``.

        Args:
            feat (Tensor): F_B^D, (B, channels, h, w).
            part_probs (Tensor): L, (B, num_parts) part probabilities.

        Returns:
            Tensor: F_B^D', (B, channels, h, w).
        """
        weights = self.fc2(self.relu(self.fc1(part_probs))).sigmoid()  # L'
        return feat * weights[:, :, None, None]
