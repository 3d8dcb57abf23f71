"""The thin ipywidgets layer: one explorer per topic, on the common skeleton.

``common`` holds the Explorer box and the shared controls; ``address`` (notebook
02), ``splits`` (03, 04), ``rules`` (05), ``fault`` (06), ``writes`` (07),
``whole_guest`` (08), ``exercises`` (09) and ``real_guest`` (10) build one
explorer each. These are the only modules that import ipywidgets; they compute
nothing and construct no simulator (scenarios does): tests/test_layering.py checks.
"""

from .address import address_explorer
from .common import Explorer
from .exercises import exercise_explorer
from .fault import page_fault_explorer
from .real_guest import real_guest_explorer
from .rules import rule_explorer
from .splits import pd_split_explorer, pt_split_explorer
from .whole_guest import whole_guest_explorer
from .writes import guest_write_explorer

__all__ = ["Explorer", "address_explorer", "pd_split_explorer", "pt_split_explorer",
           "rule_explorer", "exercise_explorer", "page_fault_explorer", "guest_write_explorer",
           "whole_guest_explorer", "real_guest_explorer"]
