"""tools/analysis/get_flops.py: attention counted as its matrix products, and the tool's
report on the small config."""
import os.path as osp
import re

import torch
import torch.nn.functional as F

from tests.helpers import CONFIGS, load_tool

get_flops = load_tool('tools/analysis/get_flops.py')


class _Attention(torch.nn.Module):

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


class _MaskedScores(torch.nn.Module):

    def forward(self, mask, q, k):
        return torch.baddbmm(mask, q, k.transpose(1, 2))


def _total(module, *inputs) -> int:
    analyzer = get_flops.FlopAnalyzer(module, inputs)
    analyzer.set_op_handle(
        **{
            'aten::scaled_dot_product_attention': get_flops.sdpa_flop_jit,
            'aten::baddbmm': get_flops.baddbmm_flop_jit
        })
    return analyzer.total()


def test_fused_attention_counts_its_two_products():
    # batch 2 x 4 heads; 5 queries, 7 keys; 8 channels for Q K^T, 6 for the values
    q, k, v = torch.randn(2, 4, 5, 8), torch.randn(2, 4, 7, 8), torch.randn(2, 4, 7, 6)
    assert _total(_Attention(), q, k, v) == 2 * 4 * (5 * 7 * 8 + 5 * 7 * 6)


def test_masked_attention_scores_count_their_product():
    # torch's attention with a mask: baddbmm(mask, Q, K^T), 8 batch x heads, 5 queries,
    # 7 keys, 6 channels
    mask, q, k = torch.zeros(8, 5, 7), torch.randn(8, 5, 6), torch.randn(8, 7, 6)
    assert _total(_MaskedScores(), mask, q, k) == 8 * 5 * 7 * 6


def test_report_on_the_small_config(monkeypatch, capsys):
    config = osp.join(CONFIGS, 'pairnet_r18_synthetic.py')
    monkeypatch.setattr('sys.argv', ['get_flops.py', config, '--shape', '60', '90'])
    get_flops.main()
    out = capsys.readouterr().out
    # padded to the data preprocessor's size divisor (32)
    assert 'Input shape: (60, 90) (padded: (3, 64, 96))' in out
    flops = float(re.search(r'Flops: ([\d.]+) G', out).group(1))
    params = float(re.search(r'Params: ([\d.]+) M', out).group(1))
    count_params = load_tool('tools/analysis/count_params.py')
    from mmengine.config import Config
    total = count_params.count_params(count_params.build_model(Config.fromfile(config),
                                                               'meta'))['total']
    assert params == round(total / 1e6, 2)
    # 64 x 96 is 1/10.5 of the 224 x 288 the model page reports 0.34 GFLOPs at
    assert 0.01 < flops < 0.1


def test_metafile_flops_of_the_small_config_are_the_tools():
    """configs/metafile.yml's FLOPs of the synthetic config: the tool's count at its test
    scale, 224 x 288 (the paper configs' at 800 x 1333 take too long for a test)."""
    import yaml
    from mmengine.config import Config
    with open(osp.join(CONFIGS, 'metafile.yml')) as f:
        entry = {m['Name']: m for m in yaml.safe_load(f)['Models']}['pairnet_r18_synthetic']
    model = get_flops.build_detector(Config.fromfile(osp.join(CONFIGS, 'pairnet_r18_synthetic.py')))
    inputs, data_samples = get_flops.preprocessed_image(model, (224, 288))
    with torch.no_grad():
        flops = get_flops.flop_analyzer(model, inputs, data_samples).total()
    assert entry['Metadata']['FLOPs'] == flops
