"""The thin ipywidgets layer (interim: one module)."""

from .common import *  # noqa: F401,F403
from .common import __all__  # noqa: F401
