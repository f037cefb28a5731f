"""PaIR-Net's models: importing this package registers every component."""
from .backbones import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .task_modules import *  # noqa: F401,F403
