"""Notebook 06's page-fault explorer in the page: one fault of the small guest, step by step.

``page_fault_explorer()`` returns a ``FaultExplorer`` (a ``SimExplorer``) whose
records are ``shadowmmu.states.fault.fault_record()``: the fault's steps in
the kernel's order with the two trees after each. The page (``fault.js``, with
``trees.js`` drawing the trees) reveals the steps one at a time and asks the
reader to predict the root and the level-1 quadrant before it shows them.

    >>> x = page_fault_explorer(0xDEADBEEF, space=[])
    >>> x.kind, x.record["gpa"] == 0x123EEF, len(x.states)
    ('page-fault', True, 1)

The default ``space`` is every address of ``DEFAULT_ADDRESSES`` x read/write x
both processes x both ``before`` states: what a static page can show. Any
other input is computed by the kernel when there is one.

Knows: ``SimExplorer``, ``states.fault`` (its inputs and record). Does not
know the simulator or how the picture is drawn.
"""

from __future__ import annotations

from itertools import product

from ..consts import PRESETS
from ..states.fault import BEFORE, KEY_FIELDS, PROCESSES, fault_record, normalise_inputs
from .simexplorer import SimExplorer

#: The presets, plus the addresses notebook 06 names: the user page both processes map
#: at 0x08048000 (to other frames), and 0xDEAD0000, another page behind the same PAE PDE as 0xDEADBEEF.
DEFAULT_ADDRESSES = tuple(PRESETS) + (0x08048000, 0xDEAD0000)


def default_space(addresses=DEFAULT_ADDRESSES) -> list[dict]:
    """Every address x read/write x process x before, in that order."""
    return [{"va": va, "write": w, "process": p, "before": b}
            for va, w, p, b in product(addresses, (False, True), PROCESSES, BEFORE)]


class FaultExplorer(SimExplorer):
    """One guest access of the small guest, stepped through (``data-explorer="page-fault"``)."""

    bundle = "fault"
    draw_function = "drawFault"
    key_fields = KEY_FIELDS
    static_note = ("This is a static page with no Python kernel: its page-fault explorer answers "
                   "from the faults the simulator ran when the site was built (the preset addresses, "
                   "read or write, either process, fresh or after process 1).")

    explorer_kind = "page-fault"
    record_kind = "fault"
    check_inputs = staticmethod(normalise_inputs)
    make_record = staticmethod(fault_record)


def page_fault_explorer(va: int | str = 0xDEADBEEF, *, write: bool = False, process: int = 0,
                        before: str = "fresh", space=None) -> FaultExplorer:
    """Notebook 06's explorer at va (an int or anything parse_address takes); ``space``
    defaults to ``default_space()``, the states a page with no kernel can reach."""
    inputs = {"va": va, "write": write, "process": process, "before": before}
    return FaultExplorer(inputs, space=default_space() if space is None else space)
