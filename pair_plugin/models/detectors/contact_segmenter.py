"""A standalone contact model: backbone (+ neck) → a contact head, no interactions."""
from typing import Dict, Optional, Sequence, Tuple

from mmdet.models.detectors import BaseDetector
from torch import Tensor

from pair_plugin.registry import MODELS


def contact_part_scores(seg_logits: Tensor, img_shape: Tuple[int, int]) -> Tensor:
    """Each part's largest probability in S over the image (the padding left out).

    The part scores of a model without CPAM, as :meth:`PaIRNet.postprocess` computes
    them then.

    Args:
        seg_logits (Tensor): S of one image, (num_parts + 1, H, W) logits.
        img_shape (tuple[int, int]): (h, w) of the image inside the padded input.

    Returns:
        Tensor: (num_parts,) float32 in [0, 1].
    """
    img_h, img_w = img_shape[:2]
    probs = seg_logits[:, :img_h, :img_w].float().softmax(0)
    return probs[1:].flatten(1).amax(dim=1)


@MODELS.register_module()
class ContactSegmenter(BaseDetector):
    """A contact segmenter on its own: the second half of the paper's two-model rows
    (Tables 1-2, "DisTrans + UNet").

    As :class:`PaIRNet` without the interaction branch: the backbone (and optional neck)
    gives the feature levels; the contact head (any :class:`BaseContactHead` that needs
    neither CPAM's part priors nor the H-O RoI Enhancer's boxes, since this model has
    neither) reads the levels its ``in_index`` names and owns its loss
    (:meth:`BaseContactHead.loss`, the cross-entropy on S with 255 ignored) and its
    contact maps (:meth:`BaseContactHead.predict_by_feat`). Predictions fill
    ``pred_sem_seg`` and ``pred_parts`` (each part's largest probability in S, as PaIR-Net
    without CPAM) and no ``pred_hois``: ``ContactMetric`` scores them as PaIR-Net's,
    ``HOIMetric`` says in one log line that there are no triplets, and the predictions
    file has ``"hois": []``.

    Args:
        backbone (dict): any backbone of the mmdet / mmseg / mmpretrain registries; its
            ``out_indices`` give the levels.
        contact_head (dict): the contact head, e.g. ``dict(type='UNetContactHead',
            in_channels=(256, 512, 1024, 2048), in_index=(0, 1, 2, 3))``.
        neck (dict, optional): e.g. mmdet's ``ChannelMapper``.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` with
            ``pad_seg=True, seg_pad_value=255`` so that images and contact maps are padded
            alike.
        init_cfg (dict, optional): mmengine init config.

    Raises:
        ValueError: the head is missing, or it takes CPAM's part priors or the H-O RoI
            Enhancer (e.g. PGCS with ``body_attention`` or ``roi_enhancer`` set).
    """

    def __init__(self,
                 backbone: dict,
                 contact_head: dict,
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not contact_head:
            raise ValueError("ContactSegmenter: model.contact_head is missing (e.g. "
                             "dict(type='UNetContactHead', in_channels=(256, 512, 1024, 2048), "
                             'in_index=(0, 1, 2, 3)))')
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.contact_head = MODELS.build(contact_head)
        name = type(self.contact_head).__name__
        if self.contact_head.uses_part_priors:
            raise ValueError(f"ContactSegmenter: {name} takes CPAM's part priors, which a "
                             'contact-only model does not have (PGCS: set '
                             'model.contact_head.body_attention=None)')
        if self.contact_head.uses_roi_enhancer:
            raise ValueError(f'ContactSegmenter: {name} takes the H-O RoI Enhancer, which '
                             'needs the human and object boxes of an interaction head (PGCS: '
                             'set model.contact_head.roi_enhancer=None)')

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """The feature levels of the backbone (or of the neck).

        Args:
            batch_inputs (Tensor): (B, 3, H, W).

        Returns:
            tuple[Tensor]: (B, C_i, h_i, w_i) per level.
        """
        feats = self.backbone(batch_inputs)
        if self.with_neck:
            feats = self.neck(feats)
        if isinstance(feats, Tensor):
            feats = (feats, )
        return tuple(feats)

    def loss(self, batch_inputs: Tensor, batch_data_samples: Sequence) -> Dict[str, Tensor]:
        """The contact head's loss.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ``gt_sem_seg`` padded as the
                inputs (unannotated images count as all ignored), ``batch_input_shape``.

        Returns:
            dict[str, Tensor]: ``loss_contact_seg`` (no weighting: there is no second
            task to balance).
        """
        return self.contact_head.loss(self.extract_feat(batch_inputs), batch_data_samples)

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: Sequence,
                rescale: bool = True) -> Sequence:
        """The contact map and the part scores of each image.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ``img_shape``, and with
                ``rescale`` ``ori_shape``.
            rescale (bool): resize the maps to the original image size.

        Returns:
            list[PaIRDataSample]: the inputs with ``pred_sem_seg.sem_seg`` (1, H0, W0)
            uint8 (0 none, 1..17 part) and ``pred_parts`` (17,) float32.
        """
        seg_logits = self._forward(batch_inputs)[0]
        metas = [sample.metainfo for sample in batch_data_samples]
        contact_maps = self.contact_head.predict_by_feat(seg_logits, metas, rescale)
        for img_id, (sample, meta) in enumerate(zip(batch_data_samples, metas)):
            sample.pred_sem_seg = contact_maps[img_id]
            sample.pred_parts = contact_part_scores(seg_logits[img_id], meta['img_shape'])
        return batch_data_samples

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: Optional[Sequence] = None) -> Tuple[Tensor]:
        """Raw outputs (tensor mode): ``(S,)``, S (B, num_parts + 1, H, W) logits at
        the padded input's size."""
        feats = self.extract_feat(batch_inputs)
        return (self.contact_head(feats, tuple(batch_inputs.shape[-2:])), )
