"""Notebooks 03 and 04's explorers: the PD split and the PT split for a typed address.

Knows: the common skeleton and ``views.splits``. Does not know: the simulator.
"""

from __future__ import annotations

from ..views.splits import render_pd_split, render_pt_split, render_refutation
from .common import DEFAULT_ADDRESS, Explorer, address_skeleton


def pd_split_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 03: the guest PD against the four PAE PDs, the address marked throughout.

    Parts: ``address``, ``presets``, ``readout``, ``view`` (``views.render_pd_split``),
    ``status``, ``debug``.
    """
    return address_skeleton(initial, lambda d: (render_pd_split(d),))


def pt_split_explorer(initial: int | str = 0x00200000) -> Explorer:
    """Notebook 04: one guest PT against its two PAE PTs, and the halves misconception refuted.

    Parts: ``address``, ``presets``, ``readout``, ``view`` (``views.render_pt_split``),
    ``views[1]`` = ``refutation`` (``views.render_refutation``), ``status``, ``debug``.
    """
    ex = address_skeleton(initial, lambda d: (render_pt_split(d),
                                               render_refutation(d)))
    ex.refutation = ex.views[1]
    return ex
