"""writes.js's drawWrite() under node, for every step of every precomputed state of notebook 07.

What is checked is what the record says, found in the SVG: the step counter, each page
box the step shows (data-page), each sPTE zapped so far whose page box lists it, and the
stale translation's words. The record's numbers are tested against the simulator in
tests/states/test_writes.py.
"""

from __future__ import annotations

import re

from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.writes_explorer import guest_write_explorer


def test_every_step_of_every_precomputed_state_draws(node):
    x = guest_write_explorer()
    calls, expect = [], []
    for key, rec in sorted(x.states.items()):
        for at, step in enumerate(rec["steps"]):
            calls.append([x.tables, x.spec, rec, rec["inputs"], at])
            expect.append((key, at, rec, step))
    svgs = node_call(x.modules, x.draw_function, calls)
    assert svgs is not None and len(svgs) == len(calls)
    for svg, (key, at, rec, step) in zip(svgs, expect):
        where = f"{key} step {at}"
        assert svg.startswith("<svg") and 'width="960"' in svg, where
        assert "undefined" not in svg and "NaN" not in svg and "[object" not in svg, where
        assert f"step {at + 1} of {len(rec['steps'])}: " in svg, where
        shown = set(re.findall(r'data-page="([^"]+)"', svg))
        live = {p["id"] for p in step["state"]["pages"] if p["gone"] is None}
        assert live <= shown, where
        sptes = set(re.findall(r'data-spte="([^"]+)"', svg))
        for z in step["zapped"]:
            page = next(p for p in step["state"]["pages"] if p["id"] == z.split(":")[0])
            if z.split(":")[0] in shown and len(page["sptes"]) < 4:
                assert z in sptes, (where, z)
        assert ("STALE" in svg) == bool(step["stale"]), where
        for size in re.findall(r'font-size="(\d+)"', svg):
            assert int(size) >= 11, where
