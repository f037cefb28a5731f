"""Tests run torch on one thread.

On a small shared machine two OpenMP threads that wait for each other are up to 20 times
slower than one (0.2 s against 3.7 s per training step of the small model, measured with
five other processes busy); one thread is also what these tiny inputs need. The previous
setting is restored after each test.
"""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory):
    """The tiny inference model (:mod:`tests.tiny_inference_model`), saved once per
    session.

    Returns:
        dict: ``cfg`` (its data root has no data: the names come from the checkpoint),
        ``config_file``, ``checkpoint`` (with ``meta.dataset_meta``), ``state`` (the saved
        weights) and ``root`` (the folder holding them).
    """
    from tests.tiny_inference_model import save_tiny_checkpoint, tiny_config
    root = tmp_path_factory.mktemp('tiny_checkpoint')
    cfg = tiny_config(str(root / 'no_data'))
    config_file = str(root / 'tiny.py')
    cfg.dump(config_file)
    checkpoint = str(root / 'epoch_1.pth')
    state = save_tiny_checkpoint(cfg, checkpoint)
    return dict(cfg=cfg, config_file=config_file, checkpoint=checkpoint, state=state, root=root)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """A tiny synthetic PaIR set (``tests.helpers.make_tiny_dataset``: 4 training, 3
    validation and 3 test images of 64 px), generated once per session; read it, do not
    write into it."""
    from tests.helpers import make_tiny_dataset
    return make_tiny_dataset(str(tmp_path_factory.mktemp('tiny_data')))
