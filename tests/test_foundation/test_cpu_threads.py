"""set_cpu_threads: half the cores on the CPU unless OMP_NUM_THREADS says otherwise."""
import torch

from pair_plugin.engine import set_cpu_threads


def test_half_the_cores_without_omp_num_threads(monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    for cores, expected in ((1, 1), (2, 1), (3, 1), (16, 8)):
        monkeypatch.setattr('os.cpu_count', lambda: cores)
        assert set_cpu_threads(device_is_cpu=True) == expected
        assert torch.get_num_threads() == expected


def test_left_alone_on_an_accelerator_or_when_the_user_chose(monkeypatch):
    torch.set_num_threads(1)
    monkeypatch.setattr('os.cpu_count', lambda: 16)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    assert set_cpu_threads(device_is_cpu=False) is None
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    assert set_cpu_threads(device_is_cpu=True) is None
    assert torch.get_num_threads() == 1
