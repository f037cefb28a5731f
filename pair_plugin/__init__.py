"""PaIR-Net ("What-Meets-Where", AAAI 2026) as an OpenMMLab plugin.

Importing the package makes mmengine's checkpoint loading safe under torch >= 2.6 (see
:mod:`pair_plugin.engine.checkpoint_loading`). Components register themselves lazily through
the ``locations`` of :mod:`pair_plugin.registry` when a config with
``default_scope = 'pair_plugin'`` is built.
"""
from . import engine  # noqa: F401  (registers the safe checkpoint loader)
from .version import __version__

__all__ = ['__version__']
