"""Ready-made guests and experiments for the notebooks (interim: one module)."""

from .real import *  # noqa: F401,F403
from .real import __all__  # noqa: F401
