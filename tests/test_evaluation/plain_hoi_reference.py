"""The plain HOI mAP of QPIC's loops, for the tests: ``tools/benchmarks/plain_hoi_reference.py``
(kept beside the benchmark that times HOIMetric against it, which imports no test code)."""
from tests.helpers import load_tool

PlainHOIEvaluator = load_tool('tools/benchmarks/plain_hoi_reference.py').PlainHOIEvaluator

__all__ = ['PlainHOIEvaluator']
