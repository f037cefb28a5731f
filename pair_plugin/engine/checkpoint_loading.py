"""Loading mmengine checkpoints under torch >= 2.6 without unpickling arbitrary code.

torch 2.6 made ``torch.load(weights_only=True)`` the default; mmengine 0.10.7 calls
``torch.load`` without the argument and its own checkpoints hold more than tensors (the
message hub's ``HistoryBuffer``, numpy arrays and scalars), so ``--resume`` fails with
``Unsupported global: mmengine.logging.history_buffer.HistoryBuffer`` (mmengine#1655).

This module replaces mmengine's loader for local paths by one that keeps
``weights_only=True`` and allow-lists exactly the types that mmengine writes. Only when the
user asks for it (``tools/train.py --trust-checkpoint`` or ``PAIR_TRUST_CHECKPOINT=1``) is
a checkpoint unpickled in full, which runs whatever code the file contains.
"""
import os
import os.path as osp
import pickle
from collections import OrderedDict, defaultdict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

#: environment variable that allows full unpickling of trusted checkpoints
TRUST_ENV = 'PAIR_TRUST_CHECKPOINT'


def _numpy_safe_globals() -> list:
    """The numpy callables and types that a pickled array or scalar refers to."""
    found = [np.ndarray, np.dtype]
    for module_name in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct'])
        except ImportError:
            continue
        found += [module._reconstruct, module.scalar]
    # dtype classes (numpy >= 1.25 pickles ``np.dtype('float64')`` as Float64DType)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return found


#: HistoryBuffer's default statistics (``_statistics_methods`` is filled only once a
#: buffer has been created in the process)
_HISTORY_BUFFER_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj, name):
    """The only ``getattr`` a checkpoint may call: a HistoryBuffer's statistics method.

    mmengine pickles each ``HistoryBuffer`` with its statistics methods
    (``getattr(HistoryBuffer, 'min')``); a general ``getattr`` would hand any attribute
    of an allowed object to the unpickler.
    """
    allowed = _HISTORY_BUFFER_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is not HistoryBuffer or name not in allowed:
        raise pickle.UnpicklingError(
            f'checkpoint asks for getattr({obj!r}, {name!r}), '
            'which is not a HistoryBuffer statistics method')
    return getattr(obj, name)


#: every global that an mmengine 0.10.7 checkpoint written by pair_plugin refers to
SAFE_GLOBALS = [
    HistoryBuffer, OrderedDict, defaultdict, *_numpy_safe_globals(),
    (_history_buffer_getattr, '__builtin__.getattr'),
    (_history_buffer_getattr, 'builtins.getattr')
]


def full_unpickling_allowed() -> bool:
    return os.environ.get(TRUST_ENV, '0').lower() in ('1', 'true', 'yes')


def load_checkpoint_file(filename: str, map_location=None):
    """``torch.load`` a local checkpoint, ``weights_only`` unless the user trusts it.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        RuntimeError: the file holds a type outside :data:`SAFE_GLOBALS`; the message
            says how to load it in full if the file is trusted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    if full_unpickling_allowed():
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises UnpicklingError wrapped variously
        if 'weights_only' not in str(err) and 'Unsupported global' not in str(err):
            raise
        raise RuntimeError(
            f'{filename}: refusing to unpickle a type that is not on the '
            f'allow-list of pair_plugin.engine.checkpoint_loading ({err}). If you '
            f'trust this file, load it in full with --trust-checkpoint or '
            f'{TRUST_ENV}=1 (that runs any code stored in it).') from err


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None):
    """mmengine's loader for local paths (``prefixes=''``), made safe for torch >= 2.6."""
    return load_checkpoint_file(filename, map_location=map_location)
