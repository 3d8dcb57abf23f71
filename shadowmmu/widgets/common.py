"""The common explorer skeleton: the Explorer box, the address box, presets, guards.

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
(``address``, ``presets``, ``view``, ``status``, ``debug``, ...), listed in
each builder's docstring.

Knows: ipywidgets, ``parse_address()``, the error and debug views. Does not know: any
notebook's own views, the simulator, how anything is computed or drawn.
"""

from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import dataclass, field

import ipywidgets as W

from ..address import AddressError, parse_address
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
