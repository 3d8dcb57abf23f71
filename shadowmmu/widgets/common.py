"""The common explorer skeleton: the Explorer box, the address box, presets, bit toggles, guards.

Each builder returns a fresh ``Explorer`` (a ``VBox`` with DOM class
``smmu-explorer``) and never displays it, so running a cell twice makes a
second, independent explorer instead of stacking callbacks on the first. How
an explorer behaves:

* the address box is a ``Text`` with DOM class ``smmu-address`` and
  ``continuous_update=False`` (it fires on Enter or blur);
* a value is parsed with ``parse_address()``; bad input shows
  ``views.render_error()`` in the explorer's ``status`` and the last good view
  stays on screen;
* on good input only the views change: one ``HTML.value`` assignment per
  view, no figures re-created, so nothing flickers;
* anything unexpected inside a callback is shown in the explorer's ``debug``
  HTML (with its traceback) and logged, never swallowed.

The children the tests and notebooks reach are attributes of the Explorer
(``address``, ``presets``, ``bits``, ``readout``, ``view``, ``status``,
``debug``, ...), listed in each builder's docstring.

Knows: ipywidgets, ``parse_address()``, the readout and error views. Does not know: any
notebook's own views, the simulator, how anything is computed or drawn.
"""

from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import dataclass, field

import ipywidgets as W

from ..address import AddressError, decompose, parse_address
from ..views.address import render_readout
from ..views.common import PRESETS, render_debug, render_error

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = 0xDEADBEEF


@dataclass(slots=True)
class ExplorerState:
    """What an explorer shows now, one named field per thing; an explorer uses the ones it needs."""

    va: int | None = None  # the address the views show
    syncing: bool = False  # True while the explorer moves its own controls
    result: object = None  # the last scenarios AccessResult / WriteResult
    mmu: object = None  # the ShadowMMU a scenario built (page-fault explorer)
    cr3s: tuple = ()
    runs: dict = field(default_factory=dict)  # snapshot name -> (RealGuest, ShadowMMU)


class Explorer(W.VBox):
    """A VBox of controls and views; its parts are attributes (see each builder)."""

    def __init__(self, children, **parts):
        super().__init__(children=children)
        self.add_class("smmu-explorer")
        for name, widget in parts.items():
            setattr(self, name, widget)


def debug_area() -> W.HTML:
    return W.HTML(value="", layout=W.Layout(width="100%"))


def guarded(debug: W.HTML):
    """Decorator: show any exception of a callback in `debug` instead of losing it."""
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:  # shown to the reader and logged, then we carry on
                text = traceback.format_exc()
                log.error("shadowmmu widget callback failed:\n%s", text)
                debug.value = render_debug(text)
                return None
        return inner
    return wrap


def rerun_on_change(controls, debug: W.HTML, update) -> None:
    """Call update() (guarded) whenever any of the controls' values changes, and once now."""
    @guarded(debug)
    def _on_change(_change):
        update()

    for w in controls:
        w.observe(_on_change, names="value")
    update()


def address_box(initial: int) -> W.Text:
    box = W.Text(value=f"0x{initial:08X}", description="address", continuous_update=False,
                 placeholder="0xC0200000", layout=W.Layout(width="260px"))
    box.add_class("smmu-address")
    return box


def preset_buttons(address: W.Text, debug: W.HTML) -> W.HBox:
    buttons = []
    for va in PRESETS:
        b = W.Button(description=f"0x{va:08X}", tooltip=f"set the address to 0x{va:08X}",
                     layout=W.Layout(width="auto"))
        b.add_class("smmu-preset")

        @guarded(debug)
        def _click(_button, va=va):
            address.value = f"0x{va:08X}"

        b.on_click(_click)
        buttons.append(b)
    row = W.HBox(buttons)
    row.buttons = buttons
    return row


def bit_toggles() -> list[W.ToggleButton]:
    """32 toggles, bit 31 first; each has DOM classes smmu-bit and smmu-bit-N."""
    toggles = []
    for n in range(31, -1, -1):
        t = W.ToggleButton(value=False, description=str(n), tooltip=f"bit {n}",
                           layout=W.Layout(width="34px", padding="0"))
        t.add_class("smmu-bit")
        t.add_class(f"smmu-bit-{n}")
        t.bit = n
        toggles.append(t)
    return toggles


def watch_address(address: W.Text, status: W.HTML, debug: W.HTML, run) -> None:
    """Call run(va) for every valid address typed into the box; show why the others are not.

    A rejected value leaves the last good view on screen: only ``status`` changes.
    """
    @guarded(debug)
    def _on_address(change):
        try:
            va = parse_address(change["new"])
        except AddressError as err:
            status.value = render_error(err)
            return
        status.value = ""
        run(va)

    address.observe(_on_address, names="value")


def address_skeleton(initial, render_views, extra_children=(), with_bits=False, **more):
    """The shared skeleton: address box + presets (+ bit toggles) -> readout + views.

    render_views(d) returns the HTML strings of the explorer's own views, in order.
    """
    initial = parse_address(initial)
    debug = debug_area()
    status = W.HTML(value="")
    address = address_box(initial)
    presets = preset_buttons(address, debug)
    readout = W.HTML(value="")
    d0 = decompose(initial)
    outs = [W.HTML(value=s) for s in render_views(d0)]
    readout.value = render_readout(d0)
    bits = bit_toggles() if with_bits else []
    state = ExplorerState(va=initial)

    def _show_bits(va):
        state.syncing = True
        try:
            for t in bits:
                want = bool((va >> t.bit) & 1)
                if t.value != want:  # send only the toggles that change
                    t.value = want
        finally:
            state.syncing = False

    def _show(va):
        d = decompose(va)
        state.va = va
        readout.value = render_readout(d)
        for out, s in zip(outs, render_views(d)):
            if out.value != s:
                out.value = s
        _show_bits(d.va)

    @guarded(debug)
    def _on_bit(change):
        if state.syncing:
            return
        bit = change["owner"].bit
        va = state.va | (1 << bit) if change["new"] else state.va & ~(1 << bit)
        address.value = f"0x{va:08X}"

    watch_address(address, status, debug, _show)
    for t in bits:
        t.observe(_on_bit, names="value")
    _show_bits(initial)
    rows = [W.HBox([address, status]), presets]
    if bits:
        rows.append(W.HBox(bits, layout=W.Layout(flex_flow="row wrap")))
    rows += list(extra_children) + [readout] + outs + [debug]
    return Explorer(rows, address=address, presets=presets.buttons, bits=bits,
                    readout=readout, views=outs, view=outs[0], status=status, debug=debug,
                    state=state, **more)
