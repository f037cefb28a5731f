"""Builders of the data-sample dicts the metrics receive, and of random HOI data."""
import numpy as np
import torch

OBJECTS = ('person', 'cup', 'chair', 'bicycle')
ACTIONS = ('hold', 'sit_on', 'ride', 'carry')
META = dict(objects=OBJECTS, classes=OBJECTS, actions=ACTIONS, hoi_categories=None)

PERSON_BOX = [0, 0, 9, 9]
CUP_BOX = [20, 20, 29, 29]

#: boxes that float32 cannot hold: the predicted object box has IoU exactly 0.5 with the
#: ground-truth one in float64 (a match), 0.4999999864 once the ground truth is rounded
#: to float32 (a miss): (21 x 21) / (21 x 42), inclusive pixels
BOUNDARY_GT_BOX = [10.1, 0, 30.1, 20]
BOUNDARY_PRED_BOX = [10.1, 0, 30.1, 41]


def hoi_sample(gt_boxes=(),
               gt_labels=(),
               pairs=(),
               preds=(),
               num_actions=len(ACTIONS),
               name='img.jpg',
               as_tensors=True):
    """A sample dict for :class:`HOIMetric`.

    Args:
        gt_boxes: N boxes x1y1x2y2.
        gt_labels: N object ids.
        pairs: ``(subject, object, [action ids])`` per ground-truth pair.
        preds: ``(subject_box, object_box, object_id, action_id, score)`` per triplet.
        as_tensors: give torch tensors (as the model does), else numpy arrays; boxes and
            scores in float64.
    """
    actions = np.zeros((len(pairs), num_actions), np.float32)
    for p, (_, _, acts) in enumerate(pairs):
        actions[p, list(acts)] = 1
    convert = torch.as_tensor if as_tensors else np.asarray
    return dict(
        file_name=name,
        img_id=0,
        gt_instances=dict(
            bboxes=convert(np.asarray(gt_boxes, np.float64).reshape(-1, 4)),
            labels=convert(np.asarray(gt_labels, np.int64))),
        gt_pairs=dict(
            subject_ids=convert(np.asarray([p[0] for p in pairs], np.int64)),
            object_ids=convert(np.asarray([p[1] for p in pairs], np.int64)),
            actions=convert(actions)),
        pred_hois=dict(
            subject_bboxes=convert(np.asarray([p[0] for p in preds], np.float64).reshape(-1, 4)),
            object_bboxes=convert(np.asarray([p[1] for p in preds], np.float64).reshape(-1, 4)),
            object_labels=convert(np.asarray([p[2] for p in preds], np.int64)),
            action_labels=convert(np.asarray([p[3] for p in preds], np.int64)),
            scores=convert(np.asarray([p[4] for p in preds], np.float64))))


def random_box(rng, size=60):
    x1, y1 = rng.integers(0, size, 2)
    w, h = rng.integers(0, 30, 2)
    return np.array([x1, y1, x1 + w, y1 + h], np.float64)


def random_hoi_image(rng, num_actions, num_objects, num_preds):
    """Random ground truth and predictions of one image (integer-valued boxes, so that
    IoU ties, zero-width boxes, exact 0.5 IoUs and edge-sharing boxes happen).

    Returns:
        tuple: ``(gt, pred)`` in :class:`plain_hoi_reference.PlainHOIEvaluator`'s input
        layout (numpy arrays).
    """
    num_boxes = int(rng.integers(0, 7))
    boxes = np.array([random_box(rng) for _ in range(num_boxes)]).reshape(-1, 4)
    labels = rng.integers(0, num_objects, num_boxes)
    if num_boxes and rng.random() < 0.85:
        labels[0] = 0  # most images hold a person
    persons = np.nonzero(labels == 0)[0]
    subjects, objects, actions = [], [], []
    if num_boxes >= 2 and len(persons):
        for _ in range(int(rng.integers(1, 6))):
            s, o = int(rng.choice(persons)), int(rng.integers(0, num_boxes))
            if s == o or (s, o) in zip(subjects, objects):
                continue
            act = (rng.random(num_actions) < 0.4).astype(np.float32)
            if not act.any():
                act[rng.integers(0, num_actions)] = 1
            subjects.append(s)
            objects.append(o)
            actions.append(act)
    gt = dict(
        boxes=boxes,
        labels=labels.astype(np.int64),
        subject_ids=np.asarray(subjects, np.int64),
        object_ids=np.asarray(objects, np.int64),
        actions=np.asarray(actions, np.float32).reshape(-1, num_actions))
    sub_boxes, obj_boxes, obj_labels, act_labels, scores = [], [], [], [], []
    for _ in range(num_preds):
        if subjects and rng.random() < 0.7:
            p = int(rng.integers(0, len(subjects)))
            sub = boxes[subjects[p]] + rng.integers(-4, 5, 4)
            obj = boxes[objects[p]] + rng.integers(-4, 5, 4)
            label = labels[objects[p]] if rng.random() < 0.85 else rng.integers(0, num_objects)
            action = (
                rng.choice(np.nonzero(actions[p])[0]) if rng.random() < 0.8 else rng.integers(
                    0, num_actions))
        else:
            sub, obj = random_box(rng), random_box(rng)
            label, action = rng.integers(0, num_objects), rng.integers(0, num_actions)
        sub[2:] = np.maximum(sub[2:], sub[:2])
        obj[2:] = np.maximum(obj[2:], obj[:2])
        sub_boxes.append(sub)
        obj_boxes.append(obj)
        obj_labels.append(int(label))
        act_labels.append(int(action))
        scores.append(round(float(rng.random()), 2))  # ties happen
    pred = dict(
        subject_bboxes=np.asarray(sub_boxes, np.float64).reshape(-1, 4),
        object_bboxes=np.asarray(obj_boxes, np.float64).reshape(-1, 4),
        object_labels=np.asarray(obj_labels, np.int64),
        action_labels=np.asarray(act_labels, np.int64),
        scores=np.asarray(scores, np.float64))
    return gt, pred


def sample_from_random(gt, pred, name='img.jpg'):
    """The metric's sample dict of a :func:`random_hoi_image` pair."""
    return dict(
        file_name=name,
        img_id=0,
        gt_instances=dict(bboxes=gt['boxes'], labels=gt['labels']),
        gt_pairs=dict(
            subject_ids=gt['subject_ids'], object_ids=gt['object_ids'], actions=gt['actions']),
        pred_hois=pred)


def contact_sample(pred, gt, annotated=True, name='img.jpg'):
    """A sample dict for :class:`ContactMetric` from two (H, W) maps."""
    return dict(
        file_name=name,
        img_id=0,
        contact_annotated=annotated,
        gt_sem_seg=dict(sem_seg=torch.as_tensor(np.asarray(gt, np.int64))[None]),
        pred_sem_seg=dict(sem_seg=torch.as_tensor(np.asarray(pred, np.int64))[None]))
