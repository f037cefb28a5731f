"""PaIR-Net (Fig. 2): backbone (+ neck) → CPAM, interaction head, contact head, Mask-Guided
RoI Feature."""
import logging
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import BaseDetector
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from torch import Tensor

from pair_plugin.registry import MODELS

#: state-dict prefixes of checkpoints saved before the head interfaces (version 1), and now
RENAMED_PREFIXES = (('pgcs.', 'contact_head.'), ('iim_head.', 'interaction_head.'),
                    ('iim.', 'interaction_head.transformer.'))
#: the components that read F_B, whose config states its channels (``in_channels``)
FEATURE_READERS = ('cpam', 'interaction_head', 'contact_head', 'mask_guided_feature')


@MODELS.register_module()
class PaIRNet(BaseDetector):
    """PaIR-Net: what interaction happens and where the body touches, in one network.

    As mmdet's DETR family, the detector orchestrates and its components own their
    concepts: ``cpam`` (part logits and their loss), ``interaction_head`` (a
    :class:`BaseInteractionHead`, the IIM in the paper: F_B → pairs, actions, their
    matching, loss and triplets), ``contact_head`` (a :class:`BaseContactHead`, PGCS in the
    paper: the backbone's levels → the contact map S, its loss and prediction) and
    ``mask_guided_feature`` (F_M). Order of computation (:meth:`forward_heads`): feature
    levels (the last one F_B) → CPAM → interaction head (boxes and object classes) →
    contact head (the H-O RoI Enhancer needs the boxes, Body Attention CPAM's L) →
    Mask-Guided RoI Feature (needs S) → the interaction head's actions from [D_a; F_M].

    Loss (Eq. 18): ``α·L_match + β·(L_BCE + L_CE)``: every term of the interaction head
    (all stages) is multiplied by ``match_loss_weight`` (α), those of the contact head and
    CPAM by ``contact_loss_weight`` (β); the logged values are the weighted ones.

    Args:
        backbone (dict): any backbone of the mmdet / mmseg / mmpretrain registries
            (``type='mmpretrain.ConvNeXt'``, with ``_scope_`` for its sub-modules where
            needed); its outputs are the feature levels (its ``out_indices``), the last
            one F_B.
        neck (dict, optional): e.g. mmdet's ``ChannelMapper``; its last output is F_B.
        cpam (dict, optional): CPAM; None switches it off (Table 3's baseline).
        interaction_head (dict): the interaction head (``type='IIMHead'``, the paper's).
        contact_head (dict): the contact head (``type='PGCS'``, the paper's); it reads
            the levels its ``in_index`` names.
        mask_guided_feature (dict, optional): Mask-Guided RoI Feature; None switches it
            off (Table 3's rows before +M-G).
        match_loss_weight (float): α. Defaults to 0.1.
        contact_loss_weight (float): β. Defaults to 0.5.
        channels_last (bool): hand the backbone the batch in ``channels_last`` memory
            layout (NHWC), which torch's convolutions then keep; the parameters keep theirs
            and the outputs are the same up to float rounding. Defaults to False.
        train_cfg (dict, optional): ``assigner``, handed to the interaction head.
        test_cfg (dict, optional): ``max_per_img`` (top-K triplets), handed to the
            interaction head.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` with
            ``pad_seg=True, seg_pad_value=255`` so that images and contact maps are padded
            alike.
        init_cfg (dict, optional): mmengine init config.
        iim, iim_head, pgcs (dict, optional): the keys of configs written before the head
            interfaces (the IIM transformer, its branches, PGCS); they still load, merged
            into ``interaction_head.transformer``, ``interaction_head`` and
            ``contact_head``.
        feat_channels (int, optional): for configs written before ``in_channels``: fills
            the ``in_channels`` of every component above that lacks it.

    Every component that reads F_B states its channels (``in_channels``), as mmdet's
    configs do; a missing one is an error that names the key.
    """

    #: version 2: ``interaction_head`` and ``contact_head`` (``iim``, ``iim_head`` and
    #: ``pgcs`` before); older checkpoints are renamed on load (:meth:`_load_from_state_dict`)
    _version = 2

    #: the outputs of :meth:`forward_heads` that hold every decoder stage
    STAGE_OUTPUTS = ('human_boxes', 'object_boxes', 'object_logits', 'action_logits')

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 cpam: Optional[dict] = dict(type='CPAM'),
                 interaction_head: Optional[dict] = None,
                 contact_head: Optional[dict] = None,
                 mask_guided_feature: Optional[dict] = dict(type='MaskGuidedRoIFeature'),
                 match_loss_weight: float = 0.1,
                 contact_loss_weight: float = 0.5,
                 channels_last: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 iim: Optional[dict] = None,
                 iim_head: Optional[dict] = None,
                 pgcs: Optional[dict] = None,
                 feat_channels: Optional[int] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        interaction_head, contact_head = self._legacy_heads(interaction_head, contact_head, iim,
                                                            iim_head, pgcs)
        components = self._with_in_channels(
            dict(
                cpam=cpam,
                interaction_head=interaction_head,
                contact_head=contact_head,
                mask_guided_feature=mask_guided_feature), feat_channels)
        self.match_loss_weight = match_loss_weight
        self.contact_loss_weight = contact_loss_weight
        self.channels_last = channels_last

        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)

        self.cpam = MODELS.build(components['cpam']) if cpam else None
        self.contact_head = MODELS.build(components['contact_head'])
        if self.contact_head.uses_part_priors and self.cpam is None:
            raise ValueError(f'PaIRNet: {type(self.contact_head).__name__} uses the part '
                             'priors of CPAM (PGCS: Body Attention needs CPAM); set '
                             'model.contact_head.body_attention=None when model.cpam is None')
        self.mask_guided_feature = MODELS.build(components['mask_guided_feature']) \
            if mask_guided_feature else None
        interaction_head = components['interaction_head']
        if self.mask_guided_feature is not None:
            head_type = interaction_head['type']
            head_cls = head_type if isinstance(head_type, type) else MODELS.get(head_type)
            if head_cls is not None and not getattr(head_cls, 'takes_mask_feats', True):
                raise ValueError(f"PaIRNet: {head_cls.__name__}'s action classifier cannot "
                                 'take F_M; set model.mask_guided_feature=None')
            interaction_head['mask_feat_channels'] = self.mask_guided_feature.out_channels
        if train_cfg is not None:
            interaction_head['train_cfg'] = train_cfg
        if test_cfg is not None:
            interaction_head['test_cfg'] = test_cfg
        self.interaction_head = MODELS.build(interaction_head)

    @staticmethod
    def _legacy_heads(interaction_head: Optional[dict], contact_head: Optional[dict],
                      iim: Optional[dict], iim_head: Optional[dict],
                      pgcs: Optional[dict]) -> Tuple[dict, dict]:
        """The heads' configs, with the keys of older configs merged into them.

        A config written before the head interfaces names the IIM transformer ``iim``, its
        branches ``iim_head`` and the contact head ``pgcs``; they are merged onto
        ``interaction_head.transformer``, ``interaction_head`` and ``contact_head`` (so an
        old config inheriting a new base config overrides the base's heads), with one log
        line.
        """
        legacy = [
            key for key, value in (('iim', iim), ('iim_head', iim_head), ('pgcs', pgcs))
            if value is not None
        ]
        if legacy:
            print_log(
                f'PaIRNet: the config keys {", ".join("model." + k for k in legacy)} are now '
                'model.interaction_head (iim_head; iim as its transformer) and '
                'model.contact_head (pgcs), and were merged into them; rename them in the '
                'config',
                logger='current',
                level=logging.WARNING)
        if iim is not None or iim_head is not None:
            merged = ConfigDict(interaction_head or dict(type='IIMHead'))
            merged.merge(iim_head or {})
            if iim is not None:
                transformer = ConfigDict(merged.get('transformer') or dict(type='IIM'))
                transformer.merge(iim)
                merged['transformer'] = transformer
            interaction_head = merged.to_dict()
        if pgcs is not None:
            merged = ConfigDict(contact_head or dict(type='PGCS'))
            merged.merge(pgcs)
            contact_head = merged.to_dict()
        for key, value, example in (('interaction_head', interaction_head, 'IIMHead'),
                                    ('contact_head', contact_head, 'PGCS')):
            if not value:
                raise ValueError(f'PaIRNet: model.{key} is missing (the paper\'s: '
                                 f"dict(type='{example}', in_channels=2048, ...))")
        return interaction_head, contact_head

    @staticmethod
    def _with_in_channels(components: Dict[str, Optional[dict]],
                          feat_channels: Optional[int]) -> Dict[str, Optional[dict]]:
        """Copies of the components' configs, checked to state ``in_channels`` (filled in
        from ``feat_channels`` where given).

        Raises:
            ValueError: a component's config has no ``in_channels`` (names the key).
        """
        out = dict()
        for key, cfg in components.items():
            if not cfg:
                out[key] = None
                continue
            cfg = dict(cfg)
            if cfg.get('in_channels') is None:
                if feat_channels is None:
                    raise ValueError(
                        f'PaIRNet: model.{key}.in_channels is missing: state the channels of '
                        'the feature level it reads (F_B, the last output of the backbone or '
                        'neck: 2048 for ResNet-50, 768 for Swin-S), as mmdet configs do '
                        '(a config written before in_channels: model.feat_channels=C fills '
                        'them all)')
                cfg['in_channels'] = feat_channels
            out[key] = cfg
        return out

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, *args,
                              **kwargs) -> None:
        """Rename the keys of checkpoints saved before version 2 (``pgcs.`` →
        ``contact_head.``, ``iim_head.`` → ``interaction_head.``, ``iim.`` →
        ``interaction_head.transformer.``), as mmdet renames those of its older heads."""
        version = local_metadata.get('version', None)
        if version is None or version < self._version:
            renamed = 0
            for key in list(state_dict):
                for old, new in RENAMED_PREFIXES:
                    if key.startswith(prefix + old):
                        state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)
                        renamed += 1
                        break
            if renamed:
                print_log(
                    f'PaIRNet: {renamed} checkpoint keys of an older version renamed (' +
                    ', '.join(f'{old} -> {new}' for old, new in RENAMED_PREFIXES) + ')',
                    logger='current',
                    level=logging.INFO)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args, **kwargs)

    # ------------------------------------------------------------------- forward
    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """The feature levels of the backbone (or of the neck); the last one is F_B.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).

        Returns:
            tuple[Tensor]: (B, C_i, h_i, w_i) per level (the backbone's ``out_indices``).
        """
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(memory_format=torch.channels_last)
        feats = self.backbone(batch_inputs)
        if self.with_neck:
            feats = self.neck(feats)
        if isinstance(feats, Tensor):
            feats = (feats, )
        return tuple(feats)

    @staticmethod
    def padding_mask(img_sizes: Tensor, input_size: Tuple[int, int],
                     feat_size: Tuple[int, int]) -> Tensor:
        """The cells of F_B that lie in the padding, as mmdet's DETR finds them.

        A cell is padding when the input pixel that a nearest-neighbour resize of the
        input to F_B's size samples for it lies outside the image.

        Args:
            img_sizes (Tensor): (B, 2) (h, w) of each image in input pixels.
            input_size (tuple[int, int]): (H, W) of the padded input.
            feat_size (tuple[int, int]): (h, w) of F_B.

        Returns:
            Tensor: (B, h, w) bool, True on padding.
        """
        h, w = feat_size
        rows = torch.arange(h, device=img_sizes.device) * input_size[0] // h
        cols = torch.arange(w, device=img_sizes.device) * input_size[1] // w
        return (rows[None, :, None] >= img_sizes[:, 0, None, None]) | (
            cols[None, None, :] >= img_sizes[:, 1, None, None])

    def forward_heads(self,
                      batch_inputs: Tensor,
                      img_sizes: Tensor,
                      padded: bool = True,
                      batch_data_samples: Optional[Sequence] = None) -> Dict[str, Tensor]:
        """Every branch, in the paper's order.

        Only tensor operations on ``batch_inputs`` and ``img_sizes``: the same code runs in
        eager PyTorch and exported to ONNX.

        Args:
            batch_inputs (Tensor): (B, 3, H, W) padded inputs.
            img_sizes (Tensor): (B, 2) int64 (h, w) of each image in input pixels.
            padded (bool): whether any image is smaller than the input (then the
                interaction head masks the padding, as mmdet's DETR).
            batch_data_samples (list[PaIRDataSample], optional): the ground truth, in
                training (the enhancer and the Mask-Guided RoI Feature may use it).

        Returns:
            dict[str, Tensor]: with S stages, Q queries, A actions, K = 18 classes:
            ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised cxcywh,
            ``object_logits`` (S, B, Q, 81), ``action_logits`` (S, B, Q, A),
            ``seg_logits`` S (B, K, H, W), and ``part_logits`` (B, 17) when CPAM is on.
        """
        feats = self.extract_feat(batch_inputs)
        feat = feats[-1]  # F_B
        input_size = tuple(batch_inputs.shape[-2:])
        part_logits = self.cpam(feat) if self.cpam is not None else None

        padding_mask = self.padding_mask(img_sizes, input_size, feat.shape[-2:]) if padded else None
        if self.interaction_head.forward_takes_gt:  # STIP: ground-truth pairs as proposals
            pairs = self.interaction_head(feat, padding_mask, batch_data_samples=batch_data_samples)
        else:
            pairs = self.interaction_head(feat, padding_mask)

        contact_inputs = dict()
        if self.contact_head.uses_roi_enhancer:
            contact_inputs['regions'] = self.contact_head.interaction_regions(
                img_sizes, *self.interaction_head.interaction_pairs(pairs), batch_data_samples)
        if self.contact_head.uses_part_priors:
            contact_inputs['part_probs'] = part_logits.sigmoid()
        seg_logits = self.contact_head(feats, input_size, **contact_inputs)

        mask_feats = None
        if self.mask_guided_feature is not None:
            mask_feats = self.mask_guided_feature(feat, seg_logits, img_sizes, batch_data_samples)
        outs = dict(
            human_boxes=pairs['human_boxes'],
            object_boxes=pairs['object_boxes'],
            object_logits=pairs['object_logits'],
            action_logits=self.interaction_head.forward_actions(pairs, mask_feats),
            seg_logits=seg_logits)
        # the head's other outputs (STIP's instances and proposals), for its loss_by_feat
        outs.update({k: v for k, v in pairs.items() if k not in outs and k != 'action_feats'})
        if part_logits is not None:
            outs['part_logits'] = part_logits
        return outs

    @staticmethod
    def img_sizes(batch_inputs: Tensor,
                  batch_data_samples: Optional[Sequence]) -> Tuple[Tensor, bool]:
        """(B, 2) (h, w) of each image from its ``img_shape``, and whether any is padded.

        Without data samples every image fills the whole input.
        """
        input_size = tuple(batch_inputs.shape[-2:])
        if batch_data_samples is None:
            sizes = [input_size] * batch_inputs.size(0)
        else:
            sizes = [tuple(s.metainfo.get('img_shape', input_size)[:2]) for s in batch_data_samples]
        padded = any(size != input_size for size in sizes)
        return torch.tensor(sizes, device=batch_inputs.device), padded

    # ----------------------------------------------------------------- modes
    def loss(self, batch_inputs: Tensor, batch_data_samples: Sequence) -> dict:
        """Losses of a batch (Eq. 18).

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): ground truth as
                ``docs/contracts.md``.

        Returns:
            dict[str, Tensor]: the interaction head's losses (IIMHead: ``loss_obj_cls``,
            ``loss_action``, ``loss_sub_bbox``, ``loss_obj_bbox``, ``loss_sub_iou``,
            ``loss_obj_iou``, and ``d{i}.`` for the earlier stages), each × α; the contact
            head's (``loss_contact_seg``) and CPAM's ``loss_parts`` × β.
        """
        img_sizes, padded = self.img_sizes(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, img_sizes, padded, batch_data_samples)
        losses = self.interaction_head.loss_by_feat(outs, batch_data_samples, img_sizes)
        losses = {key: value * self.match_loss_weight for key, value in losses.items()}
        contact_losses = self.contact_head.loss_by_feat(outs['seg_logits'], batch_data_samples)
        losses.update({
            key: value * self.contact_loss_weight
            for key, value in contact_losses.items()
        })
        if self.cpam is not None:
            losses['loss_parts'] = self.contact_loss_weight * self.cpam.loss(
                outs['part_logits'], batch_data_samples)
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: Sequence,
                rescale: bool = True) -> Sequence:
        """Triplets, contact map and part probabilities of each image.

        Args:
            batch_inputs (Tensor): (B, 3, H, W).
            batch_data_samples (list[PaIRDataSample]): with ``img_shape``, and with
                ``rescale`` ``scale_factor`` and ``ori_shape``.
            rescale (bool): map boxes and maps to the original image size.

        Returns:
            list[PaIRDataSample]: the inputs with the predictions of :meth:`postprocess`.
        """
        img_sizes, padded = self.img_sizes(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, img_sizes, padded)
        last = {
            key: value[-1] if key in self.STAGE_OUTPUTS else value
            for key, value in outs.items()
        }
        return self.postprocess(last, batch_data_samples, rescale)

    def postprocess(self,
                    outs: Dict[str, Tensor],
                    batch_data_samples: Sequence,
                    rescale: bool = True) -> Sequence:
        """Predictions of each image from the raw outputs of the last stage.

        The one post-processing of PaIR-Net, whether the outputs come from PyTorch or from
        an exported graph.

        Args:
            outs (dict[str, Tensor]): ``human_boxes``, ``object_boxes`` (B, Q, 4),
                ``object_logits`` (B, Q, 81), ``action_logits`` (B, Q, A), ``seg_logits``
                (B, 18, H', W') and, with CPAM, ``part_logits`` (B, 17).
            batch_data_samples (list[PaIRDataSample]): ``img_shape``, and with
                ``rescale`` ``scale_factor`` and ``ori_shape``.
            rescale (bool): map boxes and maps to the original image size.

        Returns:
            list[PaIRDataSample]: the inputs with ``pred_hois`` (top-K triplets, see
            :meth:`BaseInteractionHead.predict_by_feat`), ``pred_sem_seg.sem_seg`` (1, H0, W0)
            uint8 and ``pred_parts`` (17,) float32 part probabilities (CPAM's; without
            CPAM each part's largest probability in S over the image).
        """
        metas = [sample.metainfo for sample in batch_data_samples]
        triplets = self.interaction_head.predict_by_feat(outs, metas, rescale)
        contact_maps = self.contact_head.predict_by_feat(outs['seg_logits'], metas, rescale)
        for img_id, (sample, meta) in enumerate(zip(batch_data_samples, metas)):
            sample.pred_hois = triplets[img_id]
            sample.pred_sem_seg = contact_maps[img_id]
            if 'part_logits' in outs:
                sample.pred_parts = outs['part_logits'][img_id].float().sigmoid()
            else:
                img_h, img_w = meta['img_shape'][:2]
                probs = outs['seg_logits'][img_id, :, :img_h, :img_w].float().softmax(0)
                sample.pred_parts = probs[1:].flatten(1).amax(dim=1)
        return batch_data_samples

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: Optional[Sequence] = None) -> Tuple[Tensor, ...]:
        """Raw outputs (tensor mode), no post-processing.

        Returns:
            tuple[Tensor]: the outputs of :meth:`forward_heads`, in its order.
        """
        img_sizes, padded = self.img_sizes(batch_inputs, batch_data_samples)
        return tuple(self.forward_heads(batch_inputs, img_sizes, padded).values())
