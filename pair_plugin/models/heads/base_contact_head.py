"""The contact head interface: the backbone's feature levels → S, its loss and contact maps."""
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmengine.structures import PixelData
from torch import Tensor, nn

from pair_plugin.registry import MODELS
from pair_plugin.structures import IGNORE_INDEX, NUM_PARTS
from .contact_labels import resized_argmax


def stack_contact_maps(batch_data_samples: Sequence, input_size: Tuple[int, int]) -> Tensor:
    """The padded ground-truth contact maps of a batch; unannotated images all 255.

    Args:
        batch_data_samples (list[PaIRDataSample]): ``gt_sem_seg`` padded to the batch by
            the data preprocessor (``pad_seg=True, seg_pad_value=255``).
        input_size (tuple[int, int]): (H, W) of the padded input batch.

    Returns:
        Tensor: (B, H, W) int64: 0 none, 1..17 part, 255 ignored.
    """
    maps = []
    for sample in batch_data_samples:
        if 'gt_sem_seg' in sample and sample.metainfo.get('contact_annotated', True):
            seg = sample.gt_sem_seg.sem_seg
            if tuple(seg.shape[-2:]) != tuple(input_size):
                raise ValueError(
                    f'contact head: gt_sem_seg has size {tuple(seg.shape[-2:])} but the '
                    f'padded input is {tuple(input_size)}; pad both with the data '
                    'preprocessor (DetDataPreprocessor with pad_seg=True, seg_pad_value=255)')
            maps.append(seg.reshape(input_size).long())
        else:
            maps.append(
                torch.full(
                    input_size,
                    IGNORE_INDEX,
                    dtype=torch.long,
                    device=sample.gt_instances.labels.device))
    return torch.stack(maps)


def batch_input_size(batch_img_metas: Sequence[dict]) -> Tuple[int, int]:
    """(H, W) of the padded batch, from the ``batch_input_shape`` that mmdet's data
    preprocessor writes into every image's metainfo."""
    if not batch_img_metas or 'batch_input_shape' not in batch_img_metas[0]:
        raise ValueError('contact head: the image metainfo has no batch_input_shape (set by '
                         "the detector's data preprocessor); pass the input size")
    return tuple(batch_img_metas[0]['batch_input_shape'][:2])


class BaseContactHead(BaseModule, metaclass=ABCMeta):
    """Base of the contact heads: the backbone's feature levels → S, the contact logits.

    As mmseg's ``BaseDecodeHead``: a head reads the levels ``in_index`` names of the tuple
    the backbone (and neck) give (the backbone's ``out_indices`` say which levels exist; the
    last one is F_B) and returns S, (B, num_parts + 1, H, W) logits at the padded input's
    resolution (H, W). The base owns what every head shares: the cross-entropy on S against
    the padded ground truth, 255 ignored (:meth:`loss_by_feat`), and the contact map of each
    image (:meth:`predict_by_feat`: S cropped to the image, resized, argmax).

    Inside PaIR-Net a head may also take CPAM's part probabilities L (PGCS's Body
    Attention; :attr:`uses_part_priors`) and the interaction region of the H-O RoI Enhancer
    (:attr:`uses_roi_enhancer`; the enhancer is built here from ``roi_enhancer`` and applied
    by the head with :meth:`enhance` to the level it chooses). :class:`PaIRNet` hands each
    to the heads that take it; a head that takes neither simply ignores both arguments.

    Args:
        in_channels (int | Sequence[int]): channels of the level(s) read.
        num_parts (int): body parts; S has ``num_parts + 1`` classes (0 = no contact).
            Defaults to 17.
        in_index (int | Sequence[int]): the level(s) read: an int gives :meth:`forward`'s
            implementation one tensor, a sequence a list of them. Defaults to -1 (F_B).
        roi_enhancer (dict, optional): the H-O RoI Enhancer (``HORoIEnhancer``), for heads
            that use it; None switches it off.
        loss (dict): the cross-entropy on S, 255 ignored (mmdet's ``CrossEntropyLoss``).
        background_prior (float, optional): the classifier's initial bias gives every
            pixel this probability of no contact and shares the rest evenly among the
            parts (as the prior-probability initialisation of RetinaNet's classifier;
            applied by the head's ``init_weights`` with :meth:`init_background_prior`).
            None (the default) leaves the bias to the head's initialisation.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 num_parts: int = NUM_PARTS,
                 in_index: Union[int, Sequence[int]] = -1,
                 roi_enhancer: Optional[dict] = None,
                 loss: dict = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     ignore_index=IGNORE_INDEX,
                     avg_non_ignore=True,
                     loss_weight=1.0),
                 background_prior: Optional[float] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if background_prior is not None and not 0 < background_prior < 1:
            raise ValueError(f'{name}: background_prior must be in (0, 1), not '
                             f'{background_prior!r}')
        if isinstance(in_index, int):
            if not isinstance(in_channels, int):
                raise ValueError(f'{name}: in_index {in_index} names one level, so '
                                 f'in_channels must be an int, not {in_channels!r}')
        else:
            in_index, in_channels = tuple(in_index), tuple(in_channels)
            if len(in_index) != len(in_channels):
                raise ValueError(f'{name}: in_channels {in_channels} and in_index {in_index} '
                                 'must have the same length')
        self.in_channels = in_channels
        self.in_index = in_index
        self.num_parts = num_parts
        self.num_classes = num_parts + 1
        self.roi_enhancer = MODELS.build(roi_enhancer) if roi_enhancer else None
        self.loss_seg = MODELS.build(loss)
        self.background_prior = background_prior

    def init_background_prior(self, classifier: nn.Conv2d) -> None:
        """The bias of S's classifier at ``background_prior`` (log-probabilities: no
        contact ``background_prior``, each part an equal share of the rest); nothing when
        it is None."""
        if self.background_prior is None:
            return
        prior = torch.full((self.num_classes, ),
                           (1 - self.background_prior) / (self.num_classes - 1))
        prior[0] = self.background_prior
        with torch.no_grad():
            classifier.bias.copy_(prior.log())

    # ------------------------------------------------------------------ inputs
    @property
    def uses_part_priors(self) -> bool:
        """Whether :meth:`forward` takes CPAM's part probabilities L."""
        return False

    @property
    def uses_roi_enhancer(self) -> bool:
        """Whether :meth:`forward` takes the H-O RoI Enhancer's interaction regions."""
        return self.roi_enhancer is not None

    def _transform_inputs(self, feats: Sequence[Tensor]) -> Union[Tensor, List[Tensor]]:
        """The level(s) ``in_index`` names, from the backbone's (or neck's) outputs."""
        if isinstance(self.in_index, int):
            return feats[self.in_index]
        return [feats[i] for i in self.in_index]

    def interaction_regions(self,
                            img_sizes: Tensor,
                            human_boxes: Tensor,
                            object_boxes: Tensor,
                            object_scores: Tensor,
                            batch_data_samples: Optional[Sequence] = None) -> Tensor:
        """E_b of each image for :meth:`forward` (see
        :meth:`HORoIEnhancer.interaction_regions`): (B, 4) x1y1x2y2 in input pixels."""
        return self.roi_enhancer.interaction_regions(img_sizes, human_boxes, object_boxes,
                                                     object_scores, batch_data_samples)

    def enhance(self, feat: Tensor, regions: Optional[Tensor], input_size: Tuple[int,
                                                                                 int]) -> Tensor:
        """The H-O RoI Enhancer on ``feat`` (unchanged without the enhancer).

        Raises:
            ValueError: the head has an enhancer and ``regions`` is None.
        """
        if self.roi_enhancer is None:
            return feat
        if regions is None:
            raise ValueError(f'{type(self).__name__}: the H-O RoI Enhancer needs the '
                             'interaction regions (set roi_enhancer=None to run without)')
        return self.roi_enhancer(feat, regions, input_size)

    @abstractmethod
    def forward(self,
                feats: Sequence[Tensor],
                input_size: Tuple[int, int],
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> Tensor:
        """S, the contact logits at the input's resolution.

        Args:
            feats (tuple[Tensor]): the backbone's (or neck's) levels, each (B, C_i, h_i,
                w_i), the last one F_B.
            input_size (tuple[int, int]): (H, W) of the padded input.
            part_probs (Tensor, optional): L, (B, num_parts), for heads that use the part
                priors.
            regions (Tensor, optional): (B, 4) interaction region of each image, x1y1x2y2
                in input pixels, for heads that use the enhancer.

        Returns:
            Tensor: S, (B, num_parts + 1, H, W) logits.
        """

    # --------------------------------------------------------------------- loss
    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: Sequence) -> dict:
        """Cross-entropy of S against the padded contact maps, 255 ignored.

        Args:
            seg_logits (Tensor): S, (B, num_parts + 1, H, W) from :meth:`forward`.
            batch_data_samples (list[PaIRDataSample]): see :func:`stack_contact_maps`.

        Returns:
            dict[str, Tensor]: ``loss_contact_seg``, the mean over the non-ignored pixels
            (0 when all are ignored).
        """
        gt_seg = stack_contact_maps(batch_data_samples, seg_logits.shape[-2:])
        return dict(loss_contact_seg=self.loss_seg(seg_logits, gt_seg, ignore_index=IGNORE_INDEX))

    def loss(self,
             feats: Sequence[Tensor],
             batch_data_samples: Sequence,
             part_probs: Optional[Tensor] = None,
             regions: Optional[Tensor] = None) -> dict:
        """:meth:`forward` and :meth:`loss_by_feat`: the head on its own (a contact-only
        model); the input size is the data preprocessor's ``batch_input_shape``."""
        input_size = batch_input_size([s.metainfo for s in batch_data_samples])
        return self.loss_by_feat(self(feats, input_size, part_probs, regions), batch_data_samples)

    # ------------------------------------------------------------------ predict
    @staticmethod
    def predict_by_feat(seg_logits: Tensor,
                        batch_img_metas: Sequence[dict],
                        rescale: bool = True) -> List[PixelData]:
        """The contact map of each image: S cropped to the image, resized, argmax.

        Args:
            seg_logits (Tensor): S, (B, K, H, W).
            batch_img_metas (list[dict]): ``img_shape``, and with ``rescale``
                ``ori_shape``.
            rescale (bool): resize the logits (bilinear) to the original image size
                before the argmax. Defaults to True.

        Returns:
            list[PixelData]: ``sem_seg`` (1, h, w) uint8, 0 none, 1..17 part; the labels
            of the argmax of the resized logits (:func:`resized_argmax`).
        """
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            img_h, img_w = meta['img_shape'][:2]
            logits = seg_logits[img_id:img_id + 1, :, :img_h, :img_w]
            size = tuple(meta['ori_shape'][:2]) if rescale else None
            # one class plane resized at a time: never K full-size planes at once
            results.append(PixelData(sem_seg=resized_argmax(logits, size)))
        return results

    def predict(self,
                feats: Sequence[Tensor],
                batch_img_metas: Sequence[dict],
                rescale: bool = True,
                part_probs: Optional[Tensor] = None,
                regions: Optional[Tensor] = None) -> List[PixelData]:
        """:meth:`forward` and :meth:`predict_by_feat`: the head on its own."""
        seg_logits = self(feats, batch_input_size(batch_img_metas), part_probs, regions)
        return self.predict_by_feat(seg_logits, batch_img_metas, rescale)
