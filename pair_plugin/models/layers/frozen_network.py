"""A pretrained network that a model uses as it is: weights from the user's file, never
trained and never saved with the model (PIHOT's depth estimator, inpainter and person
segmenter)."""
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModule
from mmengine.runner import load_checkpoint
from torch import Tensor, nn

from pair_plugin.registry import MODELS


@MODELS.register_module()
class FrozenPretrainedNetwork(BaseModule):
    """A pretrained network run without gradient, its weights read from ``checkpoint``.

    The network is either an exported program (``network=None``: ``checkpoint`` is what
    ``torch.jit.save`` wrote, or ``torch.export.save`` for a file named ``*.pt2``, e.g. a
    depth estimator or an inpainter exported from its own code base) or a registered
    architecture (``network=dict(type=...)``) whose state dict ``checkpoint`` holds (any
    path or URL that mmengine's ``load_checkpoint`` reads; every key must match). Without
    ``checkpoint`` the model refuses to build: a pretrained part with random weights would
    only pretend to be one.

    The network is held outside the module tree: its parameters are not the model's (no
    optimizer, no gradient, no ``init_weights``, not counted) and its weights stay out of
    the model's checkpoints, since they come from ``checkpoint`` at every build. It moves
    with the model (``.to()``, ``.cuda()``, ``.half()``) and is always in eval mode.

    :meth:`forward` takes an RGB image in 0..255, normalises it with ``mean`` and ``std``
    (the network's own input convention) and calls the network on it and on the further
    arguments; the output is returned as the network gives it.

    Args:
        checkpoint (str): the network's weights (see above).
        network (dict, optional): the architecture whose state dict ``checkpoint`` holds;
            None: ``checkpoint`` is a TorchScript file.
        mean (Sequence[float]): subtracted from the 0..255 RGB image. Defaults to 0.
        std (Sequence[float]): divides it afterwards. Defaults to 255 (an image in 0..1).
        name (str): the component's name in error messages.
        config_key (str): the config key of ``checkpoint``, named in error messages.
        init_cfg (dict, optional): unused (the weights come from ``checkpoint``).

    Raises:
        ValueError: no ``checkpoint``, or a file that is not what ``network`` says.
        FileNotFoundError: ``checkpoint`` names a local file that does not exist.
    """

    def __init__(self,
                 checkpoint: Optional[str] = None,
                 network: Optional[dict] = None,
                 mean: Sequence[float] = (0., 0., 0.),
                 std: Sequence[float] = (255., 255., 255.),
                 name: str = 'FrozenPretrainedNetwork',
                 config_key: str = 'checkpoint',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.name = name
        self.config_key = config_key
        self.checkpoint = checkpoint
        self.register_buffer('mean',
                             torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), False)
        # a plain attribute, not a sub-module: see the class docstring
        object.__setattr__(self, 'network', self._load(checkpoint, network))
        self.network.eval()
        for param in self.network.parameters():
            param.requires_grad_(False)

    def _load(self, checkpoint: Optional[str], network: Optional[dict]) -> nn.Module:
        """The network with its weights, or a clear error naming the key and the file."""
        if not checkpoint:
            raise ValueError(
                f'{self.name}: the weights of this pretrained network are missing; set '
                f'{self.config_key} to its file (a TorchScript or *.pt2 file, or with '
                f'{self.config_key.rsplit(".", 1)[0]}.network the checkpoint of that '
                'architecture). It is not trained with the model, so it cannot start from '
                'random weights (docs/model.md, "PIHOT")')
        if '://' not in checkpoint and not osp.isfile(osp.expanduser(checkpoint)):
            raise FileNotFoundError(f'{self.name}: {self.config_key} = {checkpoint!r}: no such '
                                    'file')
        if network is None:
            path = osp.expanduser(checkpoint)
            try:
                if path.endswith('.pt2'):
                    return torch.export.load(path).module()
                return torch.jit.load(path, map_location='cpu')
            except Exception as error:  # torch raises RuntimeError/ValueError, by version
                raise ValueError(
                    f'{self.name}: {self.config_key} = {checkpoint!r} is not a TorchScript '
                    'file (nor, named *.pt2, a torch.export archive) '
                    f'({type(error).__name__}: {str(error).strip().splitlines()[0]}); for a '
                    'state dict, give its architecture as '
                    f'{self.config_key.rsplit(".", 1)[0]}.network') from error
        module = MODELS.build(network)
        try:
            load_checkpoint(module, checkpoint, map_location='cpu', strict=True, logger='silent')
        except Exception as error:
            raise ValueError(f'{self.name}: {self.config_key} = {checkpoint!r} does not hold '
                             f'the weights of {network.get("type")!r} '
                             f'({type(error).__name__}: {str(error).strip()[:500]})') from error
        return module

    @property
    def num_params(self) -> int:
        """Parameters of the network (not counted among the model's)."""
        return sum(p.numel() for p in self.network.parameters())

    def _apply(self, fn, *args, **kwargs):
        """Move and cast the network with the model (``.to()``, ``.cuda()``, ...)."""
        self.network._apply(fn)
        return super()._apply(fn, *args, **kwargs)

    def init_weights(self) -> None:
        """Nothing to initialise: the weights are the checkpoint's."""

    def forward(self, image: Tensor, *args) -> Tensor:
        """The network on the normalised image (and ``args``), without gradient.

        Args:
            image (Tensor): (B, 3, H, W) RGB in 0..255.
            *args: further inputs of the network (e.g. the inpainting mask).

        Returns:
            Tensor: the network's output.
        """
        with torch.no_grad():
            return self.network((image - self.mean) / self.std, *args)

    def extra_repr(self) -> str:
        return (f'name={self.name}, checkpoint={self.checkpoint!r}, '
                f'network={type(self.network).__name__} ({self.num_params:,} parameters, '
                'frozen)')
