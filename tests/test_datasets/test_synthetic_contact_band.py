"""The synthetic generator's contact band (``contact_band`` / ``--contact-band``)."""
import numpy as np
import pytest
from PIL import Image

from pair_plugin.datasets.synthetic import generate_synthetic_dataset
from pair_plugin.datasets.synthetic.scene import CONTACT_BAND, SceneRejected, render_scene
from pair_plugin.datasets.synthetic.writer import generate_split
from tests.helpers import load_tool


def _scene_pair(seed, thin, thick, size=(160, 160)):
    """The same scene rendered with two bands, or None when it is rejected."""
    try:
        a = render_scene(np.random.default_rng(seed), *size, band_frac=thin)
        b = render_scene(np.random.default_rng(seed), *size, band_frac=thick)
    except SceneRejected:
        return None
    return a, b


def test_a_wider_band_labels_a_superset_of_the_pixels():
    assert CONTACT_BAND == 0.08
    compared = 0
    thin_total = thick_total = 0
    for seed in range(40):
        pair = _scene_pair(seed, 0.02, CONTACT_BAND)
        if pair is None or not pair[0].interactions:
            continue
        thin, thick = pair
        # the band changes only the labels, not the drawing
        np.testing.assert_array_equal(thin.image, thick.image)
        assert thin.instances == thick.instances
        # every thin-band contact pixel is contact in the wide band, with the same part
        on = thin.contact_map > 0
        np.testing.assert_array_equal(thick.contact_map[on], thin.contact_map[on])
        for a, b in zip(thin.interactions, thick.interactions):
            assert set(a['contact_parts']) <= set(b['contact_parts'])
        thin_total += int(on.sum())
        thick_total += int((thick.contact_map > 0).sum())
        compared += 1
        if compared == 6:
            break
    assert compared == 6
    # 2-3 px against 8-18 px at this size: well over twice the pixels
    assert thick_total > 2 * thin_total


def test_contact_band_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match='contact_band must be > 0, got 0'):
        generate_split(str(tmp_path), 'train', 1, img_size=96, contact_band=0)
    tool = load_tool('tools/data/generate_synthetic.py')
    with pytest.raises(SystemExit):
        tool.parse_args(['--contact-band', '-0.1'])
    assert tool.parse_args([]).contact_band == CONTACT_BAND


def test_cli_passes_the_band_to_the_generator(tmp_path):
    tool = load_tool('tools/data/generate_synthetic.py')
    common = [
        '--num-train', '3', '--num-val', '0', '--num-test', '0', '--img-size', '128', '--seed', '2'
    ]
    tool.main(['--out', str(tmp_path / 'cli')] + common + ['--contact-band', '0.12'])
    generate_synthetic_dataset(
        str(tmp_path / 'api'), 3, 0, 0, img_size=128, seed=2, progress=False, contact_band=0.12)
    generate_synthetic_dataset(
        str(tmp_path / 'default'), 3, 0, 0, img_size=128, seed=2, progress=False)

    def read(name):
        return [
            np.array(Image.open(tmp_path / name / 'masks' / 'train' / f'{i:06d}.png'))
            for i in range(3)
        ]

    cli, api, default = read('cli'), read('api'), read('default')
    for a, b in zip(cli, api):
        np.testing.assert_array_equal(a, b)
    assert sum(int((m > 0).sum()) for m in cli) > sum(int((m > 0).sum()) for m in default)
