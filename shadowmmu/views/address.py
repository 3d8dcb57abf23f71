"""Notebooks 01 and 02's table: the preset addresses read two ways (10/10/12 against 2/9/9/12).

The picture of one address is the page's (``frontend/draw.js``); this module
only tabulates the presets. The bit budget behind every row (``consts.GUEST_4K`` and
``consts.PAE_4K``), for one real value:

    0xDEADBEEF =   11     01111010    1    011011011   111011101111
                  31:30     29:22     21      20:12         11:0
                  PDPTE   PDE pair   PT q    PAE PTE       offset
                   = 3     = 122     = 1      = 219        = 0xEEF
                 guest PDE 890 = 256 x 3 + 122;  PAE PDE 245 = 2 x 122 + 1

Knows: ``address.decompose()``; tabulates what it gives. Does not know: roles, rules, the simulator, ipywidgets.
"""

from __future__ import annotations

from typing import Iterable

from ..address import decompose
from .common import PRESETS, render_table


def preset_rows(addresses: Iterable[int] = PRESETS) -> list[tuple[str, ...]]:
    """The numbers of the preset table, as strings (for tests and for render_preset_table)."""
    rows = []
    for va in addresses:
        d = decompose(va)
        rows.append((f"0x{va:08X}", str(d.guest_pde_index), str(d.guest_pte_index),
                     str(d.pdpte_index), str(d.pd_quadrant), str(d.shadow_pde_index),
                     str(d.shadow_pte_index), str(d.pt_quadrant), f"0x{d.page_offset:03X}"))
    return rows


PRESET_HEADERS = ("VA", "guest PDE 31:22", "guest PTE 21:12", "PDPTE 31:30", "PD quadrant",
                  "PAE PDE 29:21", "PAE PTE 20:12", "PT quadrant (bit 21)", "offset 11:0")


def render_preset_table(addresses: Iterable[int] = PRESETS) -> str:
    """The static table each notebook shows before its live widget."""
    return render_table(PRESET_HEADERS, preset_rows(addresses),
                        caption="Computed by shadowmmu.decompose()")
