"""Notebook 10's in-page explorers: one address of a real snapshot, and the CR3 switch.

``real_guest_explorer()`` shows one address of a captured Linux snapshot
translated by QEMU, by the guest walk and by the shadow MMU, the shadow pages
the access went through, and the snapshot's page directory with that address's
PDE and PAE PDE marked. ``cr3_switch_explorer()`` shows what the second user
process finds in the shadow-page cache after a CR3 switch, and what its faults
create. Both draw records of ``shadowmmu.states.real_guest`` with
``real_draw.js`` (``real.js`` wires the controls); their default spaces are
every preset, so the static page answers them all.

Knows: ``states.real_guest`` (records, input checks, preset lists) and
``SimExplorer``. Does not know: the simulator, the scenarios, HTML.
"""

from __future__ import annotations

from ..rules import QUADRANT_RULES
from ..states.real_guest import (
    PROBE_FIELDS,
    REAL_PAIR,
    PROBE_PRESETS,
    SWITCH_FIELDS,
    cr3_switch_record,
    probe_inputs,
    probe_space,
    real_pd_record,
    real_probe_record,
    real_snapshot_names,
    switch_inputs,
    switch_space,
)
from .simexplorer import SimExplorer

_NOTE = (" The precomputed states are every snapshot with every preset address (host large "
         "pages on and off), and every CR3 switch setting.")


class _RealExplorer(SimExplorer):
    """What notebook 10's two explorers share: real.js, its styles, the note."""

    bundle = "real"
    static_note = SimExplorer.static_note + _NOTE


class RealGuestExplorer(_RealExplorer):
    """One address of a real snapshot: QEMU, Guest.walk(), ShadowMMU.access(), and its page directory."""

    draw_function = "drawRealProbe"
    key_fields = PROBE_FIELDS

    def extra_spec(self) -> dict:
        # Per snapshot, not per address: every snapshot's page directory, sent once.
        names = real_snapshot_names()
        return {"snapshots": list(names),
                "address_presets": [{"label": label, "va": va} for label, va in PROBE_PRESETS],
                "pds": {n: real_pd_record(n) for n in names}}

    explorer_kind = "real-guest"
    record_kind = "real_probe"
    check_inputs = staticmethod(probe_inputs)
    make_record = staticmethod(real_probe_record)


class Cr3SwitchExplorer(_RealExplorer):
    """A CR3 switch between the two user processes: the shadow pages found in the cache vs created."""

    draw_function = "drawCr3Switch"
    key_fields = SWITCH_FIELDS

    def extra_spec(self) -> dict:
        return {"pair": list(REAL_PAIR),
                "rules": [{"name": n, "correct": r.correct} for n, r in QUADRANT_RULES.items()]}

    explorer_kind = "cr3-switch"
    record_kind = "cr3_switch"
    check_inputs = staticmethod(switch_inputs)
    make_record = staticmethod(cr3_switch_record)


def real_guest_explorer(snapshot: str = "user-1", va: int | str = 0x08048000,
                        host_large_pages: bool = True, space=None) -> RealGuestExplorer:
    """Notebook 10: one address of a real snapshot, three ways, and the page directory it goes through.

    ``space`` (default: every snapshot x every preset address x host large
    pages on/off) is what a page without a kernel can show; with a kernel any
    address works. Bad input raises ValueError naming it.
    """
    return RealGuestExplorer({"snapshot": snapshot, "va": va, "host_large_pages": host_large_pages},
                             probe_space() if space is None else space)


def cr3_switch_explorer(first: str = "user-1", host_large_pages: bool = True, rule: str = "mainline",
                        space=None) -> Cr3SwitchExplorer:
    """Notebook 10: run one user process, switch CR3 to the other: what is found again, what is made.

    ``space`` defaults to both orders x host large pages on/off x every rule.
    """
    return Cr3SwitchExplorer({"first": first, "host_large_pages": host_large_pages, "rule": rule},
                             switch_space() if space is None else space)
