"""Pieces that models share: a frozen pretrained network supplied by the user."""
from .frozen_network import FrozenPretrainedNetwork

__all__ = ['FrozenPretrainedNetwork']
