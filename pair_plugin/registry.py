"""pair_plugin's registries.

Each registry is a child of mmdet's (which are children of mmengine's), with scope
``pair_plugin``. A config with ``default_scope = 'pair_plugin'`` therefore builds this
package's components, unprefixed mmdet ones (``ResNet``, ``ChannelMapper``,
``HungarianAssigner``) and prefixed ones from any imported OpenMMLab scope
(``mmseg.MixVisionTransformer``, ``mmpretrain.ConvNeXt``). ``locations`` lists the modules
whose import registers this package's components, so nothing has to be imported by hand.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'pair_plugin'

RUNNERS = Registry('runner', parent=MMDET_RUNNERS, scope=SCOPE, locations=['pair_plugin.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMDET_RUNNER_CONSTRUCTORS,
    scope=SCOPE,
    locations=['pair_plugin.engine'])
LOOPS = Registry('loop', parent=MMDET_LOOPS, scope=SCOPE, locations=['pair_plugin.engine'])
HOOKS = Registry(
    'hook',
    parent=MMDET_HOOKS,
    scope=SCOPE,
    locations=['pair_plugin.engine', 'pair_plugin.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMDET_LOG_PROCESSORS, scope=SCOPE, locations=['pair_plugin.engine'])

DATASETS = Registry(
    'dataset', parent=MMDET_DATASETS, scope=SCOPE, locations=['pair_plugin.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMDET_DATA_SAMPLERS, scope=SCOPE, locations=['pair_plugin.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMDET_TRANSFORMS,
    scope=SCOPE,
    locations=['pair_plugin.datasets.transforms'])

MODELS = Registry('model', parent=MMDET_MODELS, scope=SCOPE, locations=['pair_plugin.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMDET_MODEL_WRAPPERS, scope=SCOPE, locations=['pair_plugin.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMDET_WEIGHT_INITIALIZERS,
    scope=SCOPE,
    locations=['pair_plugin.models'])
TASK_UTILS = Registry(
    'task util',
    parent=MMDET_TASK_UTILS,
    scope=SCOPE,
    locations=['pair_plugin.models.task_modules'])

OPTIMIZERS = Registry(
    'optimizer', parent=MMDET_OPTIMIZERS, scope=SCOPE, locations=['pair_plugin.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMDET_OPTIM_WRAPPERS, scope=SCOPE, locations=['pair_plugin.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    scope=SCOPE,
    locations=['pair_plugin.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMDET_PARAM_SCHEDULERS,
    scope=SCOPE,
    locations=['pair_plugin.engine'])

METRICS = Registry(
    'metric', parent=MMDET_METRICS, scope=SCOPE, locations=['pair_plugin.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMDET_EVALUATOR, scope=SCOPE, locations=['pair_plugin.evaluation'])

VISUALIZERS = Registry(
    'visualizer', parent=MMDET_VISUALIZERS, scope=SCOPE, locations=['pair_plugin.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMDET_VISBACKENDS, scope=SCOPE, locations=['pair_plugin.visualization'])
