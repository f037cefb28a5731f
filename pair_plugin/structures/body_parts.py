"""The 17 contactable body parts, with the ids HOT's masks use.

Id 0 is "no contact" and 255 "not annotated" in every contact map; ids 1..17 are parts.
Part vectors (CPAM's targets and outputs) have 17 entries, entry ``k - 1`` for part ``k``.
"""
import numpy as np

NUM_PARTS = 17
IGNORE_INDEX = 255

#: names of parts 1..17 (index ``k - 1``)
BODY_PARTS = ('head', 'chest', 'back', 'left upper arm', 'left forearm', 'left hand',
              'right upper arm', 'right forearm', 'right hand', 'butt', 'hip', 'left thigh',
              'left calf', 'left foot', 'right thigh', 'right calf', 'right foot')

#: (left, right) part ids exchanged by a horizontal flip
FLIP_PAIRS = ((4, 7), (5, 8), (6, 9), (12, 15), (13, 16), (14, 17))

#: one RGB colour per part id 0..17 (0 = no contact, black), distinct hues
PART_PALETTE = np.array(
    [[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
     [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128],
     [220, 190, 255], [170, 110, 40], [255, 250, 200], [128, 0, 0], [170, 255, 195], [128, 128, 0]],
    dtype=np.uint8)


def _flip_lut() -> np.ndarray:
    lut = np.arange(256, dtype=np.uint8)
    for left, right in FLIP_PAIRS:
        lut[left], lut[right] = right, left
    return lut


#: ``FLIP_LUT[mask]`` relabels a contact map after a horizontal flip
FLIP_LUT = _flip_lut()

#: ``parts[..., FLIP_PERMUTATION]`` relabels a 17-entry part vector after a flip
FLIP_PERMUTATION = FLIP_LUT[1:NUM_PARTS + 1].astype(np.int64) - 1


def flip_contact_map(contact_map: np.ndarray) -> np.ndarray:
    """Swap left and right part ids of a uint8 contact map (0, 1..17, 255 kept)."""
    return FLIP_LUT[contact_map]


def flip_part_vector(parts: np.ndarray) -> np.ndarray:
    """Swap left and right entries of part vectors ``(..., 17)``."""
    return parts[..., FLIP_PERMUTATION]


def flip_part_ids(part_ids):
    """Swap left and right part ids in a list of ids 1..17."""
    return [int(FLIP_LUT[p]) for p in part_ids]
