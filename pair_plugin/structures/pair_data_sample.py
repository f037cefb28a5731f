"""The data sample that carries one image's PaIR annotations and predictions."""
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor


class PaIRDataSample(DetDataSample):
    """A :class:`mmdet.structures.DetDataSample` with interaction and contact fields.

    Ground truth (``N`` instances, ``P`` interaction pairs, ``A`` action classes):

    - ``gt_instances`` (InstanceData): ``bboxes`` (N, 4) x1y1x2y2 in the coordinates of
      the (transformed) input image, ``labels`` (N,) object class ids (0 = person).
    - ``gt_pairs`` (InstanceData): ``subject_ids`` (P,) and ``object_ids`` (P,) index
      ``gt_instances``; ``actions`` (P, A) float multi-hot; ``contact_parts`` (P, 17)
      float multi-hot of the parts in contact within that pair.
    - ``gt_parts`` (Tensor): (17,) float multi-hot of the parts in contact anywhere in
      the image (CPAM's target).
    - ``gt_sem_seg`` (PixelData): ``sem_seg`` (1, H, W) long contact map, 0 none,
      1..17 part, 255 ignored.
    - metainfo ``contact_annotated`` (bool): False when the image has no contact
      annotation at all; its part and segmentation losses are then skipped.
    - metainfo ``instances`` (list[dict]): the annotation file's own instances (``bbox``
      at the original size, as the file holds it), from which the HOI metrics read the
      ground-truth boxes in float64.

    Predictions (``K`` triplets):

    - ``pred_hois`` (InstanceData): ``subject_bboxes`` (K, 4), ``object_bboxes`` (K, 4)
      in original image pixels, ``object_labels`` (K,), ``action_labels`` (K,),
      ``scores`` (K,) = object score x action score, sorted descending.
    - ``pred_sem_seg`` (PixelData): ``sem_seg`` (1, H0, W0) uint8 contact map at the
      original image size (inherited property).
    - ``pred_parts`` (Tensor): (17,) part contact probabilities.
    """

    @property
    def gt_pairs(self) -> InstanceData:
        return self._gt_pairs

    @gt_pairs.setter
    def gt_pairs(self, value: InstanceData):
        self.set_field(value, '_gt_pairs', dtype=InstanceData)

    @gt_pairs.deleter
    def gt_pairs(self):
        del self._gt_pairs

    @property
    def gt_parts(self) -> Tensor:
        return self._gt_parts

    @gt_parts.setter
    def gt_parts(self, value: Tensor):
        self.set_field(value, '_gt_parts', dtype=Tensor)

    @gt_parts.deleter
    def gt_parts(self):
        del self._gt_parts

    @property
    def pred_hois(self) -> InstanceData:
        return self._pred_hois

    @pred_hois.setter
    def pred_hois(self, value: InstanceData):
        self.set_field(value, '_pred_hois', dtype=InstanceData)

    @pred_hois.deleter
    def pred_hois(self):
        del self._pred_hois

    @property
    def pred_parts(self) -> Tensor:
        return self._pred_parts

    @pred_parts.setter
    def pred_parts(self, value: Tensor):
        self.set_field(value, '_pred_parts', dtype=Tensor)

    @pred_parts.deleter
    def pred_parts(self):
        del self._pred_parts
