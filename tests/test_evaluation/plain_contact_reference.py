"""A deliberately plain contact evaluation: HOT's rules as pixel-by-pixel Python loops.

Used by the tests to check :class:`pair_plugin.evaluation.ContactMetric` (confusion
matrix with ``np.bincount``) on random maps. It follows the HOT code's rules as
``docs/metrics.md`` states them, one pixel at a time:

- accuracy (SC-Acc.) counts ground-truth contact pixels (gt > 0) whose prediction is the
  same part; C-Acc. those predicted as any contact; both over #(gt > 0) + 1e-10;
- IoU first zeroes the prediction where gt == 0 (HOT's ``imPred * (imLab > 0)``), then
  intersection and union per part, summed over the images; IoU = I / (U + 1e-10);
- mIoU is the mean over the 17 parts, wIoU the weighted sum;
- contact precision and the strict IoU use the prediction as it is;
- a pixel that is 255 in the ground truth counts nowhere; a predicted value outside
  0..17 (255 included) is no contact.

Maps are lists of lists or 2-D arrays of ints. Results are fractions (not percent).
"""

NUM_PARTS = 17
IGNORE = 255


def nearest_resize(label_map, height, width):
    """Nearest-neighbour resize, source index ``floor(i * H / h)`` (OpenCV's rule)."""
    src_h, src_w = len(label_map), len(label_map[0])
    out = []
    for y in range(height):
        sy = min(int(y * src_h / height), src_h - 1)
        row = []
        for x in range(width):
            sx = min(int(x * src_w / width), src_w - 1)
            row.append(int(label_map[sy][sx]))
        out.append(row)
    return out


def plain_contact_metrics(pairs, weights=None):
    """Contact metrics of ``pairs``, a list of ``(pred_map, gt_map)`` of equal sizes."""
    correct = 0
    gt_contact = 0
    both_contact = 0
    pred_contact = 0
    intersection = [0] * (NUM_PARTS + 1)
    pred_in_gt_contact = [0] * (NUM_PARTS + 1)
    gt_part = [0] * (NUM_PARTS + 1)
    pred_part = [0] * (NUM_PARTS + 1)
    for pred_map, gt_map in pairs:
        for y in range(len(gt_map)):
            for x in range(len(gt_map[0])):
                g = int(gt_map[y][x])
                p = int(pred_map[y][x])
                if g == IGNORE:
                    continue
                if not 0 <= p <= NUM_PARTS:
                    p = 0
                if g > 0:
                    gt_contact += 1
                    gt_part[g] += 1
                    if p == g:
                        correct += 1
                    if p > 0:
                        both_contact += 1
                hot_p = p if g > 0 else 0
                if hot_p > 0:
                    pred_in_gt_contact[hot_p] += 1
                    if hot_p == g:
                        intersection[g] += 1
                if p > 0:
                    pred_contact += 1
                    pred_part[p] += 1
    iou = []
    strict_iou = []
    for k in range(1, NUM_PARTS + 1):
        union = pred_in_gt_contact[k] + gt_part[k] - intersection[k]
        iou.append(intersection[k] / (union + 1e-10))
        strict_union = pred_part[k] + gt_part[k] - intersection[k]
        strict_iou.append(intersection[k] / (strict_union + 1e-10))
    result = {
        'sc_acc': correct / (gt_contact + 1e-10),
        'c_acc': both_contact / (gt_contact + 1e-10),
        'miou': sum(iou) / NUM_PARTS,
        'precision': sum(intersection) / (pred_contact + 1e-10),
        'strict_miou': sum(strict_iou) / NUM_PARTS,
        'iou': iou,
    }
    if weights is not None:
        total = float(sum(weights))
        result['wiou'] = sum(w / total * v for w, v in zip(weights, iou))
    return result
