"""The values of a data sample (tensors, mmdet boxes, arrays, lists) as numpy arrays."""
from typing import Any, Optional

import numpy as np


def to_numpy(value: Any, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """A data-sample value as a numpy array on the CPU.

    Accepts torch tensors on any device, mmdet box structures (their ``tensor``),
    numpy arrays, lists and scalars.

    Args:
        value: the value.
        dtype (np.dtype, optional): convert to this dtype.

    Returns:
        np.ndarray: the value, detached and copied to host memory when it was a tensor.
    """
    if hasattr(value, 'tensor'):
        value = value.tensor  # mmdet BaseBoxes
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array
