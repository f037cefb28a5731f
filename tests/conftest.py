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
