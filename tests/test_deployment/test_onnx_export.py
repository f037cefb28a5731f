"""The exported graph: symbolic inputs, the same outputs as eager PyTorch at other sizes and
on a padded batch (with the H-O RoI Enhancer and the Mask-Guided RoI Feature acting), and
a mismatch or a fixed size reported by name."""
import copy

import numpy as np
import onnx
import pytest
import torch
from tiny_deploy_model import OTHER_SIZES, padded_batch

from pair_plugin.apis import (DeployedPaIRNet, ONNXMismatchError, PaIRInferencer,
                              check_symbolic_inputs, read_onnx_metadata, verify_onnx)
from pair_plugin.models.heads.mask_guided_roi_feature import contact_enclosing_boxes
from pair_plugin.structures import PaIRFormatError


@pytest.fixture(scope='module')
def deployed(tiny_export):
    return DeployedPaIRNet(tiny_export['model'], tiny_export['onnx'])


def test_graph_inputs_are_symbolic_and_it_carries_names_and_config(tiny_export):
    dims = check_symbolic_inputs(tiny_export['onnx'])
    batch, channels, height, width = dims['inputs']
    assert channels == 3
    assert all(isinstance(d, str) for d in (batch, height, width))
    assert dims['img_sizes'][0] == batch and dims['img_sizes'][1] == 2
    stored = read_onnx_metadata(tiny_export['onnx'])
    assert stored['dataset_meta']['actions'] == list(tiny_export['model'].dataset_meta['actions'])
    assert 'PaIRNet' in stored['config']


def test_a_fixed_size_graph_is_refused(tmp_path):
    """A graph that only runs at one height fails the check, naming input and axis."""
    inputs = onnx.helper.make_tensor_value_info('inputs', onnx.TensorProto.FLOAT,
                                                ['batch', 3, 640, 'width'])
    sizes = onnx.helper.make_tensor_value_info('img_sizes', onnx.TensorProto.INT64, ['batch', 2])
    out = onnx.helper.make_tensor_value_info('out', onnx.TensorProto.FLOAT, None)
    graph = onnx.helper.make_graph([onnx.helper.make_node('Identity', ['inputs'], ['out'])],
                                   'fixed', [inputs, sizes], [out])
    path = str(tmp_path / 'fixed.onnx')
    onnx.save(onnx.helper.make_model(graph), path)
    with pytest.raises(
            ValueError, match=r"fixed\.onnx: input 'inputs' has the fixed size "
            r'640 on axis 2'):
        check_symbolic_inputs(path)


def test_graph_matches_eager_at_two_other_sizes(tiny_export, deployed):
    rows = verify_onnx(tiny_export['model'], deployed.run_graph, OTHER_SIZES)
    assert {row['batch'] for row in rows} == {'1x64x96', '2x128x160'}
    assert {row['output']
            for row in rows} == {
                'human_boxes', 'object_boxes', 'object_logits', 'action_logits', 'seg_logits',
                'part_logits'
            }
    assert all(row['max_abs_diff'] < 1e-4 for row in rows)
    assert all(row['argmax_agreement'] >= 0.999 for row in rows if row['output'] == 'seg_logits')


def captured_branches(model):
    """Forward hooks keeping the enhancer's regions and the contact maps that the
    Mask-Guided RoI Feature crops with."""
    seen = {}

    def enhancer(module, args):
        seen['regions'] = args[1].clone()

    def mask_feature(module, args):
        seen['label_map'] = args[1].argmax(dim=1)

    hooks = [
        model.contact_head.roi_enhancer.register_forward_pre_hook(enhancer),
        model.mask_guided_feature.register_forward_pre_hook(mask_feature)
    ]
    return seen, hooks


def test_padded_batch_matches_eager_with_both_branches_acting(tiny_export, deployed):
    """Three images of different sizes padded into one batch: the graph gives eager
    PyTorch's outputs, while the enhancer amplifies a region smaller than the image and
    the mask-guided feature crops a contact region of the predicted map."""
    model = tiny_export['model']
    inputs, images = padded_batch()
    seen, hooks = captured_branches(model)
    try:
        with torch.no_grad():
            eager = model.forward_heads(inputs, images, padded=True)
    finally:
        for hook in hooks:
            hook.remove()
    graph = deployed.run_graph(inputs, images)
    for name, value in graph.items():
        ref = eager[name][-1] if name in model.STAGE_OUTPUTS else eager[name]
        np.testing.assert_allclose(value.numpy(), ref.numpy(), atol=1e-4, rtol=1e-4, err_msg=name)
    for i, (ih, iw) in enumerate(images.tolist()):
        agree = (graph['seg_logits'][i, :, :ih, :iw].argmax(0) == eager['seg_logits'][
            i, :, :ih, :iw].argmax(0)).float().mean()
        assert agree >= 0.999

    # the enhancer acted: Δ != 1, on the region of some pairs, not the whole image
    enhancer = model.contact_head.roi_enhancer
    assert enhancer.delta.item() == 1.5
    scores, _ = model.interaction_head.object_scores(eager['object_logits'][-1])
    counted = scores > enhancer.score_thr
    assert counted.any() and not counted.all()
    whole = torch.cat([torch.zeros_like(images), images.flip(-1)], 1).float()
    regions = seen['regions']
    assert not torch.allclose(regions, whole)
    assert (regions[:, 2:] <= whole[:, 2:] + 1e-3).all()
    # the mask-guided feature cropped a contact region smaller than the image
    boxes, found = contact_enclosing_boxes(seen['label_map'], images)
    assert found.any()
    assert ((boxes[:, 2:] - boxes[:, :2]) < images.flip(-1)).any(dim=1)[found].all()


def test_a_mismatch_names_the_output(tiny_export, deployed):
    """A graph that is not the model's (here: the model's action classifier changed after
    the export) fails the verification, which names the output and the batch."""
    changed = copy.deepcopy(tiny_export['model'])
    with torch.no_grad():
        changed.interaction_head.action_cls.bias += 0.01
    with pytest.raises(
            ONNXMismatchError,
            match=r'action_logits: the graph differs from PyTorch by up to '
            r'0\.01.* on the batch 1x64x96'):
        verify_onnx(changed, deployed.run_graph, OTHER_SIZES)

    def without_parts(inputs, img_sizes):
        outs = deployed.run_graph(inputs, img_sizes)
        outs.pop('part_logits')
        return outs

    with pytest.raises(ONNXMismatchError, match="part_logits: not among the graph's"):
        verify_onnx(tiny_export['model'], without_parts, OTHER_SIZES)


def test_an_unreadable_or_missing_model_file_is_named(tmp_path):
    bad = tmp_path / 'bad.onnx'
    bad.write_bytes(b'not a protobuf')
    with pytest.raises(
            PaIRFormatError, match=r'bad\.onnx: onnx model: cannot be read as an ONNX model'):
        PaIRInferencer(weights=str(bad), backend='onnxruntime')
    with pytest.raises(FileNotFoundError, match=r'gone\.onnx: ONNX model file not found'):
        read_onnx_metadata(str(tmp_path / 'gone.onnx'))
