"""The vocabularies of a PaIR metainfo, and mmdet's name for the object classes.

The PaIR format calls the object classes ``objects``; mmdet's datasets, tools and
visualizers call them ``classes``. A metainfo may give either; these two functions are
the only place that knows the alias.
"""

#: the metainfo keys that carry the vocabularies
VOCABULARY_KEYS = ('objects', 'actions', 'hoi_categories')


def objects_key(metainfo: dict) -> str:
    """The key that holds the object classes: ``'objects'``, or ``'classes'`` when only
    mmdet's name is given."""
    return 'classes' if 'objects' not in metainfo and 'classes' in metainfo else 'objects'


def with_object_alias(metainfo: dict) -> dict:
    """A copy of ``metainfo`` with the object classes under both ``objects`` and
    ``classes`` (when it names them at all)."""
    meta = dict(metainfo)
    key = objects_key(meta)
    if key in meta:
        meta['objects'] = meta['classes'] = meta[key]
    return meta
