"""The package's version: the one place it is written.

pyproject.toml reads it (``[tool.setuptools.dynamic]``), ``shadowmmu.__version__`` and
``shadowmmu --version`` show it; CHANGELOG.md and CITATION.cff name it (tests/test_release.py).
"""

__version__ = "0.1.0"
