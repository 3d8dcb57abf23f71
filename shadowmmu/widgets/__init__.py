"""The thin ipywidgets layer of the simulator notebooks: one explorer per topic, on the common skeleton.

``common`` holds the Explorer box and the shared controls; ``fault`` (notebook
06), ``writes`` (07) and ``real_guest`` (10) build one explorer each.
Notebooks 02-05, 08 and 09 use the in-page explorers of ``shadowmmu.frontend``
instead. These modules compute nothing and construct no
simulator (scenarios does): tests/test_layering.py checks.
"""

from .common import Explorer
from .fault import page_fault_explorer
from .real_guest import real_guest_explorer
from .writes import guest_write_explorer

__all__ = ["Explorer", "page_fault_explorer", "guest_write_explorer",
           "real_guest_explorer"]
