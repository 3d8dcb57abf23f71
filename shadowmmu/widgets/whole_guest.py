"""Notebook 08's explorer: the Linux-like guest, host large pages on or off, any rule.

Knows: ``scenarios.linux`` and ``views.whole_guest``. Does not know: the
simulator's internals; it never constructs a Guest or ShadowMMU.
"""

from __future__ import annotations

import ipywidgets as W

from ..rules import QUADRANT_RULES
from ..scenarios.linux import run_whole_guest
from ..views.whole_guest import render_bug_lab, render_census, render_overhead
from .common import Explorer, debug_area, rerun_on_change


def whole_guest_explorer(processes: int = 3, mem_mib: int = 64) -> Explorer:
    """Notebook 08: the Linux-like guest under the shadow MMU, host large pages on or off, any rule.

    Parts: ``processes`` (IntSlider 1..8), ``mem`` (Dropdown of MiB),
    ``large`` (Checkbox: host large pages), ``rule`` (Dropdown of
    QUADRANT_RULES), ``census`` (HTML, ``views.render_census``), ``overhead``
    (HTML, ``views.render_overhead``), ``check`` (HTML, the rule's
    ``views.render_bug_lab`` verdict), ``debug``.
    """
    debug = debug_area()
    procs = W.IntSlider(value=processes, min=1, max=8, description="processes",
                        continuous_update=False)
    procs.add_class("smmu-processes")
    mem = W.Dropdown(options=[(f"{m} MiB", m) for m in (16, 32, 64, 128, 256)], value=mem_mib,
                     description="guest RAM")
    mem.add_class("smmu-mem")
    large = W.Checkbox(value=True, description="host large pages", indent=False)
    large.add_class("smmu-large")
    rule = W.Dropdown(options=list(QUADRANT_RULES), value="mainline", description="rule")
    rule.add_class("smmu-rule")
    census, overhead, check = W.HTML(), W.HTML(), W.HTML()

    def _update():
        stats, mismatch = run_whole_guest(procs.value, mem.value, large.value,
                                                    rule.value)
        name = f"{procs.value} processes, large pages {'on' if large.value else 'off'}"
        census.value = render_census({name: stats})
        overhead.value = render_overhead({name: stats})
        check.value = render_bug_lab({rule.value: mismatch})

    rerun_on_change((procs, mem, large, rule), debug, _update)
    return Explorer([W.HBox([procs, mem]), W.HBox([large, rule]), census, overhead, check, debug],
                    processes=procs, mem=mem, large=large, rule=rule, census=census,
                    overhead=overhead, check=check, debug=debug)
