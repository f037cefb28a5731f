"""PIHOT's image stage (Wang et al., AAAI 2025): the texture-restored image, the depth cue,
and the backbone on both images."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from pair_plugin.registry import MODELS


@MODELS.register_module()
class PIHOTBackbone(BaseModule):
    """A backbone that also gives PIHOT's inputs: the depth cue and the features of the
    image with the people removed.

    PIHOT (public code YuxiaoWang-AI/PIHOT) prepares two extra inputs offline, with
    pretrained networks it does not train, and encodes two images with one encoder:

    1. person mask: PIHOT takes HOT's body-part segmentation (a label PaIR lacks) > 0;
       here a frozen person segmenter (``person_segmenter``: RGB image → (B, 1, h, w)
       person probability) thresholded at ``person_thr``;
    2. mask dilation: a square of ``2·mask_dilation + 1`` pixels (PIHOT: 60×60 on the
       original image) around every person pixel;
    3. object texture restoration: the inpainter (``inpainter``, PIHOT: Big-LaMa) fills
       the dilated mask (image in 0..1 and mask in {0, 1} → image in 0..1, as LaMa); the
       restored image keeps the input outside the mask;
    4. depth cue: the depth estimator (``depth_estimator``, PIHOT: ZoeDepth) on the image
       and the restored image placed side by side (one call, so that both depths share
       one scale, as PIHOT's README asks); the cue is |D(image) − D(restored)|, min-max
       normalised to [0, 1] per image (PIHOT then quantises it to 8 bits, not done here);
    5. the backbone on the image and, separately, on the restored image (one set of
       weights, as PIHOT's shared encoder; both passes train it).

    Outputs: ``(depth cue (B, 1, H, W), the restored image's last level, *the image's
    levels)``. The last output is the image's F_B, so whatever reads F_B (CPAM, the
    interaction head, the Mask-Guided RoI Feature in PaIR-Net) sees the plain backbone's;
    :class:`PIHOTContactHead` reads all three (``in_index=(0, 1, -1)``).

    Steps 1-4 run without gradient on every forward pass, in the batch's padded input
    (the padding is the data preprocessor's mean colour). The three networks are
    :class:`FrozenPretrainedNetwork` s whose weights the user supplies (their
    ``checkpoint``): the model refuses to build without them.

    Args:
        backbone (dict): the backbone run on both images (e.g. mmdet's ``ResNet``).
        depth_estimator (dict): :class:`FrozenPretrainedNetwork`: RGB image → depth,
            (B, 1, h, w) or (B, h, w), any scale.
        inpainter (dict): :class:`FrozenPretrainedNetwork`: (image, mask (B, 1, H, W)
            float, 1 = fill) → the filled image in the image's input scale.
        person_segmenter (dict): :class:`FrozenPretrainedNetwork`: RGB image → person
            probability, (B, 1, h, w) or (B, h, w).
        mean (Sequence[float]): the data preprocessor's mean (RGB, 0..255), to recover the
            image from the normalised input and to normalise the restored one.
        std (Sequence[float]): the data preprocessor's std.
        person_thr (float): person probability above which a pixel is masked.
            Defaults to 0.5.
        mask_dilation (int): radius in input pixels of the mask's dilation. Defaults to 30
            (PIHOT's 60×60 kernel).
        init_cfg (dict, optional): mmengine init config (the backbone has its own).
    """

    def __init__(self,
                 backbone: dict,
                 depth_estimator: dict,
                 inpainter: dict,
                 person_segmenter: dict,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 person_thr: float = 0.5,
                 mask_dilation: int = 30,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if mask_dilation < 0:
            raise ValueError(f'PIHOTBackbone: mask_dilation must be >= 0, not {mask_dilation}')
        self.backbone = MODELS.build(backbone)
        for key, cfg in (('person_segmenter', person_segmenter), ('inpainter', inpainter),
                         ('depth_estimator', depth_estimator)):
            if not cfg:
                raise ValueError(f'PIHOTBackbone: model.backbone.{key} is missing (a '
                                 "dict(type='FrozenPretrainedNetwork', checkpoint=...); "
                                 'docs/model.md, "PIHOT")')
            cfg = dict(cfg)
            cfg.setdefault('type', 'FrozenPretrainedNetwork')
            cfg.setdefault('name', f'PIHOTBackbone.{key}')
            cfg.setdefault('config_key', f'model.backbone.{key}.checkpoint')
            self.add_module(key, MODELS.build(cfg))
        self.person_thr = person_thr
        self.mask_dilation = mask_dilation
        self.register_buffer('mean',
                             torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), False)

    def _map(self, name: str, output: Tensor, size: Tuple[int, int]) -> Tensor:
        """A (B, 1, h, w) or (B, h, w) map of a frozen network at ``size``, (B, 1, H, W)."""
        if isinstance(output, Tensor) and output.dim() == 3:
            output = output[:, None]
        if not isinstance(output, Tensor) or output.dim() != 4 or output.shape[1] != 1:
            got = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
            raise ValueError(f'PIHOTBackbone.{name} returned {got}; expected one map per '
                             'image, a (B, 1, h, w) or (B, h, w) tensor')
        output = output.float()
        if tuple(output.shape[-2:]) != tuple(size):
            output = F.interpolate(output, size=size, mode='bilinear', align_corners=False)
        return output

    def person_mask(self, image: Tensor) -> Tensor:
        """Steps 1-2: the dilated person mask, (B, 1, H, W) float in {0, 1}.

        Args:
            image (Tensor): (B, 3, H, W) RGB in 0..255.
        """
        probs = self._map('person_segmenter', self.person_segmenter(image), image.shape[-2:])
        mask = (probs > self.person_thr).float()
        if self.mask_dilation:
            mask = F.max_pool2d(
                mask, 2 * self.mask_dilation + 1, stride=1, padding=self.mask_dilation)
        return mask

    def restore(self, image: Tensor, mask: Tensor) -> Tensor:
        """Step 3: the image with the masked pixels inpainted, (B, 3, H, W) RGB 0..255.

        Args:
            image (Tensor): (B, 3, H, W) RGB in 0..255.
            mask (Tensor): (B, 1, H, W) 1 where to fill.
        """
        inpainter = self.inpainter
        filled = self.inpainter(image, mask)
        if not isinstance(filled, Tensor) or tuple(filled.shape) != tuple(image.shape):
            got = tuple(filled.shape) if isinstance(filled, Tensor) else type(filled).__name__
            raise ValueError(f'PIHOTBackbone.inpainter returned {got}; expected the filled '
                             f'image, {tuple(image.shape)}')
        filled = (filled.float() * inpainter.std + inpainter.mean).clamp(0, 255)
        return mask * filled + (1 - mask) * image

    def depth_cue(self, image: Tensor, restored: Tensor) -> Tensor:
        """Step 4: |D(image) − D(restored)| min-max normalised per image, (B, 1, H, W).

        Args:
            image, restored (Tensor): (B, 3, H, W) RGB in 0..255.
        """
        height, width = image.shape[-2:]
        side_by_side = torch.cat([image, restored], dim=-1)
        depth = self._map('depth_estimator', self.depth_estimator(side_by_side),
                          (height, 2 * width))
        diff = (depth[..., :width] - depth[..., width:]).abs()
        low = diff.amin(dim=(1, 2, 3), keepdim=True)
        high = diff.amax(dim=(1, 2, 3), keepdim=True)
        return (diff - low) / (high - low).clamp(min=1e-6)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """The depth cue, the restored image's last level and the image's levels.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised RGB (the data preprocessor's).

        Returns:
            tuple[Tensor]: (B, 1, H, W) depth cue, (B, C, h, w) the restored image's last
            level, then the backbone's levels of the image (the last one F_B).
        """
        with torch.no_grad():
            image = inputs.float() * self.std + self.mean
            restored = self.restore(image, self.person_mask(image))
            depth = self.depth_cue(image, restored)
            restored_inputs = ((restored - self.mean) / self.std).to(inputs.dtype)
        levels = self.backbone(inputs)
        levels = (levels, ) if isinstance(levels, Tensor) else tuple(levels)
        restored_levels = self.backbone(restored_inputs)
        restored_last = restored_levels if isinstance(restored_levels,
                                                      Tensor) else restored_levels[-1]
        return (depth.to(inputs.dtype), restored_last, *levels)
