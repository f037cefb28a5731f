"""PaIR-Net (Fig. 2): backbone (+ neck) → CPAM, IIM, PGCS, Mask-Guided RoI Feature."""
import logging
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import BaseDetector
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from torch import Tensor

from pair_plugin.registry import MODELS

#: state-dict prefixes of checkpoints saved before the contact head interface (version 1)
RENAMED_PREFIXES = (('pgcs.', 'contact_head.'), )


@MODELS.register_module()
class PaIRNet(BaseDetector):
    """PaIR-Net: what interaction happens (IIM) and where the body touches (PGCS).

    As mmdet's DETR family, the detector orchestrates and its components own their
    concepts: ``cpam`` (part logits and their loss), ``iim`` (the interaction transformer),
    ``iim_head`` (boxes, object classes, actions, their loss and the triplets),
    ``contact_head`` (a :class:`BaseContactHead`, PGCS in the paper: the contact map S from
    the backbone's levels, with the H-O RoI Enhancer and Body Attention, its loss and
    prediction) and ``mask_guided_feature`` (F_M). Order of computation
    (:meth:`forward_heads`): F_B → CPAM → IIM → boxes and object classes → contact head (the
    enhancer needs the boxes, Body Attention CPAM's L) → Mask-Guided RoI Feature (needs S) →
    actions from [D_a; F_M].

    Loss (Eq. 18): ``α·L_match + β·(L_BCE + L_CE)``: every IIM term (all stages) is
    multiplied by ``match_loss_weight`` (α), the part and segmentation losses by
    ``contact_loss_weight`` (β); the logged values are the weighted ones.

    Args:
        backbone (dict): any backbone of the mmdet / mmseg / mmpretrain registries
            (``type='mmpretrain.ConvNeXt'``, with ``_scope_`` for its sub-modules where
            needed); its outputs are the feature levels, the last one F_B.
        neck (dict, optional): e.g. mmdet's ``ChannelMapper``; its last output is F_B.
        cpam (dict, optional): CPAM; None switches it off (Table 3's baseline).
        contact_head (dict): the contact head (``type='PGCS'``, the paper's); it reads
            the levels its ``in_index`` names.
        iim (dict): the IIM transformer.
        iim_head (dict): the IIM head.
        mask_guided_feature (dict, optional): Mask-Guided RoI Feature; None switches it
            off (Table 3's rows before +M-G).
        feat_channels (int, optional): channels C of F_B; inferred from a dry run of the
            backbone (and neck) on a small image when None.
        match_loss_weight (float): α. Defaults to 0.1.
        contact_loss_weight (float): β. Defaults to 0.5.
        channels_last (bool): hand the backbone the batch in ``channels_last`` memory
            layout (NHWC), which torch's convolutions then keep; the parameters keep theirs
            and the outputs are the same up to float rounding. Defaults to False.
        train_cfg (dict, optional): ``assigner``, handed to the IIM head.
        test_cfg (dict, optional): ``max_per_img`` (top-K triplets), handed to the IIM
            head.
        data_preprocessor (dict, optional): mmdet's ``DetDataPreprocessor`` with
            ``pad_seg=True, seg_pad_value=255`` so that images and contact maps are padded
            alike.
        init_cfg (dict, optional): mmengine init config.
        pgcs (dict, optional): ``contact_head`` under its name before the contact head
            interface; configs that use it still load (merged into ``contact_head``).
    """

    #: version 2 names the contact head ``contact_head`` (``pgcs`` before); older
    #: checkpoints are renamed on load (:meth:`_load_from_state_dict`)
    _version = 2

    #: the outputs of :meth:`forward_heads` that hold every decoder stage
    STAGE_OUTPUTS = ('human_boxes', 'object_boxes', 'object_logits', 'action_logits')

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 cpam: Optional[dict] = dict(type='CPAM'),
                 contact_head: Optional[dict] = None,
                 iim: dict = dict(type='IIM'),
                 iim_head: dict = dict(type='IIMHead'),
                 mask_guided_feature: Optional[dict] = dict(type='MaskGuidedRoIFeature'),
                 feat_channels: Optional[int] = None,
                 match_loss_weight: float = 0.1,
                 contact_loss_weight: float = 0.5,
                 channels_last: bool = False,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 pgcs: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        contact_head = self._legacy_contact_head(contact_head, pgcs)
        self.match_loss_weight = match_loss_weight
        self.contact_loss_weight = contact_loss_weight
        self.channels_last = channels_last

        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.feat_channels = feat_channels or self._infer_feat_channels()
        channels = self.feat_channels

        self.cpam = MODELS.build(dict(cpam, in_channels=channels)) if cpam else None
        self.contact_head = MODELS.build(dict(contact_head, in_channels=channels))
        if self.contact_head.uses_part_priors and self.cpam is None:
            raise ValueError(f'PaIRNet: {type(self.contact_head).__name__} uses the part '
                             'priors of CPAM (PGCS: Body Attention needs CPAM); set '
                             'model.contact_head.body_attention=None when model.cpam is None')
        self.mask_guided_feature = MODELS.build(
            dict(mask_guided_feature, in_channels=channels)) \
            if mask_guided_feature else None
        self.iim = MODELS.build(dict(iim, in_channels=channels))
        iim_head = dict(
            iim_head,
            embed_dims=self.iim.embed_dims,
            mask_feat_channels=self.mask_guided_feature.out_channels
            if self.mask_guided_feature else 0)
        if train_cfg is not None:
            iim_head['train_cfg'] = train_cfg
        if test_cfg is not None:
            iim_head['test_cfg'] = test_cfg
        self.iim_head = MODELS.build(iim_head)

    @staticmethod
    def _legacy_contact_head(contact_head: Optional[dict], pgcs: Optional[dict]) -> dict:
        """``contact_head``, with the config key ``pgcs`` of older configs merged into it.

        A config written before the contact head interface names the head ``pgcs``; it is
        merged onto ``contact_head`` (so an old config inheriting a new base config
        overrides the base's head), with one log line.
        """
        if pgcs is not None:
            print_log(
                'PaIRNet: the config key model.pgcs is now model.contact_head '
                '(merged into it); rename it in the config',
                logger='current',
                level=logging.WARNING)
            merged = ConfigDict(contact_head or {})
            merged.merge(pgcs)
            contact_head = merged.to_dict()
        if not contact_head:
            raise ValueError("PaIRNet: model.contact_head is missing (e.g. dict(type='PGCS', "
                             'in_channels=2048))')
        return contact_head

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, *args,
                              **kwargs) -> None:
        """Rename the keys of checkpoints saved before version 2 (``pgcs.`` →
        ``contact_head.``), as mmdet renames those of its older heads."""
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

    def _infer_feat_channels(self) -> int:
        """Channels of F_B from a dry run of the backbone (and neck) on a small image."""
        param = next(self.backbone.parameters(), None)
        device = param.device if param is not None else torch.device('cpu')
        modules = [self.backbone] + ([self.neck] if self.with_neck else [])
        modes = [m.training for m in modules]
        errors = []
        try:
            for m in modules:
                m.eval()
            for size in (64, 224):
                try:
                    with torch.no_grad():
                        feats = self.extract_feat(torch.zeros(1, 3, size, size, device=device))
                    return int(feats[-1].shape[1])
                except Exception as err:  # a backbone may refuse tiny inputs
                    errors.append(f'{size}x{size}: {err}')
        finally:
            for m, mode in zip(modules, modes):
                m.train(mode)
        raise ValueError('PaIRNet: could not infer the channels of the backbone output '
                         f'by a dry run ({"; ".join(errors)}); set model.feat_channels')

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
            padded (bool): whether any image is smaller than the input (then the IIM
                masks the padding, as mmdet's DETR).
            batch_data_samples (list[PaIRDataSample], optional): the ground truth, in
                training (the enhancer and the Mask-Guided RoI Feature may use it).

        Returns:
            dict[str, Tensor]: with S stages, Q queries, A actions, K = 18 classes:
            ``human_boxes``, ``object_boxes`` (S, B, Q, 4) normalised cxcywh,
            ``object_logits`` (S, B, Q, 81), ``action_logits`` (S, B, Q, A),
            ``seg_logits`` S (B, K, H', W') (the input size for F_B at stride 32), and
            ``part_logits`` (B, 17) when CPAM is on.
        """
        feats = self.extract_feat(batch_inputs)
        feat = feats[-1]  # F_B
        input_size = tuple(batch_inputs.shape[-2:])
        part_logits = self.cpam(feat) if self.cpam is not None else None

        padding_mask = self.padding_mask(img_sizes, input_size, feat.shape[-2:]) if padded else None
        human_feats, object_feats, action_feats = self.iim(feat, padding_mask)
        human_boxes, object_boxes, object_logits = self.iim_head.forward_instances(
            human_feats, object_feats)

        contact_inputs = dict()
        if self.contact_head.uses_roi_enhancer:
            # the last stage's pairs of the first query group (the ones inference keeps)
            first = slice(0, self.iim.num_queries)
            object_scores, _ = self.iim_head.object_scores(object_logits[-1, :, first].detach())
            contact_inputs['regions'] = self.contact_head.interaction_regions(
                img_sizes, human_boxes[-1, :, first].detach(), object_boxes[-1, :, first].detach(),
                object_scores, batch_data_samples)
        if self.contact_head.uses_part_priors:
            contact_inputs['part_probs'] = part_logits.sigmoid()
        seg_logits = self.contact_head(feats, input_size, **contact_inputs)

        mask_feats = None
        if self.mask_guided_feature is not None:
            mask_feats = self.mask_guided_feature(feat, seg_logits, img_sizes, batch_data_samples)
        outs = dict(
            human_boxes=human_boxes,
            object_boxes=object_boxes,
            object_logits=object_logits,
            action_logits=self.iim_head.forward_actions(action_feats, mask_feats),
            seg_logits=seg_logits)
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
            dict[str, Tensor]: ``loss_obj_cls``, ``loss_action``, ``loss_sub_bbox``,
            ``loss_obj_bbox``, ``loss_sub_iou``, ``loss_obj_iou`` (and ``d{i}.`` for the
            earlier stages), each × α; ``loss_contact_seg`` and ``loss_parts`` × β.
        """
        img_sizes, padded = self.img_sizes(batch_inputs, batch_data_samples)
        outs = self.forward_heads(batch_inputs, img_sizes, padded, batch_data_samples)
        num_groups = outs['action_logits'].size(2) // self.iim.num_queries
        losses = self.iim_head.loss_by_feat(outs['human_boxes'], outs['object_boxes'],
                                            outs['object_logits'], outs['action_logits'],
                                            self.iim_head.get_targets(batch_data_samples),
                                            img_sizes, num_groups)
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
            list[PaIRDataSample]: the inputs with ``pred_hois`` (top-K triplets,
            see :meth:`IIMHead.predict_by_feat`), ``pred_sem_seg.sem_seg`` (1, H0, W0)
            int64 and ``pred_parts`` (17,) float32 part probabilities (CPAM's; without
            CPAM each part's largest probability in S over the image).
        """
        metas = [sample.metainfo for sample in batch_data_samples]
        triplets = self.iim_head.predict_by_feat(outs['human_boxes'], outs['object_boxes'],
                                                 outs['object_logits'], outs['action_logits'],
                                                 metas, rescale)
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
