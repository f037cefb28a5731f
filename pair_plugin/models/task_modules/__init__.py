"""TASK_UTILS components of PaIR-Net: the pair assigner and its match costs."""
from .hoi_hungarian_assigner import HOIHungarianAssigner
from .hoi_match_costs import HOIActionCost, PairBBoxL1Cost, PairIoUCost

__all__ = ['HOIHungarianAssigner', 'HOIActionCost', 'PairBBoxL1Cost', 'PairIoUCost']
