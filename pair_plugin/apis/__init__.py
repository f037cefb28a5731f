from .image_loading import load_image
from .inference import build_inference_pipeline, inference_pair, init_model

__all__ = ['init_model', 'inference_pair', 'build_inference_pipeline', 'load_image']
