"""writes.js under node: drawWrite() for every step of every precomputed state of notebook 07,
and the page's offset parser against Python's.

What is checked is what the record says, found in the SVG: the step counter, each page
box the step shows (data-page), each sPTE zapped so far whose page box lists it, and the
stale translation's words. The record's numbers are tested against the simulator in
tests/explorer_records/test_writes.py.
"""

from __future__ import annotations

import re

from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.writes_explorer import guest_write_explorer
from shadowmmu.states.write_inputs import normalise_inputs


def test_every_step_of_every_precomputed_state_draws(node):
    x = guest_write_explorer()
    calls, expect = [], []
    for key, rec in sorted(x.states.items()):
        for at, step in enumerate(rec["steps"]):
            calls.append([x.tables, x.spec, rec, rec["inputs"], at])
            expect.append((key, at, rec, step))
    svgs = node_call(x.bundle, x.draw_function, calls)
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
        # every frame an sPTE row names is one the record holds, never a number cut short
        held = {m for st in rec["steps"] for p in st["state"]["pages"] for x in p["sptes"]
                for m in re.findall(r"gpa (0x[0-9A-F]+)", x["what"])}
        rows = " ".join(re.findall(r'<g data-spte="[^"]*"[^>]*>(.*?)</g>', svg))
        assert set(re.findall(r"gpa (0x[0-9A-F]+)(?![0-9A-F])", rows)) <= held, where
        for size in re.findall(r'font-size="(\d+)"', svg):
            assert int(size) >= 11, where


OFFSETS = ["0x800", "800", "2048", " 0x7FC ", "0xFFC", "0xFFE", "0xFFF", "4095", "4096", "0x1000",
           "00800", "0b101", "-4", "", "  ", "xyz", "0x_800", "0x8_00", "1_024", "0X0", "0", "08",
           "\u00a00x10\u2003", "0x10\x00", "１２", "0x" + "F" * 40]


def test_the_page_parses_offsets_as_python_does(node):
    """wrParseOffset (model.js's parser with the range a store size allows) against
    states.write_inputs.normalise_inputs (address.parse_number): the same verdicts, the same words."""
    x = guest_write_explorer(space=[])
    calls = [[x.tables, x.spec, text, size] for text in OFFSETS for size in (1, 2, 4, 8)]
    got = node_call(x.bundle, "wrParseOffset", calls)
    for (_, _, text, size), js in zip(calls, got):
        try:
            want = {"ok": True, "value": normalise_inputs({"offset": text, "size": size})["offset"]}
        except ValueError as err:
            want = {"ok": False, "message": str(err)}
        assert js == want, (text, size)


def test_a_row_too_long_is_cut_at_a_space_never_inside_a_number(node):
    rows = ["L2q3:1 ZAPPED (was 2 MiB leaf: gpa 0x200000)", "sPTE 0: leaf: gpa 0x100000", "x" * 50]
    got = node_call(guest_write_explorer(space=[]).bundle, "fit", [[r, 42] for r in rows])
    assert got == ["L2q3:1 ZAPPED (was 2 MiB leaf: gpa …", "sPTE 0: leaf: gpa 0x100000", "x" * 41 + "…"]
