"""Notebooks 03 and 04's tables: one guest PD becomes four PAE PDs, one guest PT two PAE PTs.

Indices come from ``address.decompose()``, roles from ``role``, zapped sPTEs
from ``writes``. The pictures of both notebooks are the page's
(``frontend/draw.js``, ``frontend/refutation.js``), not drawn here.

Knows: the model (address, role, rules, writes). Does not know: the simulator
or ipywidgets.
"""

from __future__ import annotations

from typing import Iterable

from ..address import Decomposition, decompose
from ..role import pae_root_roles
from ..rules import QUADRANT_RULES
from ..writes import shadowed_part
from .common import PRESETS, render_table


def pd_split_layout(d: Decomposition) -> dict:
    """The numbers the PD-split picture is drawn from (all from decompose()):

        >>> pd_split_layout(decompose(0xDEADBEEF))["pae_pdes"]
        (244, 245)
    """
    k = d.guest_pde_index
    first = 2 * (k % 256)
    return {"guest_pde": k, "pd_quadrant": d.pd_quadrant, "pae_pdes": (first, first + 1),
            "pae_pde": d.shadow_pde_index,
            "quarter": (256 * d.pd_quadrant, 256 * d.pd_quadrant + 255)}


def render_pd_presets(addresses: Iterable[int] = PRESETS) -> str:
    """Static table for notebook 03: each preset's guest PDE, PD quadrant and PAE PDE pair."""
    rows = []
    for va in addresses:
        lay = pd_split_layout(decompose(va))
        rows.append((f"0x{va:08X}", lay["guest_pde"], lay["pd_quadrant"],
                     f"{lay['quarter'][0]}-{lay['quarter'][1]}",
                     f"{lay['pae_pdes'][0]}, {lay['pae_pdes'][1]}", lay["pae_pde"]))
    return render_table(("VA", "guest PDE", "PD quadrant", "guest PDEs of that PD",
                         "its two PAE PDEs", "the one VA uses"), rows,
                        caption="Computed by shadowmmu.decompose()")


def pd_quarter_rows() -> list[tuple[str, ...]]:
    """One row per PAE page directory: role, guest PDEs, bytes of the guest PD, VA range."""
    rows = []
    for role in pae_root_roles():
        part = shadowed_part(role)
        lo = role.quadrant << 30
        rows.append((f"pae_root[{role.quadrant}]", role.describe(),
                     f"{part.first_gpte}-{part.first_gpte + part.nr_gptes - 1}",
                     f"0x{part.byte_lo:03X}-0x{part.byte_hi:03X}",
                     f"{part.nr_gptes * part.sptes_per_gpte}",
                     f"0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}"))
    return rows


def render_pd_quarters() -> str:
    """The four PAE page directories as a table (from pae_root_roles() and shadowed_part())."""
    return render_table(("slot", "role", "guest PDEs", "guest PD bytes", "PAE PDEs used",
                         "VA range"), pd_quarter_rows(),
                        caption="Computed by shadowmmu.pae_root_roles() and shadowed_part()")



def interleave_window(d: Decomposition, width: int = 8) -> list[tuple[int, int, int]]:
    """(PAE PDE index, PT quadrant, guest PDE index) for `width` PAE PDEs around d's:

        >>> [q for _, q, _ in interleave_window(decompose(0x00200000), 4)]
        [0, 1, 0, 1]

    The quadrant is the mainline rule applied to each entry (``spte_index & 1``).
    """
    rule = QUADRANT_RULES["mainline"]
    even = d.shadow_pde_index - d.shadow_pde_index % 2
    start = min(max(even - 2 * ((width - 2) // 4), 0), 512 - width)
    base = 256 * d.pdpte_index
    return [(i, int(rule.pt_quadrant_from(i, d.va)), base + i // 2)
            for i in range(start, start + width)]


def halves_verdict(d: Decomposition) -> dict:
    """What the halves misconception and the mainline rule say about d's page table."""
    wrong, right = QUADRANT_RULES["halves"], QUADRANT_RULES["mainline"]
    return {"shadow_pde_index": d.shadow_pde_index, "bit21": d.pt_quadrant,
            "halves": int(wrong.pt_quadrant(d.va)), "mainline": int(right.pt_quadrant(d.va))}


def render_pt_presets(addresses: Iterable[int] = PRESETS) -> str:
    """Static table for notebook 04: PT quadrant by the bits, by mainline and by the halves reading."""
    rows = []
    for va in addresses:
        d = decompose(va)
        v = halves_verdict(d)
        rows.append((f"0x{va:08X}", d.guest_pte_index, d.shadow_pde_index, v["bit21"],
                     v["mainline"], v["halves"], d.shadow_pte_index,
                     "agree" if v["halves"] == v["mainline"] else "HALVES WRONG"))
    return render_table(("VA", "guest PTE", "parent PAE PDE", "bit 21", "mainline PT q",
                         "halves PT q (wrong)", "PAE PTE", "verdict"), rows,
                        caption="Computed by shadowmmu.decompose() and QUADRANT_RULES")


