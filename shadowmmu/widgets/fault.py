"""Notebook 06's explorer: fault an address of the small guest and step through what KVM does.

It keeps the ShadowMMU ``scenarios.small_session()`` made for the life of the
explorer; every callback is a fault on a small guest, a few milliseconds.

Knows: ``scenarios.small`` (which builds the simulator) and ``views.fault``.
Does not know: how a fault is handled; it never constructs a Guest or ShadowMMU.
"""

from __future__ import annotations

import ipywidgets as W

from ..address import parse_address
from ..scenarios.small import run_access, small_session
from ..views.fault import render_fault_step
from .common import (
    DEFAULT_ADDRESS,
    Explorer,
    ExplorerState,
    address_box,
    debug_area,
    guarded,
    preset_buttons,
    watch_address,
)


def _step_controls():
    prev = W.Button(description="◀ prev", layout=W.Layout(width="80px"))
    prev.add_class("smmu-step-prev")
    nxt = W.Button(description="next ▶", layout=W.Layout(width="80px"))
    nxt.add_class("smmu-step-next")
    slider = W.IntSlider(value=0, min=0, max=0, description="step", continuous_update=True,
                         layout=W.Layout(width="360px"))
    slider.add_class("smmu-step")
    play = W.Play(value=0, min=0, max=0, interval=900, description="play")
    play.add_class("smmu-play")
    W.jslink((play, "value"), (slider, "value"))
    return prev, nxt, slider, play


def page_fault_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 06: fault an address of scenarios.small_guest() and step through what KVM does.

    One ShadowMMU runs for the life of the explorer, so a second address in a
    region already faulted reuses its shadow pages; ``reset`` starts a fresh
    guest, ``process`` switches CR3 (the other process shares the kernel half).
    Parts: ``address`` (Text, smmu-address), ``presets`` (Buttons), ``write``
    (Checkbox: a write access), ``process`` (ToggleButtons 0/1), ``reset``
    (Button), ``prev``/``next`` (Buttons), ``step`` (IntSlider), ``play``
    (Play, linked to ``step`` in the browser), ``view`` (HTML,
    ``views.render_fault_step``), ``status``, ``debug``; ``state.result``
    is the last scenarios.AccessResult, ``state.mmu`` the ShadowMMU.
    """
    initial = parse_address(initial)
    debug = debug_area()
    status = W.HTML(value="")
    address = address_box(initial)
    presets = preset_buttons(address, debug)
    write = W.Checkbox(value=False, description="write access", indent=False,
                       layout=W.Layout(width="130px"))
    write.add_class("smmu-write-access")
    process = W.ToggleButtons(options=[("process 1", 0), ("process 2", 1)], value=0,
                              description="CR3 of")
    process.add_class("smmu-process")
    reset = W.Button(description="fresh guest", tooltip="a new small guest, empty shadow")
    reset.add_class("smmu-reset")
    prev, nxt, slider, play = _step_controls()
    view = W.HTML(value="")
    state = ExplorerState(va=initial)

    def _fresh():
        state.mmu, state.cr3s = small_session(process.value)

    def _show(step=None):
        result = state.result
        last = max(len(result.trace) - 1, 0)
        state.syncing = True
        try:
            slider.max = play.max = last
            slider.value = last if step is None else max(0, min(step, last))
        finally:
            state.syncing = False
        view.value = render_fault_step(result, slider.value)

    def _run(va):
        state.va = va
        state.result = run_access(state.mmu, va, write=write.value)
        _show(0)


    @guarded(debug)
    def _on_step(change):
        if not state.syncing:
            view.value = render_fault_step(state.result, change["new"])

    @guarded(debug)
    def _on_prev(_b):
        slider.value = max(slider.min, slider.value - 1)

    @guarded(debug)
    def _on_next(_b):
        slider.value = min(slider.max, slider.value + 1)

    @guarded(debug)
    def _on_reset(_b):
        _fresh()
        _run(state.va)

    @guarded(debug)
    def _on_process(change):
        state.mmu.load_cr3(state.cr3s[change["new"]])
        _run(state.va)

    watch_address(address, status, debug, _run)
    slider.observe(_on_step, names="value")
    prev.on_click(_on_prev)
    nxt.on_click(_on_next)
    reset.on_click(_on_reset)
    process.observe(_on_process, names="value")
    _fresh()
    _run(initial)
    ex = Explorer([W.HBox([address, write, status]), presets,
                   W.HBox([process, reset]), W.HBox([play, prev, slider, nxt]), view, debug],
                  address=address, presets=presets.buttons, write=write, process=process,
                  reset=reset, prev=prev, next=nxt, step=slider, play=play, view=view,
                  status=status, debug=debug, state=state)
    return ex
