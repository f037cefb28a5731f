"""RCLTrans (PaIR-Net's Tables 1, 2, 5): MUREN as an interaction head."""
from pair_plugin.registry import MODELS
from .iim_head import IIMHead


@MODELS.register_module()
class MURENHead(IIMHead):
    """MUREN (Kim, Jung & Cho, "Relational Context Learning for Human-Object Interaction
    Detection", CVPR 2023; code OreoChocolate/MUREN) as an interaction head.

    ``transformer`` (:class:`MURENTransformer`) gives the human, object and interaction
    branch features of every stage; the branches are MUREN's, which are those of
    :class:`IIMHead`: a 3-layer MLP (FFN of ``num_reg_fcs`` layers + a linear layer,
    sigmoid) per box from the human and the object features, a linear object classifier
    (``num_object_classes`` + no-object) on the object features and a linear action
    classifier on the interaction branch's features, here ``[interaction features;
    F_M]`` (Eq. 15) inside PaIR-Net. ``action_feats`` are the interaction branch's
    features. The set-prediction loss and the triplets are the base's (MUREN's are CDN's:
    the same terms and matching costs).

    Args:
        in_channels (int): channels C of F_B.
        transformer (dict): the MUREN transformer (``type='MURENTransformer'``; its
            ``in_channels`` is filled in).
        num_object_classes (int): object classes (80 for COCO's).
        num_actions (int): action (verb) classes A.
        mask_feat_channels (int): length of F_M concatenated to the interaction features
            before the action classifier (0 without the Mask-Guided RoI Feature). Set by
            :class:`PaIRNet`.
        num_reg_fcs (int): FFN layers of the box branches. Defaults to 2 (MUREN's
            3-layer box MLP).
        **kwargs: the losses, ``train_cfg``, ``test_cfg`` and ``init_cfg`` of
            :class:`BaseInteractionHead`.
    """

    def __init__(self,
                 in_channels: int,
                 transformer: dict = dict(type='MURENTransformer'),
                 num_object_classes: int = 80,
                 num_actions: int = 117,
                 mask_feat_channels: int = 0,
                 num_reg_fcs: int = 2,
                 **kwargs):
        super().__init__(
            in_channels=in_channels,
            transformer=transformer,
            num_object_classes=num_object_classes,
            num_actions=num_actions,
            mask_feat_channels=mask_feat_channels,
            num_reg_fcs=num_reg_fcs,
            **kwargs)
