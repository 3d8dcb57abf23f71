"""fault.js's drawFault() (and trees.js under it) under node, for every precomputed state.

Every step of every record of the default space is drawn (and each question step while it
is being asked): no exception, one <svg>, no NaN/undefined in it. The picture of the last
step names the shadow pages the simulator holds: the PAE PD the walk took (role.quadrant =
VA bits 31:30, the legacy formula) with the guest PD's gfn (CR3 >> 12 of the small guest),
and, where the guest maps va through a page table, the level-1 page's quadrant (bit 21)
and the guest PT's gfn from Guest.walk().
"""

from __future__ import annotations

import re

from shadowmmu.frontend.fault_explorer import FaultExplorer, page_fault_explorer
from shadowmmu.frontend.node import node_call
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.small import small_guest
from shadowmmu.sim.paging32 import GuestPageFault

LEGACY = QUADRANT_RULES["legacy"]


def test_every_step_of_every_state_draws(node):
    x = page_fault_explorer()
    calls, where = [], []
    for key, rec in x.states.items():
        for n, step in enumerate(rec["steps"]):
            calls.append([x.tables, x.spec, rec, rec["inputs"], {"step": n, "asking": None}])
            where.append((key, n))
            if "predict" in step:
                calls.append([x.tables, x.spec, rec, rec["inputs"], {"step": n - 1, "asking": n}])
                where.append((key, f"asking {n}"))
    out = node_call(FaultExplorer.bundle, "drawFault", calls)
    assert len(out) == len(calls)
    for (key, n), svg in zip(where, out):
        assert svg.startswith("<svg") and svg.count("<svg") == 1 and svg.endswith("</svg>"), (key, n)
        assert "NaN" not in svg and "undefined" not in svg, (key, n)
        assert re.search(r'viewBox="0 0 960 \d+"', svg), (key, n)


def test_the_last_step_names_the_pages_the_simulator_holds(node):
    x = page_fault_explorer()
    guest, cr3s = small_guest()
    keys = sorted(x.states)
    out = node_call(FaultExplorer.bundle, "drawFault",
                    [[x.tables, x.spec, x.states[k], x.states[k]["inputs"]] for k in keys])
    seen_l1 = 0
    for key, svg in zip(keys, out):
        i = x.states[key]["inputs"]
        va, cr3 = i["va"], cr3s[i["process"]]
        assert f"L2 q{LEGACY.pd_quadrant(va)} gfn 0x{cr3 >> 12:X}" in svg, key
        assert f"step {len(x.states[key]['steps'])} of {len(x.states[key]['steps'])}" in svg, key
        try:
            walk = guest.walk(cr3, va)
        except GuestPageFault:
            continue
        if walk.pte_gpa is not None:
            assert f"L1 q{LEGACY.pt_quadrant(va)} gfn 0x{walk.pte_gpa >> 12:X}" in svg, key
            seen_l1 += 1
    assert seen_l1 >= 8  # 0x00200000, 0x08048000, 0xDEADBEEF, 0xDEAD0000, 0xFFFFFFFF (both kinds)


def test_a_planted_wrong_quadrant_shows_in_the_picture(node):
    x = page_fault_explorer(space=[])
    rec = x.record
    bad = {**rec, "trees": [dict(t) for t in rec["trees"]]}
    last = bad["steps"][-1]["tree"]
    shadow = dict(bad["trees"][last]["shadow"])
    shadow["pages"] = [{**p, "quadrant": 0} if p["level"] == 1 else p for p in shadow["pages"]]
    bad["trees"][last] = {**bad["trees"][last], "shadow": shadow}
    good_svg, bad_svg = node_call(FaultExplorer.bundle, "drawFault",
                                  [[x.tables, x.spec, rec, rec["inputs"]], [x.tables, x.spec, bad, bad["inputs"]]])
    assert "L1 q1 gfn 0xE02" in good_svg and "L1 q1 gfn 0xE02" not in bad_svg
