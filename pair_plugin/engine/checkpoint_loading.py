"""Loading mmengine checkpoints under torch >= 2.6 without unpickling arbitrary code.

torch 2.6 made ``torch.load(weights_only=True)`` the default; mmengine 0.10.7 calls
``torch.load`` without the argument and its own checkpoints hold more than tensors (the
message hub's ``HistoryBuffer``, numpy arrays and scalars), so ``--resume`` fails with
``Unsupported global: mmengine.logging.history_buffer.HistoryBuffer`` (mmengine#1655).

This module replaces mmengine's loader for local paths by one that keeps
``weights_only=True`` and allow-lists exactly the types that mmengine writes. Only when the
user asks for it (``tools/train.py --trust-checkpoint`` or ``PAIR_TRUST_CHECKPOINT=1``) is
a checkpoint unpickled in full, which runs whatever code the file contains.

It also replaces mmengine's remote schemes (``http(s)://``, ``torchvision://``,
``open-mmlab://``, ``mmcls://``), as the configs name pretrained backbones the way mmdet's do
(``checkpoint='torchvision://resnet50'``). They resolve the name to a URL as mmengine does,
look in torch's hub cache first (``<torch.hub.get_dir()>/checkpoints/<file name>``, where
mmengine keeps its downloads too), download there once if the file is absent, and load the
file with the same ``weights_only`` loader. Without network the download fails with
:class:`CheckpointDownloadError`, which names the URL, the hub cache file that would be used
without network, and the config key that points at a local copy instead.

Every local load checks the file first (:mod:`pair_plugin.engine.checkpoint_integrity`): its
sha256 sidecar if it has one, then that it reads as a checkpoint, then that its weights and
optimizer state are finite. A damaged file is refused with
:class:`~pair_plugin.engine.checkpoint_integrity.CheckpointIntegrityError` naming it.
"""
import http.client
import os
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict, defaultdict
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint_integrity import CheckpointIntegrityError, check_finite, verify_sidecar

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
        found += [getattr(dtypes, name) for name in dir(dtypes) if name.endswith('DType')]
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
        raise pickle.UnpicklingError(f'checkpoint asks for getattr({obj!r}, {name!r}), '
                                     'which is not a HistoryBuffer statistics method')
    return getattr(obj, name)


#: every global that an mmengine 0.10.7 checkpoint written by pair_plugin refers to
SAFE_GLOBALS = [
    HistoryBuffer, OrderedDict, defaultdict, *_numpy_safe_globals(),
    (_history_buffer_getattr, '__builtin__.getattr'), (_history_buffer_getattr, 'builtins.getattr')
]


def full_unpickling_allowed() -> bool:
    return os.environ.get(TRUST_ENV, '0').lower() in ('1', 'true', 'yes')


#: what torch's weights-only unpickler (and :func:`_history_buffer_getattr`) say about a type
#: that is not allow-listed; anything else it raises ('Unsupported operand', ...) is damage
_FOREIGN_TYPE_MARKERS = ('Unsupported global', 'allowlisted', 'unrecognized function',
                         'asks for getattr')


def _unreadable(filename: str, err: Exception) -> CheckpointIntegrityError:
    return CheckpointIntegrityError(
        filename, f'cannot be read as a PyTorch checkpoint ({type(err).__name__}: {err}); '
        'the file is damaged or incomplete (a write cut short?). Use an earlier checkpoint')


def _torch_load(filename: str, map_location):
    """``torch.load``, ``weights_only`` unless the user trusts the file."""
    if full_unpickling_allowed():
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if not any(marker in str(err) for marker in _FOREIGN_TYPE_MARKERS):
            raise _unreadable(filename, err) from err  # a damaged pickle
        raise RuntimeError(f'{filename}: refusing to unpickle a type that is not on the '
                           f'allow-list of pair_plugin.engine.checkpoint_loading ({err}). If you '
                           f'trust this file, load it in full with --trust-checkpoint or '
                           f'{TRUST_ENV}=1 (that runs any code stored in it).') from err


def load_checkpoint_file(filename: str, map_location=None):
    """``torch.load`` a local checkpoint, ``weights_only`` unless the user trusts it, and
    refuse it if it is damaged.

    The file is compared with its sha256 sidecar (``<file>.sha256``, written beside every
    checkpoint that training saves) if there is one, read, and its weights and optimizer
    state are checked for NaN and inf.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CheckpointIntegrityError: the file differs from its sidecar, cannot be read
            (empty, cut short, damaged), or holds NaN or inf in its weights or optimizer
            state; the message names the file (and the tensors).
        RuntimeError: the file holds a type outside :data:`SAFE_GLOBALS`; the message
            says how to load it in full if the file is trusted.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'checkpoint file not found: {filename}. Point the config key that names it at '
            'an existing file: model.backbone.init_cfg.checkpoint for a pretrained backbone '
            '(--cfg-options model.backbone.init_cfg.checkpoint=/path/to/file.pth, or '
            'model.backbone.init_cfg=None to start from random weights), load_from for a '
            'whole model; for --resume or tools/test.py, the path on the command line.')
    verify_sidecar(filename)
    if osp.getsize(filename) == 0:
        raise CheckpointIntegrityError(
            filename, 'empty file (0 bytes): a write that was cut short. Use an earlier '
            'checkpoint')
    try:
        checkpoint = _torch_load(filename, map_location)
    except (EOFError, UnicodeDecodeError, zipfile.BadZipFile) as err:
        raise _unreadable(filename, err) from err
    except (PermissionError, IsADirectoryError, FileNotFoundError):
        raise
    except OSError as err:  # torch's zip reader on some cut files: [Errno 22] Invalid argument
        raise _unreadable(filename, err) from err
    except RuntimeError as err:  # torch's zip reader: 'PytorchStreamReader failed ...'
        if 'PytorchStreamReader' not in str(err) and 'zip archive' not in str(err):
            raise
        raise _unreadable(filename, err) from err
    check_finite(checkpoint, filename)
    return checkpoint


@CheckpointLoader.register_scheme(prefixes='', force=True)
def load_from_local(filename: str, map_location=None):
    """mmengine's loader for local paths (``prefixes=''``), made safe for torch >= 2.6."""
    return load_checkpoint_file(filename, map_location=map_location)


# ----------------------------------------------------------------------- remote schemes
#: what a failed download raises: URLError, HTTPError, timeouts and SSL errors are OSErrors;
#: ValueError for a URL urllib cannot open; HTTPException for a connection cut mid-answer
_DOWNLOAD_ERRORS = (OSError, ValueError, http.client.HTTPException)


class CheckpointDownloadError(RuntimeError):
    """A remote checkpoint could not be downloaded (no network, unreachable, refused)."""


def hub_cache_file(url: str, model_dir=None) -> str:
    """The file that holds ``url`` in torch's hub cache.

    ``<torch.hub.get_dir()>/checkpoints/<file name of the URL>`` (``$TORCH_HOME/hub`` if set,
    else ``~/.cache/torch/hub``), or ``model_dir/<file name>``: where
    ``torch.hub.load_state_dict_from_url`` and mmengine keep their downloads.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    return osp.join(model_dir, osp.basename(urlparse(url).path))


def download_checkpoint(url: str, name=None, model_dir=None) -> str:
    """The local copy of ``url``: the hub cache's file, downloaded there first if absent.

    Args:
        url (str): an ``http(s)://`` URL.
        name (str, optional): what the config named (e.g. ``torchvision://resnet50``), for
            the error message. Defaults to ``url``.
        model_dir (str, optional): another cache folder (see :func:`hub_cache_file`).

    Returns:
        str: the path of the file.

    Raises:
        CheckpointDownloadError: the file is not cached and the download failed.
    """
    cached = hub_cache_file(url, model_dir)
    if osp.isfile(cached):
        return cached
    os.makedirs(osp.dirname(cached), exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, cached, progress=True)
    except _DOWNLOAD_ERRORS as err:
        named = f'{name} ({url})' if name and name != url else url
        raise CheckpointDownloadError(
            f'could not download the checkpoint {named}: {err}. Without network, either '
            f'copy the file to {cached} (torch\'s hub cache, read before any download; '
            f'$TORCH_HOME moves it), or point the config key that names it at a local copy, '
            f'e.g. --cfg-options model.backbone.init_cfg.checkpoint=/path/to/'
            f'{osp.basename(cached)} for a pretrained backbone (load_from=... for a whole '
            f'model).') from err
    return cached


def _fetch(url: str, name: str, model_dir=None) -> str:
    """:func:`download_checkpoint` on rank 0 first, then on the other ranks (from cache)."""
    rank, world_size = get_dist_info()
    if rank == 0:
        path = download_checkpoint(url, name, model_dir)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = download_checkpoint(url, name, model_dir)
    return path


@CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), force=True)
def load_from_http(filename: str, map_location=None, model_dir=None):
    """mmengine's ``http(s)://`` loader: cached or downloaded, then loaded safely."""
    return load_checkpoint_file(_fetch(filename, filename, model_dir), map_location)


@CheckpointLoader.register_scheme(prefixes=('modelzoo://', 'torchvision://'), force=True)
def load_from_torchvision(filename: str, map_location=None):
    """``torchvision://NAME``: torchvision's ImageNet weights of NAME (e.g. ``resnet50``,
    ``ResNet50_Weights.IMAGENET1K_V2``), resolved to a URL by mmengine's table."""
    model_name = filename.split('://', 1)[1]
    model_urls = mmengine_checkpoint.get_torchvision_models()
    if model_name not in model_urls:
        raise KeyError(f'{filename}: torchvision has no weights named {model_name!r} '
                       '(e.g. torchvision://resnet50, torchvision://resnet101)')
    return load_checkpoint_file(_fetch(model_urls[model_name], filename), map_location)


@CheckpointLoader.register_scheme(prefixes=('open-mmlab://', 'openmmlab://'), force=True)
def load_from_openmmlab(filename: str, map_location=None):
    """``open-mmlab://NAME``: OpenMMLab's released weights, by mmengine's table."""
    model_name = filename.split('://', 1)[1]
    model_name = mmengine_checkpoint.get_deprecated_model_names().get(model_name, model_name)
    model_url = mmengine_checkpoint.get_external_models().get(model_name)
    if model_url is None:
        raise KeyError(f'{filename}: mmengine has no OpenMMLab weights named {model_name!r}')
    if not model_url.startswith(('http://', 'https://')):  # a file under MMENGINE_HOME
        return mmengine_checkpoint.load_from_openmmlab(filename, map_location)
    return load_checkpoint_file(_fetch(model_url, filename), map_location)


@CheckpointLoader.register_scheme(prefixes='mmcls://', force=True)
def load_from_mmcls(filename: str, map_location=None):
    """``mmcls://NAME``: an mmcls backbone, its ``backbone.`` keys kept (as mmengine)."""
    model_name = filename[len('mmcls://'):]
    model_urls = mmengine_checkpoint.get_mmcls_models()
    if model_name not in model_urls:
        raise KeyError(f'{filename}: mmengine has no mmcls weights named {model_name!r}')
    checkpoint = load_checkpoint_file(_fetch(model_urls[model_name], filename), map_location)
    return mmengine_checkpoint._process_mmcls_checkpoint(checkpoint)
