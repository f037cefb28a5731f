"""pair_plugin: PaIR-Net (What-Meets-Where, AAAI 2026) as an OpenMMLab plugin.

``tools/``, ``configs/`` and ``model-index.yml`` live once, at the top of the repository.
Building the package copies them into ``pair_plugin/.mim/`` inside the wheel, where
``mim train pair_plugin ...`` and ``mim search pair_plugin`` look for them (as mmdet's setup.py
does, but as real files, which mim needs).
"""
import os
import shutil
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
MIM_FILES = ('tools', 'configs', 'model-index.yml')


def read_version():
    ns = {}
    with open(os.path.join(HERE, 'pair_plugin', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def read_requirements(name):
    with open(os.path.join(HERE, 'requirements', name)) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


class BuildPyWithMim(build_py):
    """Copy ``tools/``, ``configs/`` and ``model-index.yml`` into ``pair_plugin/.mim/``."""

    def run(self):
        super().run()
        mim_root = os.path.join(self.build_lib, 'pair_plugin', '.mim')
        os.makedirs(mim_root, exist_ok=True)
        for name in MIM_FILES:
            src = os.path.join(HERE, name)
            dst = os.path.join(mim_root, name)
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            else:
                shutil.copyfile(src, dst)


setup(
    name='pair_plugin',
    version=read_version(),
    description='PaIR-Net: joint action and body-part contact localisation '
    '(What-Meets-Where, AAAI 2026) as an OpenMMLab plugin',
    long_description=open(os.path.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['pair_plugin', 'pair_plugin.*']),
    include_package_data=True,
    install_requires=read_requirements('runtime.txt') + ['mmcv>=2.0.0,<2.2.0'],
    extras_require={
        'tests': read_requirements('tests.txt'),
        'deploy': read_requirements('deploy.txt')
    },
    cmdclass={'build_py': BuildPyWithMim},
    zip_safe=False,
)
