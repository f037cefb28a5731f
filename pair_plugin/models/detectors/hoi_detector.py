"""A standalone HOI detector: backbone (+ neck) → an interaction head, no contact."""
from typing import Dict, Optional, Sequence, Tuple

from mmdet.models.detectors import BaseDetector
from torch import Tensor

from pair_plugin.registry import MODELS
from .pairnet import PaIRNet


@MODELS.register_module()
class HOIDetector(BaseDetector):
    """An HOI detector on its own: the first half of the paper's two-model rows (Tables 1-2,
    "Trans + UNet").

    As mmdet's DETR detectors: the backbone (and optional neck) gives the feature levels,
    the last one F_B; the interaction head (any :class:`BaseInteractionHead`) owns its
    transformer, matching, loss (:meth:`BaseInteractionHead.loss`) and triplets
    (:meth:`BaseInteractionHead.predict`). There is no contact head, so no Mask-Guided
    RoI Feature: the action classifier reads the decoder's features alone. Predictions
    fill ``pred_hois`` only (no ``pred_sem_seg``, no ``pred_parts``): ``HOIMetric`` and
    the predictions file (``"contact_mask": null``) take them as they are.

    Args:
        backbone (dict): any backbone of the mmdet / mmseg / mmpretrain registries.
        interaction_head (dict): the interaction head; its ``in_channels`` are F_B's.
        neck (dict, optional): e.g. mmdet's ``ChannelMapper``; its last output is F_B.
        train_cfg (dict, optional): ``assigner``, handed to the interaction head.
        test_cfg (dict, optional): ``max_per_img`` (top-K triplets), handed to the
            interaction head.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 interaction_head: dict,
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not interaction_head:
            raise ValueError("HOIDetector: model.interaction_head is missing (e.g. "
                             "dict(type='QPICHead', in_channels=2048, ...))")
        interaction_head = dict(interaction_head)
        if interaction_head.get('in_channels') is None:
            raise ValueError('HOIDetector: model.interaction_head.in_channels is missing: state '
                             'the channels of F_B (the last output of the backbone or neck: '
                             '2048 for ResNet-50)')
        if interaction_head.get('mask_feat_channels'):
            raise ValueError('HOIDetector: model.interaction_head.mask_feat_channels must be 0: '
                             'a standalone HOI detector has no contact map, so no Mask-Guided '
                             'RoI Feature')
        if train_cfg is not None:
            interaction_head['train_cfg'] = train_cfg
        if test_cfg is not None:
            interaction_head['test_cfg'] = test_cfg
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.interaction_head = MODELS.build(interaction_head)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """The feature levels of the backbone (or of the neck); the last one is F_B.

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

    def _head_inputs(
            self, batch_inputs: Tensor,
            batch_data_samples: Optional[Sequence]) -> Tuple[Tensor, Optional[Tensor], Tensor]:
        """F_B, its padding mask (None when no image is padded) and the (B, 2) image
        sizes (h, w), as :class:`PaIRNet` finds them."""
        img_sizes, padded = PaIRNet.img_sizes(batch_inputs, batch_data_samples)
        feat = self.extract_feat(batch_inputs)[-1]
        padding_mask = PaIRNet.padding_mask(img_sizes, tuple(batch_inputs.shape[-2:]),
                                            feat.shape[-2:]) if padded else None
        return feat, padding_mask, img_sizes

    def loss(self, batch_inputs: Tensor, batch_data_samples: Sequence) -> Dict[str, Tensor]:
        """The interaction head's losses (every decoder stage; ``d{i}.`` the earlier ones).

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ``gt_instances``, ``gt_pairs``,
                ``img_shape``.

        Returns:
            dict[str, Tensor]: the head's losses, unweighted beyond the head's own
            loss weights (there is no second task to balance).
        """
        feat, padding_mask, img_sizes = self._head_inputs(batch_inputs, batch_data_samples)
        return self.interaction_head.loss(feat, padding_mask, batch_data_samples, img_sizes)

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: Sequence,
                rescale: bool = True) -> Sequence:
        """The top-K triplets of each image.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ``img_shape``, and with ``rescale``
                ``scale_factor`` and ``ori_shape``.
            rescale (bool): map the boxes to the original image size.

        Returns:
            list[PaIRDataSample]: the inputs with ``pred_hois`` (see
            :meth:`BaseInteractionHead.predict_by_feat`).
        """
        feat, padding_mask, _ = self._head_inputs(batch_inputs, batch_data_samples)
        triplets = self.interaction_head.predict(feat, padding_mask, batch_data_samples, rescale)
        for sample, result in zip(batch_data_samples, triplets):
            sample.pred_hois = result
        return batch_data_samples

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: Optional[Sequence] = None) -> Tuple[Tensor, ...]:
        """Raw outputs (tensor mode): the head's outputs of every stage, with
        ``action_logits``, in the order of its dict."""
        feat, padding_mask, _ = self._head_inputs(batch_inputs, batch_data_samples)
        outs = self.interaction_head(feat, padding_mask)
        outs['action_logits'] = self.interaction_head.forward_actions(outs)
        return tuple(outs.values())
