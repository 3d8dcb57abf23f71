"""The thin ipywidgets layer of the simulator notebooks: one explorer per topic, on the common skeleton.

``common`` holds the Explorer box and the shared controls; ``fault`` (notebook
06) builds its explorer.
Notebooks 02-05 and 07-10 use the in-page explorers of ``shadowmmu.frontend``
instead. These modules compute nothing and construct no
simulator (scenarios does): tests/test_layering.py checks.
"""

from .common import Explorer
from .fault import page_fault_explorer

__all__ = ["Explorer", "page_fault_explorer"]
