from .pair_visualization_hook import PaIRVisualizationHook
from .pair_visualizer import PaIRVisualizer

__all__ = ['PaIRVisualizer', 'PaIRVisualizationHook']
