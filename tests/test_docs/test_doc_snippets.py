"""Every code block of README.md and docs/inference.md runs as written, or says why not.

The blocks run in a folder laid out as ``make demo`` leaves a checkout: ``tools/``,
``configs/pairnet_r18_synthetic.py``, ``work_dirs/main_job/epoch_26.pth`` and
``data/synthetic/``. A tiny model with the synthetic set's classes stands in for the trained
one (same config file name, shrunk) and the session's tiny synthetic set for the generated
one, so the code of each block is the code a reader types. Python blocks run in-process;
``python tools/...`` commands run their script in-process with the command's arguments.

A block or command that needs PaIR data, a GPU, an exported graph or a 40-minute training
is listed in :data:`NOT_RUN` with the reason; a new one that is neither run nor listed fails
:func:`test_every_snippet_is_run_or_says_why_not`.
"""
import json
import os
import os.path as osp
import re
import runpy
import shlex
import sys
from typing import List, Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint
from mmengine.runner.checkpoint import weights_to_cpu

from tests.helpers import CONFIGS, REPO, run, shrink_small_model

DOCS = ('README.md', 'docs/inference.md')

#: commands and blocks not run here, by how they start, and why
NOT_RUN = {
    'make demo':
    'installs, then trains for about 40 minutes (tools/main_job.sh)',
    'make test':
    'installs, then runs this test suite',
    'source .venv/bin/activate':
    'changes the reader\'s shell only',
    'mim train pair_plugin configs/pairnet_r18_synthetic.py':
    'trains for about 40 minutes (make demo runs it)',
    'mim train pair_plugin configs/pairnet_r50_pair1.py':
    'needs 8 GPUs and the PaIR data',
    'tools/dist_train.sh':
    'needs 8 GPUs and the PaIR data',
    'mim test pair_plugin configs/pairnet_r50_pair1.py':
    'needs the PaIR data and an R50 checkpoint',
    'python tools/demo/image_demo.py data/synthetic/images/test/ configs/pairnet_r18_synthetic.py '
    'work_dirs/deploy/pairnet_r18.onnx':
    'needs the exported graph: tests/test_deployment/test_backends.py runs the demo on one',
    "onnx = PaIRInferencer(weights='work_dirs/deploy/pairnet_r18.onnx'":
    'needs the exported graphs: tests/test_deployment/test_backends.py runs PaIRInferencer on one',
}


def code_blocks(doc: str) -> List[Tuple[str, str]]:
    """``(language, text)`` of each fenced code block of ``doc`` (relative to the repo)."""
    with open(osp.join(REPO, doc)) as f:
        return re.findall(r'^```(\w*)\n(.*?)^```', f.read(), flags=re.S | re.M)


def commands(text: str) -> List[str]:
    """The commands of a bash block: continuation lines joined, comments dropped."""
    joined = re.sub(r'\\\n\s*', '', text)
    return [
        re.sub(r'\s+#.*$', '', line).strip() for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]


def not_run_reason(snippet: str):
    return next((why for start, why in NOT_RUN.items() if snippet.startswith(start)), None)


def snippets(doc: str) -> List[Tuple[str, str]]:
    """``(kind, text)``: each python block whole, each command of a bash block."""
    found = []
    for language, text in code_blocks(doc):
        if language == 'python':
            found.append(('python', text))
        elif language == 'bash':
            found.extend(('bash', command) for command in commands(text))
    return found


def runnable(kind: str, text: str) -> bool:
    if not_run_reason(text) is not None:
        return False
    return kind == 'python' or text.startswith(('python tools/', 'mim search'))


@pytest.mark.parametrize('doc', DOCS)
def test_every_snippet_is_run_or_says_why_not(doc):
    found = snippets(doc)
    assert found, f'{doc}: no code block found'
    unclassified = [
        text for kind, text in found if not runnable(kind, text) and not_run_reason(text) is None
    ]
    assert not unclassified, (f'{doc}: add these to NOT_RUN with the reason, or make them '
                              f'runnable here: {unclassified}')


@pytest.fixture(scope='module')
def checkout(tmp_path_factory, tiny_data):
    """A folder as ``make demo`` leaves a checkout, with a tiny stand-in model."""
    root = tmp_path_factory.mktemp('checkout')
    os.symlink(osp.join(REPO, 'tools'), root / 'tools')
    os.makedirs(root / 'data')
    os.symlink(tiny_data, root / 'data' / 'synthetic')
    with open(osp.join(tiny_data, 'annotations', 'test.json')) as f:
        metainfo = json.load(f)['metainfo']
    cfg = Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py'))
    shrink_small_model(cfg.model, len(metainfo['objects']), len(metainfo['actions']))
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0, persistent_workers=False)
        for step in cfg[loader].dataset.pipeline:
            if step['type'] == 'Resize':
                step['scale'] = (128, 96)
    os.makedirs(root / 'configs')
    cfg.dump(str(root / 'configs' / 'pairnet_r18_synthetic.py'))

    from pair_plugin.apis import build_detector
    torch.manual_seed(0)
    model = build_detector(cfg)
    os.makedirs(root / 'work_dirs' / 'main_job')
    save_checkpoint(
        dict(
            meta=dict(dataset_meta=dict(metainfo, classes=metainfo['objects']), epoch=26),
            state_dict=weights_to_cpu(model.state_dict())),
        str(root / 'work_dirs' / 'main_job' / 'epoch_26.pth'))

    writer = cv2.VideoWriter(str(root / 'clip.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 10, (96, 72))
    rng = np.random.default_rng(0)
    for _ in range(3):
        writer.write(rng.integers(0, 256, (72, 96, 3), dtype=np.uint8))
    writer.release()
    return dict(root=root, metainfo=metainfo)


def run_snippet(kind: str, text: str, where: str, monkeypatch) -> dict:
    """Run one snippet in the current folder; the python namespace it leaves, or
    ``{'exit': status}`` of a command."""
    if kind == 'python':
        namespace = {}
        exec(compile(text, where, 'exec'), namespace)  # noqa: S102 (the docs' own code)
        return namespace
    if text.startswith('mim '):
        return dict(output=run(shlex.split(text), pythonpath=False, timeout=300))
    argv = shlex.split(text)
    assert argv[0] == 'python' and argv[1].startswith('tools/'), text
    monkeypatch.setattr(sys, 'argv', argv[1:])
    try:
        runpy.run_path(argv[1], run_name='__main__')
    except SystemExit as end:
        return dict(exit=end.code)
    return dict(exit=0)


def run_doc(doc: str, checkout, monkeypatch) -> List[Tuple[str, dict]]:
    monkeypatch.chdir(checkout['root'])
    monkeypatch.setenv('LOCAL_RANK', '0')  # tools/test.py sets it
    results = []
    for index, (kind, text) in enumerate(snippets(doc)):
        if runnable(kind, text):
            result = run_snippet(kind, text, f'{doc} snippet {index}', monkeypatch)
            assert result.get('exit') in (None, 0), f'{doc}: {text} exited {result["exit"]}'
            results.append((text, result))
    return results


def test_readme_snippets_run(checkout, monkeypatch):
    results = run_doc('README.md', checkout, monkeypatch)
    assert [text.split('\n')[0] for text, _ in results
            ] == ['mim search pair_plugin', 'from pair_plugin.apis import PaIRInferencer']
    assert 'config id: pairnet_r50_pair1' in results[0][1]['output']
    namespace = results[1][1]
    assert [p['file_name'] for p in namespace['results']['predictions']
            ] == ['000000.jpg', '000001.jpg', '000002.jpg']
    out = checkout['root'] / 'outputs'
    assert sorted(os.listdir(out / 'vis')) == ['000000.png', '000001.png', '000002.png']
    with open(out / 'predictions.json') as f:
        assert len(json.load(f)) == 3


def test_inference_doc_snippets_run(checkout, monkeypatch, capsys):
    results = dict(run_doc('docs/inference.md', checkout, monkeypatch))
    assert len(results) == 4
    root = checkout['root']
    namespace = next(r for text, r in results.items() if text.startswith('from pair_plugin'))
    assert len(namespace['result']['predictions']) == 3
    objects, actions = namespace['names']
    assert list(objects) == checkout['metainfo']['objects']
    assert list(actions) == checkout['metainfo']['actions']
    assert all(hoi['score'] > 0.3 for hoi in namespace['entry']['hois'])
    written = sorted(os.listdir(root / 'outputs' / 'pred'))
    assert written == ['pred_masks', 'predictions.json', 'vis']
    # the image demo: the folder's 3 test images, three outputs each
    demo = sorted(os.listdir(root / 'outputs' / 'demo'))
    assert demo == sorted(f'{stem}{end}' for stem in ('000000', '000001', '000002')
                          for end in ('.json', '.png', '_contact.png')), demo
    assert (root / 'outputs' / 'clip.mp4').stat().st_size > 0
    printed = capsys.readouterr().out
    assert f'maps (<name>_contact.png) to {root}/outputs/demo' in printed
    assert f'wrote {root}/outputs/clip.mp4' in printed
    # tools/test.py --show-dir: one picture per test image, and the line naming where
    (line, ) = [line for line in printed.splitlines() if 'tools/test.py wrote:' in line]
    pictures = re.search(r'pictures (\S+)', line).group(1)
    assert pictures.startswith(f'{root}/work_dirs/pairnet_r18_synthetic/')
    assert pictures.endswith('/vis') and len(os.listdir(pictures)) > 0
    assert re.search(r'log (\S+\.log);', line) and re.search(r'metrics (\S+\.json)', line)
