"""Notebook 08's in-page explorer: the whole Linux-like guest, every toggle answered in one frame.

``whole_guest_explorer()`` returns a ``WholeGuestExplorer`` whose state space is
every combination it offers: each quadrant rule x host large pages on/off x
each count of ``states.whole_guest.PROCESS_COUNTS``. The records are
``states.whole_guest.whole_guest_record``'s; ``guest.js`` draws them (census,
memory overhead, check() verdict, the segmented address map, what each CR3
switch reuses). A kernel also answers ``x.show(processes=N)`` for any N the
record module accepts.

    >>> x = whole_guest_explorer(space=[])
    >>> x.kind, x.key, x.record["census"]["total"]
    ('whole-guest', 'mainline|1|3', 23)

Knows: ``SimExplorer``, ``states.whole_guest``, the rule names. Does not know the
simulator or the DOM.
"""

from __future__ import annotations

from itertools import product

import traitlets as t

from ..rules import QUADRANT_RULES
from ..states.whole_guest import MEM_MIB, PROCESS_COUNTS, normalise_inputs, whole_guest_record
from .figures import Picture
from .simexplorer import SimExplorer

NOTE = (f"Every combination offered here (rule x host large pages x {', '.join(map(str, PROCESS_COUNTS))} "
        f"processes, {MEM_MIB} MiB of guest memory) was computed by the simulator ahead of time. "
        "Any other guest needs the live notebook: x.show(processes=N) for N up to 8.")


class WholeGuestExplorer(SimExplorer):
    """The Linux-like guest under the shadow MMU: inputs rule, large (host large pages), processes."""

    bundle = "guest"
    draw_function = "guestDraw"
    key_fields = ("rule", "large", "processes")
    choices = t.Dict().tag(sync=True)

    explorer_kind = "whole-guest"
    record_kind = "whole_guest"
    check_inputs = staticmethod(normalise_inputs)
    make_record = staticmethod(whole_guest_record)


def whole_guest_space(processes=PROCESS_COUNTS) -> list[dict]:
    """Every toggle combination: each rule x large on/off x each process count."""
    return [{"rule": r, "large": large, "processes": n}
            for r, large, n in product(QUADRANT_RULES, (True, False), processes)]


def whole_guest_explorer(processes: int = 3, rule: str = "mainline", large: bool = True,
                         space=None) -> WholeGuestExplorer:
    """Notebook 08: the explorer showing (rule, large, processes); ``space`` defaults to every combination."""
    x = WholeGuestExplorer({"rule": rule, "large": large, "processes": processes},
                           space=whole_guest_space() if space is None else space)
    x.choices = {"processes": list(PROCESS_COUNTS), "note": NOTE}
    return x


def whole_guest_map(processes: int = 3, rule: str = "mainline", large: bool = True) -> Picture:
    """The address map of one state alone, drawn by guest.js's ``guestMapDraw`` (node), for notebook 08's text."""
    inputs = normalise_inputs({"rule": rule, "large": large, "processes": processes})
    return Picture(WholeGuestExplorer.bundle, "guestMapDraw", ({}, whole_guest_record(inputs), inputs),
                   f"whole-guest address map: {inputs['processes']} processes, rule {inputs['rule']}, "
                   f"host large pages {'on' if inputs['large'] else 'off'}")
