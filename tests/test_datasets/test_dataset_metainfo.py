"""PaIRDataset's metainfo: checked once per load, named after where it came from, and read
without the images with lazy_init (the class names of the inferencers)."""
import pytest
from pair_data_factory import METAINFO, edit_annotation, write_dataset

import pair_plugin.datasets.pair_dataset as pair_dataset
from pair_plugin.datasets import PaIRDataset
from pair_plugin.structures import PaIRFormatError


def count_metainfo_checks(monkeypatch) -> list:
    """Record each ``check_metainfo`` call of the dataset and the annotation checks."""
    import pair_plugin.datasets.annotation_checks as annotation_checks
    calls = []
    real = annotation_checks.check_metainfo

    def counting(metainfo, file, field='metainfo'):
        calls.append(field)
        return real(metainfo, file, field)

    monkeypatch.setattr(pair_dataset, 'check_metainfo', counting)
    monkeypatch.setattr(annotation_checks, 'check_metainfo', counting)
    return calls


def test_the_metainfo_is_checked_once_per_load(tmp_path, monkeypatch):
    ann = write_dataset(tmp_path)
    calls = count_metainfo_checks(monkeypatch)
    PaIRDataset(ann_file=ann)
    assert calls == ['metainfo']
    calls.clear()
    # a config that repeats the file's actions: still one check of the merged metainfo
    PaIRDataset(ann_file=ann, metainfo=dict(actions=METAINFO['actions']))
    assert calls == ['metainfo']
    calls.clear()
    lazy = PaIRDataset(ann_file=ann, lazy_init=True)
    assert calls == ['metainfo']
    lazy.full_init()  # the lazy read's check counts for the full load
    assert calls == ['metainfo'] and len(lazy) == 3


def test_a_bad_metainfo_is_named_after_where_it_came_from(tmp_path):
    ann = write_dataset(tmp_path)
    edit_annotation(ann, lambda a: a['metainfo'].update(objects=['cup', 'person', 'chair']))
    with pytest.raises(PaIRFormatError, match=r'train\.json: metainfo\.objects\[0\]: must be '):
        PaIRDataset(ann_file=ann)
    no_meta = write_dataset(tmp_path / 'config_only', metainfo=None)
    with pytest.raises(
            PaIRFormatError,
            match=r'train\.json: metainfo \(dataset config\)\.actions\[1\]: duplicate'):
        PaIRDataset(
            ann_file=no_meta,
            metainfo=dict(objects=METAINFO['objects'], actions=['hold', 'hold', 'sit_on', 'carry']))
    # names from the file, categories from the config: named as both
    names_only = write_dataset(
        tmp_path / 'mixed', metainfo=dict(objects=METAINFO['objects'], actions=METAINFO['actions']))
    with pytest.raises(
            PaIRFormatError,
            match=r'metainfo \(file and dataset config\)\.hoi_categories\[0\]: action id 9 '
            r'out of range \[0, 4\)'):
        PaIRDataset(ann_file=names_only, metainfo=dict(hoi_categories=[[9, 1]]))


def test_lazy_init_reads_the_names_without_the_images(tmp_path):
    ann = write_dataset(tmp_path)
    # an image entry the full load refuses
    edit_annotation(ann, lambda a: a['images'][0]['instances'][1].update(bbox=[18, 10, 12, 16]))
    lazy = PaIRDataset(ann_file=ann, lazy_init=True)
    assert lazy.metainfo['objects'] == lazy.metainfo['classes'] == ('person', 'cup', 'chair')
    assert lazy.metainfo['actions'] == ('hold', 'drink_with', 'sit_on', 'carry')
    assert lazy.metainfo['hoi_categories'] == [(0, 1), (1, 1), (2, 2), (3, 2)]
    with pytest.raises(PaIRFormatError, match=r'instances\[1\]\.bbox: x2 \(12\) < x1 \(18\)'):
        lazy.full_init()
