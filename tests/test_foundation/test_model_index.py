"""The model index: ``mim search pair_plugin`` lists PaIR-Net's models and the paper's
comparison systems from the installed package, and every config the metafile names exists,
builds the model its collection says, and reports the metrics of the tasks that model does."""
import os.path as osp
import re

import pytest
import torch
import yaml
from mmengine.config import Config

from tests.helpers import PYTHON, REPO, load_tool, run

METAFILE = osp.join(REPO, 'configs', 'metafile.yml')
HOI, CONTACT = 'Human-Object Interaction Detection', 'Contact Segmentation'
#: the Results each task reports
METRICS = {HOI: {'mAP'}, CONTACT: {'SC-Acc', 'C-Acc', 'mIoU', 'wIoU'}}
#: the tasks each model type predicts (a model of one task reports that task only)
TASKS = {
    'PaIRNet': {HOI, CONTACT},
    'TwoModelPipeline': {HOI, CONTACT},
    'HOIDetector': {HOI},
    'ContactSegmenter': {CONTACT},
}
#: the model types each collection holds
COLLECTION_TYPES = {
    'PaIR-Net': {'PaIRNet'},
    'PaIR-Net, one module replaced': {'PaIRNet'},
    'Two-model baselines': {'HOIDetector', 'ContactSegmenter', 'TwoModelPipeline'},
}
#: the paper config a Table 5/6 entry replaces one module of
PAPER_R50 = osp.join(REPO, 'configs', 'pairnet_r50_pair1.py')


def _metafile() -> dict:
    with open(METAFILE) as f:
        return yaml.safe_load(f)


MODELS = _metafile()['Models']
BY_CONFIG = {m['Config']: m for m in MODELS}


def expected_source(model: dict) -> str:
    """The start of ``Results From`` that an entry must have: the paper's table its numbers
    come from (Tables 1-2 by dataset for PaIR-Net, 5 for IIM replaced, 6 for PGCS replaced,
    1 for the two-model baselines), or this project for the synthetic set."""
    collection, name = model['In Collection'], model['Name']
    if collection == 'PaIR-Net':
        data = model['Metadata']['Training Data']
        return {
            'PaIR-1': 'the paper, Table 1',
            'PaIR-2': 'the paper, Table 2'
        }.get(data, 'this project')
    if collection == 'PaIR-Net, one module replaced':
        return 'the paper, Table 5, row' if '_iim-' in name else 'the paper, Table 6, row'
    return 'the paper, Table 1, row'


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
    assert 'two-model baselines' in out and 'the paper, table 6, row unet' in out


@pytest.mark.parametrize('model', MODELS, ids=[m['Name'] for m in MODELS])
def test_metafile_entry_names_a_config_that_builds(model):
    collections = {c['Name'] for c in _metafile()['Collections']}
    assert model['In Collection'] in collections
    config = osp.join(REPO, model['Config'])
    assert osp.isfile(config), model['Config']
    assert osp.splitext(osp.basename(config))[0] == model['Name']
    model_type = Config.fromfile(config).model.type
    assert model_type in COLLECTION_TYPES[model['In Collection']]
    assert 'Weights' not in model  # nothing is released
    assert {
        r['Task']: set(r['Metrics'])
        for r in model['Results']
    } == {
        task: METRICS[task]
        for task in TASKS[model_type]
    }
    assert all(model['Metadata']['Training Data'].startswith(r['Dataset'])
               for r in model['Results'])
    assert model['Metadata']['Results From'].startswith(expected_source(model))


REPLACEMENTS = [m for m in MODELS if m['In Collection'] == 'PaIR-Net, one module replaced']


@pytest.mark.parametrize('model', REPLACEMENTS, ids=[m['Name'] for m in REPLACEMENTS])
def test_table5_and_table6_entries_replace_one_head_of_pairnet_r50(model):
    """Table 5 replaces the IIM, Table 6 PGCS; the other head, CPAM and the Mask-Guided RoI
    Feature are PaIR-Net R50's."""
    cfg = Config.fromfile(osp.join(REPO, model['Config'])).model
    paper = Config.fromfile(PAPER_R50).model
    replaced, kept = ('interaction_head',
                      'contact_head') if '_iim-' in model['Name'] else ('contact_head',
                                                                        'interaction_head')
    assert cfg[replaced].type != paper[replaced].type
    assert cfg[kept] == paper[kept]
    assert cfg.cpam == paper.cpam and cfg.mask_guided_feature == paper.mask_guided_feature


PIPELINES = [
    m for m in MODELS
    if Config.fromfile(osp.join(REPO, m['Config'])).model.type == 'TwoModelPipeline'
]


@pytest.mark.parametrize('model', PIPELINES, ids=[m['Name'] for m in PIPELINES])
def test_pipeline_entries_are_their_two_models(model):
    """A pipeline's halves are the standalone entries its name says (``det+seg``), and its
    Parameters and FLOPs are their sums."""
    cfg = Config.fromfile(osp.join(REPO, model['Config'])).model
    detector, segmenter = re.fullmatch(r'(\w+)\+(\w+)_r50_pair1', model['Name']).groups()
    halves = (BY_CONFIG[cfg.hoi_detector.config], BY_CONFIG[cfg.contact_segmenter.config])
    assert [h['Name'] for h in halves] == [f'{detector}_r50_pair1', f'{segmenter}_r50_pair1']
    for key in ('Parameters', 'FLOPs'):
        assert model['Metadata'][key] == sum(h['Metadata'][key] for h in halves)


class FirstChannel(torch.nn.Module):
    """A stand-in person segmenter or depth estimator: the image's first channel."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return image[:, :1]


class SameImage(torch.nn.Module):
    """A stand-in inpainter: the image unchanged."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image


@pytest.fixture(scope='module')
def frozen_networks(tmp_path_factory):
    """TorchScript files for PIHOT's three frozen networks, which its configs need to build
    (they are never counted)."""
    root = tmp_path_factory.mktemp('frozen_networks')
    files = {}
    for key, module in (('person_segmenter', FirstChannel()), ('inpainter', SameImage()),
                        ('depth_estimator', FirstChannel())):
        files[key] = str(root / f'{key}.pt')
        torch.jit.save(torch.jit.script(module), files[key])
    return files


def with_frozen_networks(cfg: Config, files: dict) -> Config:
    """``cfg`` with PIHOT's frozen networks set to ``files``, in a PIHOT model or in the
    contact half of a pipeline; other configs unchanged."""
    if cfg.model.type == 'TwoModelPipeline':
        backbone = cfg.model.contact_segmenter.get('cfg_options', {}).get('model',
                                                                          {}).get('backbone')
    else:
        backbone = cfg.model.backbone if cfg.model.backbone.type == 'PIHOTBackbone' else None
    for key, path in files.items() if backbone else ():
        backbone[key]['checkpoint'] = path
    return cfg


@pytest.mark.parametrize(
    'model', [m for m in MODELS if 'swin-l' not in m['Name']], ids=lambda m: m['Name'])
def test_metafile_parameters_are_the_configs(model, frozen_networks):
    """The Parameters of the metafile are those of the model its config builds (Swin-L, whose
    224 M parameters cannot be built on the meta device, is left to count_params.py)."""
    count_params = load_tool('tools/analysis/count_params.py')
    cfg = with_frozen_networks(Config.fromfile(osp.join(REPO, model['Config'])), frozen_networks)
    counts = count_params.count_params(count_params.build_model(cfg, 'meta'))
    assert counts['total'] == model['Metadata']['Parameters']


def test_configs_readme_lists_every_model():
    with open(osp.join(REPO, 'configs', 'README.md')) as f:
        readme = f.read()
    for model in MODELS:
        assert model['Config'].split('/', 1)[1] in readme, model['Name']
