"""Notebook 10's explorer: one address of a real snapshot, by QEMU, the guest walk and the shadow MMU.

Knows: ``scenarios.real``/``qemu`` (which build the simulator per snapshot) and
``views.real_guest``. Does not know: the snapshot format; it never constructs a
Guest or ShadowMMU.
"""

from __future__ import annotations

import ipywidgets as W

from ..address import parse_address
from ..scenarios.qemu import real_probe
from ..scenarios.real import real_guest_mmu, real_snapshot_names
from ..scenarios.small import run_access
from ..views.fault import render_trace
from ..views.real_guest import render_real_probe
from .common import (
    Explorer,
    ExplorerState,
    address_box,
    debug_area,
    guarded,
    preset_buttons,
    watch_address,
)


def real_guest_explorer(snapshot: str = "user-1", initial: int | str = 0x08048000) -> Explorer:
    """Notebook 10: one address of a real snapshot, by QEMU, by the guest walk and by the shadow MMU.

    Each snapshot gets its own guest (scenarios.real_guest()) and ShadowMMU,
    made on first use and kept, so a second address behind the same half of
    a page table reuses the level-1 page its PAE PDE already links. Parts: ``snapshot`` (Dropdown
    of the snapshot names, class smmu-snapshot), ``address`` (Text,
    smmu-address), ``presets`` (Buttons), ``view`` (HTML,
    ``views.render_real_probe``), ``trace`` (HTML, ``views.render_trace`` of
    the access), ``status``, ``debug``; ``state.result`` is the last
    scenarios.AccessResult, ``state.runs`` maps a name to (RealGuest, ShadowMMU).
    """
    initial = parse_address(initial)
    names = real_snapshot_names()
    debug = debug_area()
    status = W.HTML(value="")
    snap = W.Dropdown(options=list(names), value=snapshot, description="snapshot")
    snap.add_class("smmu-snapshot")
    address = address_box(initial)
    presets = preset_buttons(address, debug)
    view, trace = W.HTML(value=""), W.HTML(value="")
    state = ExplorerState(va=initial)

    def _run(va):
        name = snap.value
        if name not in state.runs:
            state.runs[name] = real_guest_mmu(name)
        rg, mmu = state.runs[name]
        qemu, walk = real_probe(rg, 0, va)
        result = run_access(mmu, va)
        state.va, state.result = va, result
        view.value = render_real_probe(name, va, qemu, walk, result)
        trace.value = render_trace(result.trace, caption="what ShadowMMU.access() did")


    @guarded(debug)
    def _on_snapshot(_change):
        _run(state.va)

    watch_address(address, status, debug, _run)
    snap.observe(_on_snapshot, names="value")
    _run(initial)
    return Explorer([W.HBox([snap, address, status]), presets, view, trace, debug],
                    snapshot=snap, address=address, presets=presets.buttons, view=view,
                    trace=trace, status=status, debug=debug, state=state)
