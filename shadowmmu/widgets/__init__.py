"""The thin ipywidgets layer of the simulator notebooks: one explorer per topic, on the common skeleton.

``common`` holds the Explorer box and the shared controls; ``fault`` (notebook
06) and ``whole_guest`` (08) build one explorer each.
Notebooks 02-05, 07, 09 and 10 use the in-page explorers of ``shadowmmu.frontend``
instead. These modules compute nothing and construct no
simulator (scenarios does): tests/test_layering.py checks.
"""

from .common import Explorer
from .fault import page_fault_explorer
from .whole_guest import whole_guest_explorer

__all__ = ["Explorer", "page_fault_explorer", "whole_guest_explorer"]
