"""tools/benchmarks/synthetic_claims.py: what is left of each run, resuming, failures."""
import json
import os
import os.path as osp
import sys

import pytest

from tests.helpers import load_tool

claims = load_tool('tools/benchmarks/synthetic_claims.py')
MIM = '/venv/bin/mim'


def _touch(path, text=''):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def _whats(steps):
    return [step.what for step in steps]


def test_a_run_goes_on_from_what_it_left(tmp_path):
    work = str(tmp_path)
    run = osp.join(work, 'seg-unet_s1')
    steps = claims.plan('seg-unet', 1, work, '/data', MIM)
    assert _whats(steps) == ['training', 'testing']
    train = steps[0].argv
    assert train[:4] == [MIM, 'train', 'pair_plugin', claims.SYSTEMS['seg-unet'].config]
    assert '--resume' not in train and 'randomness.seed=1' in train
    assert 'train_dataloader.dataset.data_root=/data' in train

    _touch(osp.join(run, 'last_checkpoint'), osp.join(run, 'epoch_7.pth'))  # killed in epoch 8
    steps = claims.plan('seg-unet', 1, work, '/data', MIM)
    assert _whats(steps) == ['training (resumed)', 'testing']
    assert '--resume' in steps[0].argv

    _touch(osp.join(run, 'epoch_26.pth'))  # the schedule's last epoch: trained
    steps = claims.plan('seg-unet', 1, work, '/data', MIM)
    assert _whats(steps) == ['testing']
    test = steps[0].argv
    assert test[test.index('--checkpoint') + 1] == osp.join(run, 'epoch_26.pth')
    assert test[test.index('--work-dir') + 1] == osp.join(run, 'test')

    _touch(osp.join(run, 'test', '20261207_101010', '20261207_101010.json'), '{}')
    assert claims.plan('seg-unet', 1, work, '/data', MIM) == []


def test_the_pipeline_trains_each_half_then_joins_and_tests(tmp_path):
    work = str(tmp_path)
    run = osp.join(work, 'trans+unet_s2')
    steps = claims.plan('trans+unet', 2, work, '/data', MIM, python='py')
    assert _whats(steps) == ['training trans', 'training unet', 'joining the halves', 'testing']
    assert steps[0].argv[3] == 'configs/two_model/trans_r18_synthetic.py'
    assert steps[0].argv[steps[0].argv.index('--work-dir') + 1] == osp.join(run, 'trans')
    assert steps[1].argv[3] == 'configs/two_model/unet_r18_synthetic.py'
    assert steps[2].argv == [
        'py', claims.JOIN_TOOL, 'configs/two_model/trans+unet_r18_synthetic.py',
        osp.join(run, 'trans', 'epoch_26.pth'),
        osp.join(run, 'unet', 'epoch_26.pth'),
        osp.join(run, 'trans+unet.pth')
    ]
    test = steps[3].argv
    assert test[test.index('--checkpoint') + 1] == osp.join(run, 'trans+unet.pth')

    _touch(osp.join(run, 'trans', 'epoch_26.pth'))
    _touch(osp.join(run, 'unet', 'last_checkpoint'), 'epoch_3.pth')
    steps = claims.plan('trans+unet', 2, work, '/data', MIM)
    assert _whats(steps) == ['training unet (resumed)', 'joining the halves', 'testing']


def test_a_failed_run_is_reported_and_the_others_go_on(tmp_path, capsys):
    data = tmp_path / 'data'
    _touch(str(data / 'annotations' / 'train.json'), '{}')
    work = tmp_path / 'claims'
    ran, threads = [], set()

    def fake_run(step, log_file, env):
        ran.append((osp.basename(log_file), step.what))
        threads.add(env.get('OMP_NUM_THREADS'))
        if log_file.endswith('baseline_s0.log') and step.what == 'training':
            return 2
        if step.what == 'testing':
            out = step.argv[step.argv.index('--work-dir') + 1]
            metrics = {
                'hoi/mAP': 20.0,
                'contact/SC-Acc': 40.0,
                'contact/C-Acc': 50.0,
                'contact/mIoU': 10.0
            }
            _touch(osp.join(out, '20261207_101010', '20261207_101010.json'), json.dumps(metrics))
        return 0

    argv = ['--systems', 'baseline', '--seeds', '0', '1', '--work-dir', str(work)]
    argv += ['--data-root', str(data)]
    status = claims.main(argv + ['--threads', '1'], run=fake_run)
    out = capsys.readouterr().out
    assert status == 1 and threads == {'1'}
    assert ran == [('baseline_s0.log', 'training'), ('baseline_s1.log', 'training'),
                   ('baseline_s1.log', 'testing')]
    assert (f'[1/2] baseline seed 0: training failed (exit status 2) after 0.0 min: see '
            f'{work}/baseline_s0.log') in out
    assert '| Table 3 baseline | 1 | 20.0 | 40.0 | 50.0 | 10.0 |' in out
    assert 'synthetic_claims: 1 run(s) failed: baseline seed 0' in out

    # run again: seed 1 is tested already, seed 0 starts over
    ran.clear()
    claims.main(argv, run=fake_run)
    assert ran == [('baseline_s0.log', 'training')]
    assert '[2/2] baseline seed 1: tested already' in capsys.readouterr().out


def test_without_the_synthetic_set_it_says_how_to_make_it(tmp_path):
    with pytest.raises(
            SystemExit,
            match=f'no synthetic set in {tmp_path}: make it with python '
            'tools/data/generate_synthetic.py'):
        claims.main(['--data-root', str(tmp_path), '--work-dir', str(tmp_path / 'w')])


def test_a_step_runs_from_the_repository_into_its_log(tmp_path):
    log = str(tmp_path / 'run.log')
    _touch(log, 'earlier output\n')
    step = claims.Step('x', [sys.executable, '-c', 'import os; print(os.getcwd()); exit(3)'])
    assert claims.run_step(step, log, dict(os.environ)) == 3
    with open(log) as f:
        assert f.read() == f'earlier output\n\n$ {" ".join(step.argv)}\n{claims.REPO}\n'
