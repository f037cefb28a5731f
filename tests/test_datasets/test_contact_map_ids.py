"""contact_map_ids: np.unique's answer for contact maps, from a histogram."""
import numpy as np
import pytest

from pair_plugin.structures import contact_map_ids


@pytest.mark.parametrize('dtype', [np.uint8, np.int64, np.int32])
def test_equals_np_unique(dtype):
    rng = np.random.default_rng(0)
    for ids in ([0], [0, 3, 17], [0, 5, 255], list(range(18)) + [255]):
        contact_map = rng.choice(ids, size=(37, 53)).astype(dtype)
        got = contact_map_ids(contact_map)
        assert got.tolist() == np.unique(contact_map).tolist()
        assert got.dtype == contact_map.dtype


def test_ids_beyond_a_byte_and_empty_maps_fall_back_to_np_unique():
    contact_map = np.array([[0, 300], [-2, 7]], dtype=np.int64)
    assert contact_map_ids(contact_map).tolist() == [-2, 0, 7, 300]
    assert contact_map_ids(np.zeros((0, 4), dtype=np.int64)).tolist() == []
    assert contact_map_ids(np.zeros((0, 4), dtype=np.uint8)).tolist() == []
