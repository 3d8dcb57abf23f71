"""Pure render_*() functions returning HTML/SVG strings (interim: one module)."""

from .fault import *  # noqa: F401,F403
from .fault import __all__  # noqa: F401
