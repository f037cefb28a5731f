"""The model index: ``mim search pair_plugin`` lists PaIR-Net's models from the installed
package, and every config the metafile names exists and builds."""
import os.path as osp

import pytest
import yaml
from mmengine.config import Config

from tests.helpers import PYTHON, REPO, load_tool, run

METAFILE = osp.join(REPO, 'configs', 'metafile.yml')
#: the Results each model reports, by task
METRICS = {
    'Human-Object Interaction Detection': {'mAP'},
    'Contact Segmentation': {'SC-Acc', 'C-Acc', 'mIoU', 'wIoU'},
}


def _metafile() -> dict:
    with open(METAFILE) as f:
        return yaml.safe_load(f)


MODELS = _metafile()['Models']


def test_model_index_imports_the_metafile():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        assert yaml.safe_load(f) == {'Import': ['configs/metafile.yml']}


def test_mim_search_lists_the_models():
    """``mim`` of the venv reads ``model-index.yml`` from the installed package (not from
    this checkout: no PYTHONPATH), as a user's ``mim search`` does."""
    out = run([osp.join(osp.dirname(PYTHON), 'mim'), 'search', 'pair_plugin'],
              cwd=osp.dirname(REPO),
              pythonpath=False,
              timeout=300)
    listed = {
        line.split(':', 1)[1].strip()
        for line in out.splitlines() if line.startswith('config id:')
    }
    assert listed == {m['Name'] for m in MODELS}
    assert 'pair-1/map' in out and 'pair-2/wiou' in out
    assert 'the paper, table 1 (not reproduced here)' in out


@pytest.mark.parametrize('model', MODELS, ids=[m['Name'] for m in MODELS])
def test_metafile_entry_names_a_config_that_builds(model):
    collections = {c['Name'] for c in _metafile()['Collections']}
    assert model['In Collection'] in collections
    config = osp.join(REPO, model['Config'])
    assert osp.isfile(config), model['Config']
    assert osp.splitext(osp.basename(config))[0] == model['Name']
    cfg = Config.fromfile(config)
    assert cfg.model.type == 'PaIRNet'
    assert 'Weights' not in model  # nothing is released
    assert {r['Task']: set(r['Metrics']) for r in model['Results']} == METRICS
    assert all(r['Dataset'] for r in model['Results'])
    assert model['Metadata']['Results From']


@pytest.mark.parametrize(
    'model', [m for m in MODELS if 'swin-l' not in m['Name']], ids=lambda m: m['Name'])
def test_metafile_parameters_are_the_configs(model):
    """The Parameters of the metafile are those of the model its config builds (Swin-L, whose
    224 M parameters cannot be built on the meta device, is left to count_params.py)."""
    count_params = load_tool('tools/analysis/count_params.py')
    cfg = Config.fromfile(osp.join(REPO, model['Config']))
    counts = count_params.count_params(count_params.build_model(cfg, 'meta'))
    assert counts['total'] == model['Metadata']['Parameters']


def test_configs_readme_lists_every_model():
    with open(osp.join(REPO, 'configs', 'README.md')) as f:
        readme = f.read()
    for model in MODELS:
        assert model['Config'].split('/', 1)[1] in readme, model['Name']
