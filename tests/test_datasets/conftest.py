"""Fixtures of the data tests."""
import pytest
from mmengine.registry import init_default_scope
from pair_data_factory import write_dataset

import pair_plugin.datasets  # noqa: F401  (registers the dataset and transforms)


@pytest.fixture(autouse=True)
def pair_scope():
    """Build transforms in pair_plugin's registry scope, as configs do."""
    init_default_scope('pair_plugin')
    yield


@pytest.fixture
def hand_dataset(tmp_path):
    """The three hand-made images above, written to ``tmp_path``."""
    return write_dataset(tmp_path)
