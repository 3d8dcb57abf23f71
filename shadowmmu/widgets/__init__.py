"""The thin ipywidgets layer of the simulator notebooks: one explorer per topic, on the common skeleton.

``common`` holds the Explorer box and the shared controls; ``writes`` (notebook
07), ``whole_guest`` (08) and ``real_guest`` (10) build one explorer each.
Notebooks 02-06 and 09 use the in-page explorers of ``shadowmmu.frontend``
instead. These modules compute nothing and construct no simulator (scenarios
does): tests/test_layering.py checks.
"""

from .common import Explorer
from .real_guest import real_guest_explorer
from .whole_guest import whole_guest_explorer
from .writes import guest_write_explorer

__all__ = ["Explorer", "guest_write_explorer", "whole_guest_explorer",
           "real_guest_explorer"]
