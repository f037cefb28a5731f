"""One tiny PaIR-Net (:mod:`tiny_deploy_model`), its checkpoint and its ONNX graph,
exported once per session for the deployment tests."""
import importlib.util
import warnings

import pytest
import torch
from mmengine.runner import save_checkpoint
from mmengine.runner.checkpoint import weights_to_cpu
from tiny_deploy_model import EXAMPLE_SIZE, make_branches_act, run_tool, tiny_deploy_config

from pair_plugin.apis import export_onnx, init_model
from tests.helpers import make_tiny_dataset


@pytest.fixture(scope='session')
def tiny_export(tmp_path_factory):
    """dict: ``cfg`` and ``config_file``, ``model`` (eval), ``checkpoint``, ``onnx`` (the
    graph),
    ``data_root`` (a tiny synthetic set: 4 train, 1 val, 2 test images), ``root``."""
    root = tmp_path_factory.mktemp('deploy')
    data_root = make_tiny_dataset(str(root / 'data'), num_train=4, num_val=1, num_test=2)
    cfg = tiny_deploy_config(data_root)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model = init_model(cfg)
    make_branches_act(model)
    checkpoint = str(root / 'tiny.pth')
    save_checkpoint(
        dict(
            meta=dict(dataset_meta=model.dataset_meta),
            state_dict=weights_to_cpu(model.state_dict())), checkpoint)
    cfg.model.contact_head.roi_enhancer.score_thr = model.contact_head.roi_enhancer.score_thr
    model.cfg = cfg
    config_file = str(root / 'tiny_deploy.py')
    cfg.dump(config_file)
    onnx_file = str(root / 'tiny.onnx')
    export_onnx(
        model,
        onnx_file,
        EXAMPLE_SIZE,
        dataset_meta=model.dataset_meta,
        config_text=cfg.pretty_text)
    return dict(
        cfg=cfg,
        config_file=config_file,
        model=model,
        checkpoint=checkpoint,
        onnx=onnx_file,
        data_root=data_root,
        root=root)


@pytest.fixture(scope='session')
def int8_models(tiny_export):
    """The tiny graph quantized by ``tools/deployment/quantize_onnx.py`` on two training
    images: ``onnxruntime`` (.onnx) and ``openvino`` (.xml). Both quantizers are test
    requirements (requirements/tests.txt includes deploy.txt), so a missing one fails here
    instead of skipping its tests."""
    for module in ('openvino', 'nncf'):
        assert importlib.util.find_spec(module), (
            f'{module} is not installed: the tests need requirements/tests.txt, which includes '
            'requirements/deploy.txt (make test installs them)')
    models = {}
    for quantizer, suffix in (('onnxruntime', '.onnx'), ('openvino', '.xml')):
        out = str(tiny_export['root'] / f'tiny_int8{suffix}')
        assert run_tool('tools/deployment/quantize_onnx.py', tiny_export['onnx'], '--data-root',
                        tiny_export['data_root'], '--num-images', 2, '--quantizer', quantizer,
                        '--out', out) == 0
        models[quantizer] = out
    return models
