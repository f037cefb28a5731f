"""The DETR image half shared by the HOI transformers (DETREncoderTransformer)."""
import pytest
import torch

from pair_plugin.registry import MODELS
from tests.test_models.muren_ted_cases import small_muren_cfg, small_ted_cfg
from tests.test_models.pairnet_cases import small_iim_cfg
from tests.test_models.qpic_stip_cases import small_detr_transformer_cfg

TRANSFORMERS = dict(
    IIM=lambda: small_iim_cfg(in_channels=32),
    DETRTransformer=lambda: dict(small_detr_transformer_cfg(), in_channels=32),
    MURENTransformer=lambda: small_muren_cfg(32),
    TEDTransformer=lambda: small_ted_cfg(32))


@pytest.mark.parametrize('name', TRANSFORMERS)
def test_a_positional_encoding_not_half_the_width_is_refused_by_name(name):
    cfg = TRANSFORMERS[name]()
    num_feats = cfg['positional_encoding']['num_feats']
    cfg['positional_encoding'] = dict(num_feats=num_feats + 2, normalize=True)
    with pytest.raises(
            ValueError,
            match=f'^{name}: positional_encoding.num_feats '
            rf'\({num_feats + 2}\) must be half of the embedding width '
            rf'\({2 * num_feats}\)'):
        MODELS.build(cfg)


@pytest.mark.parametrize('name', TRANSFORMERS)
def test_padded_cells_change_nothing_of_the_image_cells(name):
    """An image padded on the right and bottom encodes, on its own cells, as the same image
    unpadded: the positions count only its cells, attention skips the padding."""
    torch.manual_seed(0)
    transformer = MODELS.build(TRANSFORMERS[name]()).eval()
    image = torch.randn(1, 32, 4, 5)
    padded = torch.randn(1, 32, 6, 8)  # the padding holds other values
    padded[..., :4, :5] = image
    padding_mask = torch.ones(1, 6, 8, dtype=torch.bool)
    padding_mask[:, :4, :5] = False

    memory, pos, key_padding_mask = transformer.encode(image)
    memory_p, pos_p, key_padding_mask_p = transformer.encode(padded, padding_mask)

    dims = transformer.embed_dims
    assert memory.shape == pos.shape == (1, 20, dims) and key_padding_mask is None
    assert memory_p.shape == pos_p.shape == (1, 48, dims)
    assert torch.equal(key_padding_mask_p, padding_mask.flatten(1))
    cells = (~padding_mask).flatten(1)[0]
    torch.testing.assert_close(pos_p[:, cells], pos)
    torch.testing.assert_close(memory_p[:, cells], memory, atol=1e-5, rtol=1e-4)
