"""The UNet, LinkNet and MANet contact heads: smp's decoders on the backbone's levels, their
configs (Table 6 in PaIR-Net, the standalone models of Tables 1-2) and a training step of
PaIR-Net with each. The interface contract is tested in test_head_interfaces.py."""
import os.path as osp

import pytest
import segmentation_models_pytorch as smp
import torch
from mmengine.config import Config
from pairnet_cases import build_model, preprocess, small_model_cfg, two_synthetic_samples

from pair_plugin.models.heads import LinkNetContactHead, MANetContactHead, UNetContactHead
from pair_plugin.registry import MODELS
from tests.helpers import CONFIGS, load_tool

count_tool = load_tool('tools/analysis/count_params.py')

NAMES = ('unet', 'linknet', 'manet')
HEAD_TYPES = dict(unet='UNetContactHead', linknet='LinkNetContactHead', manet='MANetContactHead')
#: a ResNet-50's stages
R50_CHANNELS = (256, 512, 1024, 2048)


def numel(module):
    return sum(p.numel() for p in module.parameters())


def conv_bn(cin, cout, k):
    """Parameters of smp's Conv2dReLU with BatchNorm (the convolution has no bias)."""
    return cin * cout * k * k + 2 * cout


def linknet_block(cin, cout):
    """Parameters of smp's LinkNet decoder block: 1x1 C -> C/4, 4x4 transposed (with bias)
    and BN, 1x1 C/4 -> out."""
    q = cin // 4
    return conv_bn(cin, q, 1) + (q * q * 16 + q + 2 * q) + conv_bn(q, cout, 1)


#: how many parameters each head has fewer (or more) than smp's own R50 model has in its
#: decoder and segmentation head, all at the stride-2 level, which the backbone does not
#: give: UNet's stride-2 block reads 64 channels instead of 64 + the stem's 64; LinkNet's
#: keeps the stride-4 level's 256 channels (blocks 256 -> 256 and 256 -> 32 instead of
#: 256 -> 64 -> 32); MANet's is a plain block (64 -> 32) instead of a fusion-attention block
#: on the stem (its 3x3 and 1x1 convolutions, two squeeze-excitations 64 -> 4 -> 64, and
#: the 64 skip channels of its first convolution)
STRIDE_2_DIFFERENCE = dict(
    unet=-64 * 32 * 9,
    linknet=(linknet_block(256, 256) + linknet_block(256, 32)) -
    (linknet_block(256, 64) + linknet_block(64, 32)),
    manet=-(conv_bn(64, 64, 3) + conv_bn(64, 64, 1) + 2 * (64 * 4 + 4 + 4 * 64 + 64) + 64 * 32 * 9))
SMP_MODELS = dict(unet=smp.Unet, linknet=smp.Linknet, manet=smp.MAnet)


@pytest.mark.parametrize('name', NAMES)
def test_the_head_is_smps_r50_decoder_but_for_the_stride_2_level(name):
    with torch.device('meta'):
        head = MODELS.build(dict(type=HEAD_TYPES[name], in_channels=R50_CHANNELS))
        reference = SMP_MODELS[name](encoder_name='resnet50', encoder_weights=None, classes=18)
    smp_head = numel(reference) - numel(reference.encoder)
    assert numel(head) - smp_head == STRIDE_2_DIFFERENCE[name]
    assert type(head.decoder) is type(reference.decoder)
    assert head.conv_seg[0].kernel_size == reference.segmentation_head[0].kernel_size


@pytest.mark.parametrize('name', NAMES)
def test_levels_that_do_not_halve_from_stride_4_are_refused(name):
    head = MODELS.build(dict(type=HEAD_TYPES[name], in_channels=(4, 4, 4, 4)))
    # an input of 80 px is not a multiple of 32: ResNet's levels round up (20, 10, 5, 3)
    feats = [torch.zeros(1, 4, s, s) for s in (20, 10, 5, 3)]
    with pytest.raises(ValueError, match='pad_size_divisor=32'):
        head(feats, (80, 80))
    # levels in the wrong order
    feats = [torch.zeros(1, 4, s, s) for s in (2, 4, 8, 16)]
    with pytest.raises(ValueError, match=r'strides 4 to 32'):
        head(feats, (64, 64))


def test_bad_configs_are_refused_with_the_reason():
    with pytest.raises(ValueError, match='must give 5 blocks'):
        UNetContactHead(in_channels=R50_CHANNELS, decoder_channels=(64, 32, 16))
    with pytest.raises(ValueError, match='must give 4 blocks'):
        MANetContactHead(in_channels=R50_CHANNELS[1:], in_index=(1, 2, 3))
    with pytest.raises(ValueError, match='reads several levels'):
        LinkNetContactHead(in_channels=2048, in_index=-1)


def test_three_levels_from_stride_4_give_s_at_the_input_size():
    head = LinkNetContactHead(in_channels=(8, 16, 32), in_index=(0, 1, 2), prefinal_channels=4)
    feats = [torch.randn(1, c, 64 // s, 32 // s) for c, s in ((8, 4), (16, 8), (32, 16))]
    assert head(feats, (64, 32)).shape == (1, 18, 64, 32)


def test_smps_initialisation_unless_init_cfg_says_otherwise():
    head = UNetContactHead(in_channels=(8, 16, 24, 32), decoder_channels=(16, 8, 8, 4, 4))
    torch.nn.init.constant_(head.conv_seg[0].bias, 1.0)
    head.init_weights()
    assert head.conv_seg[0].bias.abs().sum() == 0  # smp's Xavier head, bias 0
    other = UNetContactHead(
        in_channels=(8, 16, 24, 32),
        decoder_channels=(16, 8, 8, 4, 4),
        init_cfg=dict(type='Constant', layer='Conv2d', val=0.5, bias=0.5))
    other.init_weights()
    assert (other.conv_seg[0].bias == 0.5).all()


@pytest.mark.parametrize('name', NAMES)
def test_background_prior_after_smps_initialisation(name):
    """The classifier starts at no contact 0.9, the parts sharing the rest; a prior
    outside (0, 1) is refused by name."""
    kwargs = dict(in_channels=(8, 16, 32), in_index=(0, 1, 2))
    if name != 'linknet':
        kwargs.update(decoder_channels=(16, 8, 8, 4))
    head = MODELS.build(dict(type=HEAD_TYPES[name], background_prior=0.9, **kwargs))
    head.init_weights()
    probs = head.conv_seg[0].bias.softmax(0)
    torch.testing.assert_close(probs, torch.tensor([0.9] + [0.1 / 17] * 17))
    with pytest.raises(ValueError, match=f'{HEAD_TYPES[name]}: background_prior must be in'):
        MODELS.build(dict(type=HEAD_TYPES[name], background_prior=1.0, **kwargs))


# ---------------------------------------------------------------------------- configs
def load(path):
    return Config.fromfile(osp.join(CONFIGS, path))


@pytest.mark.parametrize('name', NAMES)
def test_table_6_configs_replace_only_the_contact_head(name):
    base = load('pairnet_r50_pair1.py')
    cfg = load(f'ablations/pairnet_r50_pair1_seg-{name}.py')
    assert cfg.model.contact_head.type == HEAD_TYPES[name]
    assert cfg.model.backbone.out_indices == (0, 1, 2, 3)
    for key in set(base.model) | set(cfg.model):
        if key not in ('backbone', 'contact_head'):
            assert cfg.model[key] == base.model[key], key
    assert {
        k: v
        for k, v in cfg.model.backbone.items() if k != 'out_indices'
    } == {
        k: v
        for k, v in base.model.backbone.items() if k != 'out_indices'
    }
    for key in set(base) | set(cfg):
        if key not in ('model', 'filename', 'text'):
            assert cfg.get(key) == base.get(key), key
    pairnet = count_tool.count_params(count_tool.build_model(cfg))
    reference = count_tool.count_params(count_tool.build_model(base))
    # every component the same size but the contact head
    for key in ('backbone', 'cpam', 'interaction_head', 'mask_guided_feature'):
        assert pairnet[key] == reference[key], key
    with torch.device('meta'):
        head = MODELS.build(cfg.model.contact_head)
    assert pairnet['contact_head'] == numel(head)


@pytest.mark.parametrize('name', NAMES)
def test_standalone_configs_are_a_resnet_50_and_the_head(name):
    cfg = load(f'two_model/{name}_r50_pair1.py')
    base = load('pairnet_r50_pair1.py')
    assert cfg.model.type == 'ContactSegmenter'
    assert cfg.model.contact_head.type == HEAD_TYPES[name]
    # the same data, schedule and runtime as PaIR-Net R50
    for key in ('train_dataloader', 'test_dataloader', 'optim_wrapper', 'param_scheduler',
                'train_cfg', 'default_hooks', 'test_evaluator'):
        assert cfg[key] == base[key], key
    counts = count_tool.count_params(count_tool.build_model(cfg))
    assert counts['backbone'] == 23_508_032  # ResNet-50 without its classifier
    assert counts['total'] == counts['backbone'] + counts['contact_head']
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet50'


@pytest.mark.parametrize('name', NAMES)
def test_pairnet_with_the_head_trains_a_step(name):
    """PaIR-Net (the small CPU model, its ResNet-18 at 8 base channels) with its PGCS
    replaced: finite losses, a gradient on every parameter, S at the input size."""
    cfg = small_model_cfg()
    cfg.model.backbone.update(base_channels=8, out_indices=(0, 1, 2, 3), zero_init_residual=False)
    for key in ('cpam', 'interaction_head', 'mask_guided_feature'):
        cfg.model[key].in_channels = 64
    cfg.model.contact_head = dict(type=HEAD_TYPES[name], in_channels=(8, 16, 32, 64))
    cfg.model.contact_head.update(
        dict(
            unet=dict(decoder_channels=(16, 8, 8, 4, 4)),
            linknet=dict(prefinal_channels=4),
            # squeeze-excitation to 2 channels, not 1, whose ReLU may be off for the batch
            manet=dict(decoder_channels=(16, 8, 8, 4, 4), reduction=4))[name])
    model = build_model(cfg.model).train()
    inputs, samples = two_synthetic_samples()
    data = preprocess(model, inputs, samples)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'loss_contact_seg', 'loss_parts', 'loss_action'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    for param_name, param in model.named_parameters():
        if param.requires_grad:
            assert param.grad is not None and torch.isfinite(param.grad).all(), param_name
    for param_name, param in model.contact_head.named_parameters():
        assert param.grad.abs().sum() > 0, param_name
    model.eval()
    data = preprocess(model, inputs, samples, training=False)
    with torch.no_grad():
        outs = model.forward_heads(data['inputs'], *model.img_sizes(data['inputs'], None))
    assert outs['seg_logits'].shape == (2, 18, 96, 128)
