"""guest.js's guestDraw under node, for every precomputed state of notebook 08's explorer.

The drawn numbers are checked against the simulator run here through the scenario
(``run_whole_guest``: stats and verdict), not against the record alone; the marks
against the record they were drawn from, and against the visible minimum (3 px, guest.js's
``MAP.minMarkW``): no mapping or sPTE run is drawn thinner, and every mark sits in its slot.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.whole_guest_explorer import WholeGuestExplorer, whole_guest_explorer, whole_guest_space
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.linux import run_whole_guest
from shadowmmu.states.space import state_key

SVG = "{http://www.w3.org/2000/svg}"
VISIBLE_PX = 3


@pytest.fixture(scope="module")
def drawn(node):
    x = whole_guest_explorer()
    space = whole_guest_space()
    records = [x.states[state_key(x.key_fields, i)] for i in space]
    svgs = node_call(WholeGuestExplorer.bundle, "guestDraw", [[x.tables, x.spec, r, i] for r, i in zip(records, space)])
    return list(zip(space, records, svgs))


def _class(e, name):
    return name in (e.get("class") or "").split()


def test_every_state_is_drawn_as_the_simulator_says(drawn):
    assert len(drawn) == 6 * 2 * 4
    for inputs, rec, svg in drawn:
        where = state_key(("rule", "large", "processes"), inputs)
        root = ET.fromstring(svg)  # well-formed
        assert int(root.get("width")) <= 948, where  # the map laid out by guest.js fits the page
        stats, mismatch = run_whole_guest(inputs["processes"], 64, inputs["large"], inputs["rule"])
        cells = [e for e in root.iter(f"{SVG}g") if _class(e, "smmu-census-cell")]
        for e in cells:
            lvl, q = e.get("data-level"), e.get("data-quadrant")
            if lvl == "all":
                assert int(e.get("data-count")) == stats.total_shadow_pages, where
            elif q != "all":
                key = (int(lvl), int(q), e.get("data-direct") == "1")
                assert int(e.get("data-count")) == stats.shadow_pages.get(key, 0), (where, key)
                assert "".join(e.itertext()).strip() == e.get("data-count")
        kinds = {(int(e.get("data-level")), int(e.get("data-quadrant")), e.get("data-direct") == "1")
                 for e in cells if e.get("data-quadrant") not in ("all", None)}
        assert set(stats.shadow_pages) <= kinds, where
        verdict = [e for e in root.iter(f"{SVG}text") if _class(e, "smmu-verdict")]
        assert [e.get("data-verdict") for e in verdict] == ["right" if mismatch is None else "wrong"], where
        assert (mismatch is None) == QUADRANT_RULES[inputs["rule"]].correct
        if mismatch is not None:
            assert mismatch.describe() in verdict[0].text, where
        text = "".join(root.itertext())
        assert f"{stats.shadow_bytes:,} B" in text and f"{stats.guest_table_bytes:,} B" in text, where


def test_no_mark_is_thinner_than_the_visible_minimum(drawn):
    for inputs, rec, svg in drawn:
        root = ET.fromstring(svg)
        marks = {"smmu-guest-run": [], "smmu-spte-run": []}
        for e in root.iter(f"{SVG}rect"):
            for name in marks:
                if _class(e, name):
                    marks[name].append(int(e.get("width")))
        runs = [c for s in rec["map"]["strips"] for r in s["rows"] for c in r["cells"]]
        assert len(marks["smmu-guest-run"]) == sum(len(c["guest"]) for c in runs) > 0
        assert len(marks["smmu-spte-run"]) == sum(len(c["shadow"]) for c in runs) > 0
        assert min(marks["smmu-guest-run"] + marks["smmu-spte-run"]) >= VISIBLE_PX, inputs


def test_every_mark_sits_inside_its_slot_and_slots_do_not_overlap(drawn):
    """The layout is the page's (guest.js): each run's rect lies inside its cell's slot rect,
    and the slots and gaps of a row never overlap."""
    for inputs, rec, svg in drawn:
        root = ET.fromstring(svg)
        rows: dict = {}
        for g in root.iter(f"{SVG}g"):
            if not _class(g, "smmu-map-cell"):
                continue
            slot, *runs = [r for r in g.iter(f"{SVG}rect")]
            x0, w0 = float(slot.get("x")), float(slot.get("width"))
            for r in runs:
                x, w = float(r.get("x")), float(r.get("width"))
                assert x0 <= x and x + w <= x0 + w0, (inputs, g.get("data-slot"))
            rows.setdefault((g.get("data-quadrant"), g.get("data-process")), []).append((x0, w0))
        for spans in rows.values():
            spans.sort()
            assert all(a + w <= b for (a, w), (b, _) in zip(spans, spans[1:])), inputs


def test_each_map_cell_names_its_covering_page(drawn):
    for inputs, rec, svg in drawn:
        root = ET.fromstring(svg)
        got = [(e.get("data-quadrant"), e.get("data-slot"), e.get("data-process"), e.get("data-cover"))
               for e in root.iter(f"{SVG}g") if _class(e, "smmu-map-cell")]
        pages = rec["map"]["pages"]
        want = [(str(s["quadrant"]), str(slot["index"]), r["label"],
                 pages[c["cover"]]["label"] if "cover" in c else "")
                for s in rec["map"]["strips"] for r in s["rows"] for slot, c in zip(s["slots"], r["cells"])]
        assert got == want, inputs


def test_a_kernel_answers_any_valid_count_and_names_a_bad_input():
    x = whole_guest_explorer(space=[])
    x.request = {"id": "js-1", "inputs": {"rule": "legacy", "large": False, "processes": 7}}
    stats, mismatch = run_whole_guest(7, 64, False, "legacy")
    assert x.answer["key"] == "legacy|0|7" and mismatch is None
    assert x.answer["record"]["census"]["total"] == stats.total_shadow_pages
    x.request = {"id": "js-2", "inputs": {"rule": "legacy", "large": False, "processes": 9}}
    assert x.answer == {"id": "js-2", "error": "processes 9 must be a whole number in 1..8"}
    assert x.inputs == {"rule": "legacy", "large": False, "processes": 7}
