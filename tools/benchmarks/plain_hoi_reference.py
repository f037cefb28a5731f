"""A deliberately plain HOI mAP: QPIC's ``datasets/hico_eval.py`` with its Python loops.

The reference of ``tools/benchmarks/benchmark_hoi_metric.py`` (speed and agreement) and of
the tests (agreement with :class:`pair_plugin.evaluation.HOIMetric` on random data, through
``tests/test_evaluation/plain_hoi_reference.py``). It keeps
the structure and the Python loops of QPIC's ``HICOEvaluator`` (``compute_iou_mat``,
``compute_IOU``, ``compute_fptp``, ``compute_map``, ``voc_ap``), with GEN-VLKT's two
additions (``triplet_nms_filter``/``pairwise_nms`` after the top-100 cut, and the 2023
fix that counts a category without predictions in its rare / non-rare mean).

Adaptations to PaIR's inputs, none of which changes a rule:

- each predicted triplet carries its own subject box (class 0, person) and object box;
  they become entries ``2k`` and ``2k + 1`` of QPIC's ``predictions`` box list;
- a ground-truth pair with several actions becomes one ``hoi_annotation`` per action,
  pair by pair, actions in increasing order;
- QPIC's ``correct_mat`` is the (A, O) valid-category matrix, or None;
- an image without any ground-truth box takes the same path as the others (QPIC's
  special branch for it builds its triplet as a list, compares it with tuples and so
  never counts those predictions; here they are false positives);
- ``top_k=None`` keeps every prediction;
- ``known_object=True`` is the official HICO-DET evaluation's Known Object (``ko``) mode:
  a prediction of object class o counts only in an image whose ground truth holds o in
  an interaction.

Inputs, one dict per image: ``gt`` = {'boxes': (N, 4), 'labels': (N,),
'subject_ids': (P,), 'object_ids': (P,), 'actions': (P, A) multi-hot} and ``pred`` =
{'subject_bboxes', 'object_bboxes': (K, 4), 'object_labels', 'action_labels',
'scores': (K,)}; numpy arrays or lists.
"""
from collections import defaultdict

import numpy as np


class PlainHOIEvaluator():

    def __init__(self,
                 preds,
                 gts,
                 rare_triplets,
                 non_rare_triplets,
                 correct_mat=None,
                 top_k=100,
                 nms_thr=None,
                 nms_alpha=1.0,
                 nms_beta=0.5,
                 overlap_iou=0.5,
                 known_object=False):
        self.overlap_iou = overlap_iou
        self.known_object = known_object
        self.max_hois = top_k
        self.use_nms_filter = nms_thr is not None
        self.thres_nms = nms_thr
        self.nms_alpha = nms_alpha
        self.nms_beta = nms_beta

        self.rare_triplets = rare_triplets
        self.non_rare_triplets = non_rare_triplets

        self.fp = defaultdict(list)
        self.tp = defaultdict(list)
        self.score = defaultdict(list)
        self.sum_gts = defaultdict(lambda: 0)
        self.gt_triplets = []

        self.preds = []
        for img_preds in preds:
            bboxes = []
            hois = []
            for k in range(len(img_preds['scores'])):
                bboxes.append({
                    'bbox': [float(v) for v in img_preds['subject_bboxes'][k]],
                    'category_id': 0
                })
                bboxes.append({
                    'bbox': [float(v) for v in img_preds['object_bboxes'][k]],
                    'category_id': int(img_preds['object_labels'][k])
                })
                score = float(img_preds['scores'][k])
                verb = int(img_preds['action_labels'][k])
                if correct_mat is not None:
                    score = score * float(correct_mat[verb, int(img_preds['object_labels'][k])])
                hois.append({
                    'subject_id': 2 * k,
                    'object_id': 2 * k + 1,
                    'category_id': verb,
                    'score': score
                })
            hois.sort(key=lambda k: (k.get('score', 0)), reverse=True)
            if self.max_hois is not None:
                hois = hois[:self.max_hois]
            self.preds.append({'predictions': bboxes, 'hoi_prediction': hois})

        if self.use_nms_filter:
            self.preds = self.triplet_nms_filter(self.preds)

        self.gts = []
        for img_gts in gts:
            annotations = [{
                'bbox': [float(v) for v in bbox],
                'category_id': int(label)
            } for bbox, label in zip(img_gts['boxes'], img_gts['labels'])]
            hoi_annotation = []
            for p in range(len(img_gts['subject_ids'])):
                for verb in range(len(img_gts['actions'][p])):
                    if img_gts['actions'][p][verb] > 0:
                        hoi_annotation.append({
                            'subject_id': int(img_gts['subject_ids'][p]),
                            'object_id': int(img_gts['object_ids'][p]),
                            'category_id': verb
                        })
            self.gts.append({'annotations': annotations, 'hoi_annotation': hoi_annotation})
            for hoi in self.gts[-1]['hoi_annotation']:
                triplet = (self.gts[-1]['annotations'][hoi['subject_id']]['category_id'],
                           self.gts[-1]['annotations'][hoi['object_id']]['category_id'],
                           hoi['category_id'])

                if triplet not in self.gt_triplets:
                    self.gt_triplets.append(triplet)

                self.sum_gts[triplet] += 1

    def evaluate(self):
        for img_id, (img_preds, img_gts) in enumerate(zip(self.preds, self.gts)):
            pred_bboxes = img_preds['predictions']
            gt_bboxes = img_gts['annotations']
            pred_hois = img_preds['hoi_prediction']
            gt_hois = img_gts['hoi_annotation']
            if len(gt_bboxes) != 0 and len(pred_bboxes) != 0:
                bbox_pairs, bbox_overlaps = self.compute_iou_mat(gt_bboxes, pred_bboxes)
            else:
                bbox_pairs, bbox_overlaps = {}, {}
            gt_objects = {gt_bboxes[hoi['object_id']]['category_id'] for hoi in gt_hois}
            self.compute_fptp(pred_hois, gt_hois, bbox_pairs, pred_bboxes, bbox_overlaps,
                              gt_objects)
        map = self.compute_map()
        return map

    def compute_map(self):
        ap = defaultdict(lambda: 0)
        rare_ap = defaultdict(lambda: 0)
        non_rare_ap = defaultdict(lambda: 0)
        max_recall = defaultdict(lambda: 0)
        for triplet in self.gt_triplets:
            sum_gts = self.sum_gts[triplet]
            if sum_gts == 0:
                continue

            tp = np.array((self.tp[triplet]))
            fp = np.array((self.fp[triplet]))
            if len(tp) == 0:
                ap[triplet] = 0
                max_recall[triplet] = 0
                if triplet in self.rare_triplets:
                    rare_ap[triplet] = 0
                elif triplet in self.non_rare_triplets:
                    non_rare_ap[triplet] = 0
                continue

            score = np.array(self.score[triplet])
            sort_inds = np.argsort(-score)
            fp = fp[sort_inds]
            tp = tp[sort_inds]
            fp = np.cumsum(fp)
            tp = np.cumsum(tp)
            rec = tp / sum_gts
            prec = tp / (fp + tp)
            ap[triplet] = self.voc_ap(rec, prec)
            max_recall[triplet] = np.amax(rec)
            if triplet in self.rare_triplets:
                rare_ap[triplet] = ap[triplet]
            elif triplet in self.non_rare_triplets:
                non_rare_ap[triplet] = ap[triplet]
        m_ap = np.mean(list(ap.values()))
        m_ap_rare = np.mean(list(rare_ap.values())) if rare_ap else float('nan')
        m_ap_non_rare = (np.mean(list(non_rare_ap.values())) if non_rare_ap else float('nan'))
        m_max_recall = np.mean(list(max_recall.values()))
        self.ap = dict(ap)
        return {
            'mAP': m_ap,
            'mAP rare': m_ap_rare,
            'mAP non-rare': m_ap_non_rare,
            'mean max recall': m_max_recall
        }

    def voc_ap(self, rec, prec):
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            if np.sum(rec >= t) == 0:
                p = 0
            else:
                p = np.max(prec[rec >= t])
            ap = ap + p / 11.
        return ap

    def compute_fptp(self, pred_hois, gt_hois, match_pairs, pred_bboxes, bbox_overlaps, gt_objects):
        pos_pred_ids = match_pairs.keys()
        vis_tag = np.zeros(len(gt_hois))
        pred_hois.sort(key=lambda k: (k.get('score', 0)), reverse=True)
        if len(pred_hois) != 0:
            for pred_hoi in pred_hois:
                is_match = 0
                if len(match_pairs) != 0 and pred_hoi['subject_id'] in pos_pred_ids \
                        and pred_hoi['object_id'] in pos_pred_ids:
                    pred_sub_ids = match_pairs[pred_hoi['subject_id']]
                    pred_obj_ids = match_pairs[pred_hoi['object_id']]
                    pred_sub_overlaps = bbox_overlaps[pred_hoi['subject_id']]
                    pred_obj_overlaps = bbox_overlaps[pred_hoi['object_id']]
                    pred_category_id = pred_hoi['category_id']
                    max_overlap = 0
                    max_gt_hoi = 0
                    for gt_hoi in gt_hois:
                        if gt_hoi['subject_id'] in pred_sub_ids \
                                and gt_hoi['object_id'] in pred_obj_ids \
                                and pred_category_id == gt_hoi['category_id']:
                            is_match = 1
                            min_overlap_gt = min(
                                pred_sub_overlaps[pred_sub_ids.index(gt_hoi['subject_id'])],
                                pred_obj_overlaps[pred_obj_ids.index(gt_hoi['object_id'])])
                            if min_overlap_gt > max_overlap:
                                max_overlap = min_overlap_gt
                                max_gt_hoi = gt_hoi
                triplet = (pred_bboxes[pred_hoi['subject_id']]['category_id'],
                           pred_bboxes[pred_hoi['object_id']]['category_id'],
                           pred_hoi['category_id'])
                if triplet not in self.gt_triplets:
                    continue
                if self.known_object and triplet[1] not in gt_objects:
                    continue
                if is_match == 1 and vis_tag[gt_hois.index(max_gt_hoi)] == 0:
                    self.fp[triplet].append(0)
                    self.tp[triplet].append(1)
                    vis_tag[gt_hois.index(max_gt_hoi)] = 1
                else:
                    self.fp[triplet].append(1)
                    self.tp[triplet].append(0)
                self.score[triplet].append(pred_hoi['score'])

    def compute_iou_mat(self, bbox_list1, bbox_list2):
        iou_mat = np.zeros((len(bbox_list1), len(bbox_list2)))
        if len(bbox_list1) == 0 or len(bbox_list2) == 0:
            return {}
        for i, bbox1 in enumerate(bbox_list1):
            for j, bbox2 in enumerate(bbox_list2):
                iou_i = self.compute_IOU(bbox1, bbox2)
                iou_mat[i, j] = iou_i

        iou_mat_ov = iou_mat.copy()
        iou_mat[iou_mat >= self.overlap_iou] = 1
        iou_mat[iou_mat < self.overlap_iou] = 0

        match_pairs = np.nonzero(iou_mat)
        match_pair_dict = {}
        match_pair_overlaps = {}
        if iou_mat.max() > 0:
            for i, pred_id in enumerate(match_pairs[1]):
                if pred_id not in match_pair_dict.keys():
                    match_pair_dict[pred_id] = []
                    match_pair_overlaps[pred_id] = []
                match_pair_dict[pred_id].append(match_pairs[0][i])
                match_pair_overlaps[pred_id].append(iou_mat_ov[match_pairs[0][i], pred_id])
        return match_pair_dict, match_pair_overlaps

    def compute_IOU(self, bbox1, bbox2):
        if bbox1['category_id'] == bbox2['category_id']:
            rec1 = bbox1['bbox']
            rec2 = bbox2['bbox']
            # computing area of each rectangles
            S_rec1 = (rec1[2] - rec1[0] + 1) * (rec1[3] - rec1[1] + 1)
            S_rec2 = (rec2[2] - rec2[0] + 1) * (rec2[3] - rec2[1] + 1)

            # computing the sum_area
            sum_area = S_rec1 + S_rec2

            # find the each edge of intersect rectangle
            left_line = max(rec1[1], rec2[1])
            right_line = min(rec1[3], rec2[3])
            top_line = max(rec1[0], rec2[0])
            bottom_line = min(rec1[2], rec2[2])
            # judge if there is an intersect
            if left_line >= right_line or top_line >= bottom_line:
                return 0
            else:
                intersect = (right_line - left_line + 1) * (bottom_line - top_line + 1)
                return intersect / (sum_area - intersect)
        else:
            return 0

    def triplet_nms_filter(self, preds):
        preds_filtered = []
        for img_preds in preds:
            pred_bboxes = img_preds['predictions']
            pred_hois = img_preds['hoi_prediction']
            all_triplets = {}
            for index, pred_hoi in enumerate(pred_hois):
                triplet = str(pred_bboxes[pred_hoi['subject_id']]['category_id']) + '_' + \
                    str(pred_bboxes[pred_hoi['object_id']]['category_id']) + '_' + \
                    str(pred_hoi['category_id'])

                if triplet not in all_triplets:
                    all_triplets[triplet] = {'subs': [], 'objs': [], 'scores': [], 'indexes': []}
                all_triplets[triplet]['subs'].append(pred_bboxes[pred_hoi['subject_id']]['bbox'])
                all_triplets[triplet]['objs'].append(pred_bboxes[pred_hoi['object_id']]['bbox'])
                all_triplets[triplet]['scores'].append(pred_hoi['score'])
                all_triplets[triplet]['indexes'].append(index)

            all_keep_inds = []
            for triplet, values in all_triplets.items():
                subs, objs, scores = values['subs'], values['objs'], values['scores']
                keep_inds = self.pairwise_nms(np.array(subs), np.array(objs), np.array(scores))

                keep_inds = list(np.array(values['indexes'])[keep_inds])
                all_keep_inds.extend(keep_inds)

            preds_filtered.append({
                'predictions':
                pred_bboxes,
                'hoi_prediction': [img_preds['hoi_prediction'][i] for i in all_keep_inds]
            })

        return preds_filtered

    def pairwise_nms(self, subs, objs, scores):
        sx1, sy1, sx2, sy2 = subs[:, 0], subs[:, 1], subs[:, 2], subs[:, 3]
        ox1, oy1, ox2, oy2 = objs[:, 0], objs[:, 1], objs[:, 2], objs[:, 3]

        sub_areas = (sx2 - sx1 + 1) * (sy2 - sy1 + 1)
        obj_areas = (ox2 - ox1 + 1) * (oy2 - oy1 + 1)

        order = scores.argsort()[::-1]

        keep_inds = []
        while order.size > 0:
            i = order[0]
            keep_inds.append(i)

            sxx1 = np.maximum(sx1[i], sx1[order[1:]])
            syy1 = np.maximum(sy1[i], sy1[order[1:]])
            sxx2 = np.minimum(sx2[i], sx2[order[1:]])
            syy2 = np.minimum(sy2[i], sy2[order[1:]])

            sw = np.maximum(0.0, sxx2 - sxx1 + 1)
            sh = np.maximum(0.0, syy2 - syy1 + 1)
            sub_inter = sw * sh
            sub_union = sub_areas[i] + sub_areas[order[1:]] - sub_inter

            oxx1 = np.maximum(ox1[i], ox1[order[1:]])
            oyy1 = np.maximum(oy1[i], oy1[order[1:]])
            oxx2 = np.minimum(ox2[i], ox2[order[1:]])
            oyy2 = np.minimum(oy2[i], oy2[order[1:]])

            ow = np.maximum(0.0, oxx2 - oxx1 + 1)
            oh = np.maximum(0.0, oyy2 - oyy1 + 1)
            obj_inter = ow * oh
            obj_union = obj_areas[i] + obj_areas[order[1:]] - obj_inter

            ovr = np.power(sub_inter / sub_union, self.nms_alpha) * \
                np.power(obj_inter / obj_union, self.nms_beta)
            inds = np.where(ovr <= self.thres_nms)[0]

            order = order[inds + 1]
        return keep_inds
