"""What many tests share: the repository's paths, a loader for the scripts under
``tools/``, a command runner, and a tiny synthetic set with a tiny training config.

The tiny config inherits the real small config (``configs/pairnet_r18_synthetic.py``) and
only shrinks data, image size and schedule, so the tests that train exercise the shipped
config.
"""
import glob
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')
#: the real photos of ../shared/data/real (absent in a checkout without them)
REAL_DATA = osp.join(osp.dirname(REPO), 'shared', 'data', 'real')
PYTHON = sys.executable


def load_tool(relative_path: str):
    """Import a script under ``tools/`` as a module (to call its functions in-process)."""
    path = osp.join(REPO, relative_path)
    name = 'tool_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_tiny_dataset(root: str,
                      num_train: int = 4,
                      num_val: int = 3,
                      num_test: int = 3,
                      seed: int = 0) -> str:
    from pair_plugin.datasets.synthetic import generate_synthetic_dataset
    generate_synthetic_dataset(
        root, num_train=num_train, num_val=num_val, num_test=num_test, img_size=64, seed=seed)
    return root


def shrink_small_model(model, num_object_classes: int, num_actions: int) -> None:
    """Shrink the ``model`` dict of ``configs/pairnet_r18_synthetic.py`` in place to a
    model that builds and runs in a fraction of a second: ResNet-18 at 16 base channels,
    narrow CPAM and PGCS, 4 + 4 queries, one encoder layer, 10 predictions per image."""
    model.backbone.base_channels = 16
    model.backbone.init_cfg = None
    model.cpam.hidden_channels = (32, 16)
    model.contact_head.channels = (32, 16, 16)
    model.contact_head.body_attention.hidden_channels = 16
    model.interaction_head.transformer.num_queries = 4
    model.interaction_head.transformer.encoder.num_layers = 1
    model.interaction_head.num_object_classes = num_object_classes
    model.interaction_head.num_actions = num_actions
    model.test_cfg.max_per_img = 10


def write_tiny_config(path: str, data_root: str, max_epochs: int = 1, extra: str = '') -> str:
    data_root = data_root.rstrip('/') + '/'
    text = f'''
_base_ = [{osp.join(REPO, 'configs', 'pairnet_r18_synthetic.py')!r}]
data_root = {data_root!r}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPaIRAnnotations'),
    dict(type='PaIRRandomFlip', prob=0.5),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='PackPaIRInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadPaIRAnnotations'),
    dict(type='PackPaIRInputs')
]
_loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
train_dataloader = dict(
    **_loader,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=None,
    dataset=dict(data_root=data_root, ann_file='annotations/train.json',
                 filter_cfg=dict(filter_empty_interactions=False),
                 pipeline=train_pipeline))
val_dataloader = dict(
    **_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/val.json',
                 pipeline=test_pipeline))
test_dataloader = dict(
    **_loader,
    dataset=dict(data_root=data_root, ann_file='annotations/test.json',
                 pipeline=test_pipeline))
val_evaluator = [
    dict(type='HOIMetric', train_ann_file=data_root + 'annotations/train.json'),
    dict(type='ContactMetric', train_ann_file=data_root + 'annotations/train.json'),
]
test_evaluator = val_evaluator
train_cfg = dict(max_epochs={max_epochs}, val_interval=100)
param_scheduler = []
default_hooks = dict(
    logger=dict(type='MainProcessLoggerHook', interval=1),
    checkpoint=dict(interval=1, max_keep_ckpts=-1),
    visualization=dict(type='PaIRVisualizationHook', draw=False))
log_processor = dict(window_size=1)
randomness = dict(seed=0, deterministic=False)
custom_hooks = [dict(type='RandomStateHook')]
{extra}
'''
    with open(path, 'w') as f:
        f.write(text)
    return path


def train_and_test_in_process(config: str, work_dir: str, out_json: str) -> dict:
    """``tools/train.py`` on ``config`` into ``work_dir``, then ``tools/test.py`` on its
    ``epoch_1.pth`` into ``work_dir/test`` with ``--out out_json``: both tools' ``main()`` in
    this process, their code path without a second start-up.

    Returns:
        dict: ``metrics`` (the values of the one test metrics file), ``log`` (the test log's
        text) and ``predictions`` (the predictions file, read).
    """
    load_tool('tools/train.py').main([config, '--work-dir', work_dir])
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    test_dir = osp.join(work_dir, 'test')
    load_tool('tools/test.py').main([config, checkpoint, '--work-dir', test_dir, '--out', out_json])
    (metrics_file, ) = glob.glob(osp.join(test_dir, '*', '*.json'))
    (log_file, ) = glob.glob(osp.join(test_dir, '*', '*.log'))
    with open(metrics_file) as f:
        metrics = json.load(f)
    with open(log_file) as f:
        log = f.read()
    with open(out_json) as f:
        predictions = json.load(f)
    return dict(metrics=metrics, log=log, predictions=predictions)


def run(cmd, cwd=None, env_extra=None, timeout=600, pythonpath=True):
    """Run a command; fail with its output when it fails."""
    env = dict(os.environ)
    env.pop('PAIR_TRUST_CHECKPOINT', None)
    env['OMP_NUM_THREADS'] = '1'
    # the venv's python, torchrun and mim come first (tools/dist_*.sh call `python`)
    env['PATH'] = osp.dirname(PYTHON) + os.pathsep + env.get('PATH', '')
    if pythonpath:
        env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.update(env_extra or {})
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'command failed ({proc.returncode}): {" ".join(map(str, cmd))}\n'
                             f'{proc.stdout[-6000:]}')
    return proc.stdout


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


#: what torchrun or gloo print when the port handed to them was taken in between
_PORT_TAKEN = ('EADDRINUSE', 'Address already in use')


def run_distributed(cmd, attempts: int = 3, env_extra=None, **kwargs):
    """Run ``tools/dist_*.sh`` on a free port (``PORT``); another port if it was taken.

    :func:`free_port` can only say that a port was free a moment ago: another process
    may bind it before torchrun does. Only that failure is retried; any other fails at
    once with the command's output.
    """
    for attempt in range(attempts):
        try:
            return run(cmd, env_extra=dict(env_extra or {}, PORT=str(free_port())), **kwargs)
        except AssertionError as error:
            if attempt == attempts - 1 or not any(s in str(error) for s in _PORT_TAKEN):
                raise
