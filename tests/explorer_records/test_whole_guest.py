"""Notebook 08's records (states.whole_guest) against the simulator, run here independently.

The oracle (``simulator_problems``) runs the same workload itself: the
Linux-like guest, one ShadowMMU, each process's pages touched in turn, and reads
the MMU through other doors than the record does: ``sim.records.page_records``
for the census, ``Guest.table_frames`` for the guest's own tables,
``ShadowMMU.leaves`` and ``check(va)`` for the sPTEs, ``Guest.mappings`` for the
map. Hand counts (the notebook's derivation) and hand-derived coverings pin the
mainline case. A record with one planted error must fail the oracle.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from itertools import product

import pytest

from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer, whole_guest_space
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.linux import linux_like_guest, touch_everything
from shadowmmu.sim.mmu import ShadowMMU
from shadowmmu.sim.records import page_records
from shadowmmu.states.space import canonical_json, state_key
from shadowmmu.states.whole_guest import (
    MEM_MIB,
    PROCESS_COUNTS,
    normalise_inputs,
    whole_guest_record,
)

KEYS = ("rule", "large", "processes")
MiB = 1 << 20


def _oracle_runs(inputs):
    """Yield (n, guest, cr3, mmu) right after process n ran, as check() sees it."""
    guest, cr3s = linux_like_guest(inputs["processes"], MEM_MIB)
    mmu = ShadowMMU(guest, inputs["rule"], host_large_pages=inputs["large"], trace=False)
    for n, cr3 in enumerate(cr3s):
        touch_everything(mmu, (cr3,))
        yield n, guest, cr3, mmu


def _covers(runs, k):
    """Runs are [first page, count] (sPTEs: [first, count, ok]) within a slot's 512 pages."""
    return any(a <= k < a + c for a, c, *_ in runs)


def simulator_problems(rec, inputs) -> list[str]:
    """Everything in rec that the simulator, run here, contradicts (empty: all agree)."""
    bad = []
    first_wrong = None
    strips = {s["quadrant"]: s for s in rec["map"]["strips"]}
    for n, guest, cr3, mmu in _oracle_runs(inputs):
        label = f"process {n + 1}"
        # the map: every guest page and every present leaf sPTE has its mark, and no mark is extra
        want_guest, want_spte = {}, {}
        for va, size, _, _ in guest.mappings(cr3):
            for page in range(va, va + size, 4096):
                want_guest.setdefault((page >> 30, (page >> 21) & 511), set()).add((page >> 12) & 511)
        for va, size, _ in mmu.leaves():
            for page in range(va, va + size, 4096):
                ok = mmu.check(page, sync=False) is None
                want_spte.setdefault((page >> 30, (page >> 21) & 511), {})[(page >> 12) & 511] = ok
        if first_wrong is None:
            m = mmu.check()
            if m is not None:
                first_wrong = (label, m.describe())
        for q, s in strips.items():
            row = next((r for r in s["rows"] if r["label"] == label), None)
            if row is None:
                bad.append(f"strip {q} has no row for {label}")
                continue
            drawn = {slot["index"]: (slot, cell) for slot, cell in zip(s["slots"], row["cells"])}
            for (qq, j), pages in list(want_guest.items()) + [(k, set(v)) for k, v in want_spte.items()]:
                if qq == q and j not in drawn:
                    bad.append(f"{label}: slot {q}:{j} maps something but is not drawn")
            for j, (slot, cell) in drawn.items():
                g, sp = want_guest.get((q, j), set()), want_spte.get((q, j), {})
                for k in g:
                    if not _covers(cell["guest"], k):
                        bad.append(f"{label}: guest page {k} of slot {q}:{j} has no mark")
                for k, ok in sp.items():
                    hit = [r for r in cell["shadow"] if r[0] <= k < r[0] + r[1]]
                    if not hit:
                        bad.append(f"{label}: sPTE {k} of slot {q}:{j} has no mark")
                    elif all(r[2] != ok for r in hit):
                        bad.append(f"{label}: sPTE {k} of slot {q}:{j} drawn {'wrong' if ok else 'right'}")
                for kind, runs, want in (("guest", cell["guest"], g), ("sPTE", cell["shadow"], set(sp))):
                    for a, c, *_ in runs:
                        if c < 1 or a < 0 or a + c > 512:
                            bad.append(f"{label}: {kind} run {a},{c} of slot {q}:{j} is empty or outside it")
                        if not any(a <= k < a + c for k in want):
                            bad.append(f"{label}: {kind} run {a},{c} of slot {q}:{j} marks nothing")
                if cell.get("wrong", 0) != sum(1 for ok in sp.values() if not ok):
                    bad.append(f"{label}: slot {q}:{j} counts {cell.get('wrong', 0)} wrong sPTEs")
    # census, overhead and verdict: at the end of the whole run
    counts = Counter((p.level, p.quadrant, p.direct) for p in page_records(mmu))
    seen = Counter()
    for r in rec["census"]["rows"]:
        for c in r["cells"]:
            seen[r["level"], c["quadrant"], r["direct"]] = c["count"]
        if r["total"] != sum(counts[r["level"], q, r["direct"]] for q in range(4)):
            bad.append(f"census row {r['label']} total {r['total']}")
    if +seen != +counts:
        bad.append(f"census {dict(+seen)} but the MMU holds {dict(+counts)}")
    total = sum(counts.values())
    if rec["census"]["total"] != total:
        bad.append(f"census total {rec['census']['total']}, the MMU holds {total}")
    o = rec["overhead"]
    frames = len(guest.table_frames())
    if (o["shadow_bytes"], o["shadow_pages"]) != (4096 * total, total):
        bad.append(f"shadow bytes {o['shadow_bytes']} for {total} pages")
    if (o["guest_table_bytes"], o["guest_table_frames"]) != (4096 * frames, frames):
        bad.append(f"guest table bytes {o['guest_table_bytes']} for {frames} frames")
    ratio = (Decimal(total) / Decimal(frames)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if o["ratio_text"] != str(ratio):
        bad.append(f"ratio {o['ratio_text']}, want {ratio}")
    v = rec["verdict"]
    if first_wrong is None and v != {"verdict": "right", "text": v.get("text")}:
        bad.append(f"verdict {v} but check() found nothing")
    if first_wrong is not None and (v["verdict"], v.get("process"), v.get("text")) != ("wrong", *first_wrong):
        bad.append(f"verdict {v}, check() found {first_wrong}")
    return bad


SPACE = whole_guest_space()


@pytest.fixture(scope="module")
def explorer():
    return whole_guest_explorer()


def test_the_space_is_every_combination_offered(explorer):
    want = {f"{r}|{int(lg)}|{n}" for r, lg, n in product(QUADRANT_RULES, (True, False), PROCESS_COUNTS)}
    assert set(explorer.states) == want and len(want) == 6 * 2 * len(PROCESS_COUNTS)


@pytest.mark.parametrize("inputs", SPACE, ids=lambda i: state_key(KEYS, i))
def test_every_state_agrees_with_the_simulator_and_with_a_live_compute(explorer, inputs):
    rec = explorer.states[state_key(KEYS, inputs)]
    assert simulator_problems(rec, inputs) == []
    assert canonical_json(rec) == canonical_json(whole_guest_record(inputs))
    assert (rec["verdict"]["verdict"] == "right") == QUADRANT_RULES[inputs["rule"]].correct


def test_mainline_by_hand():
    # The notebook's count: per process 4 page directories, L1 q0 for code (PAE PDE 64),
    # L1 q1 for the heap (PDE 65, same guest PT) and the stack (PDE 511); one shared kernel
    # page table (PAE PDE 448, even: q0); the 2 MiB half holding the guest's tables (56 MiB
    # up: q3 slot 28, even) is one direct page; without host large pages all 32 halves are.
    on = whole_guest_record({"rule": "mainline", "large": True, "processes": 3})
    off = whole_guest_record({"rule": "mainline", "large": False, "processes": 3})
    grid = lambda rec: {(r["level"], r["direct"]): [c["count"] for c in r["cells"]] for r in rec["census"]["rows"]}
    assert grid(on) == {(2, False): [3, 3, 3, 3], (1, False): [4, 6, 0, 0], (1, True): [1, 0, 0, 0]}
    assert grid(off) == {(2, False): [3, 3, 3, 3], (1, False): [4, 6, 0, 0], (1, True): [16, 16, 0, 0]}
    assert (on["census"]["total"], off["census"]["total"]) == (23, 54)
    assert on["overhead"]["guest_table_frames"] == 3 * 3 + 1  # 3 PDs, 6 user PTs, 1 kernel PT
    assert on["overhead"]["shadow_bytes"] == 23 * 4096
    assert [(s["created"], s["reused_total"]) for s in on["switch"]] == [(9, 0), (7, 2), (7, 2)]
    assert on["switch"][1]["reused"] == [{"kind": "L1 q0 direct", "count": 1}, {"kind": "L1 q0", "count": 1}]
    assert [(s["created"], s["reused_total"]) for s in off["switch"]] == [(40, 0), (7, 33), (7, 33)]


@pytest.mark.parametrize("large", [True, False])
def test_mainline_coverings_by_hand(large):
    rec = whole_guest_record({"rule": "mainline", "large": large, "processes": 2})
    guest, cr3s = linux_like_guest(2, MEM_MIB)
    pt = lambda cr3, pde: guest.read32(cr3 + 4 * pde) >> 12  # the gfn a guest PDE points at
    pages = rec["map"]["pages"]
    strips = {s["quadrant"]: s for s in rec["map"]["strips"]}

    def cell(q, j, n):
        s = strips[q]
        i = [slot["index"] for slot in s["slots"]].index(j)
        return s["rows"][n]["cells"][i]

    for n, cr3 in enumerate(cr3s):
        want = {(0, 64): f"L1 q0 gfn 0x{pt(cr3, 32):X}", (0, 65): f"L1 q1 gfn 0x{pt(cr3, 32):X}",
                (2, 511): f"L1 q1 gfn 0x{pt(cr3, 767):X}", (3, 448): f"L1 q0 gfn 0x{pt(cr3, 992):X}"}
        for j in range(MEM_MIB // 2):
            direct = f"L1 q{j & 1} direct gfn 0x{j * 2 * MiB >> 12:X}"
            want[3, j] = direct if (not large or j == 28) else f"L2 q3 gfn 0x{cr3 >> 12:X}"
        for (q, j), label in want.items():
            c = cell(q, j, n)
            assert pages[c["cover"]]["label"] == label, (n, q, j)
            shared = label.startswith("L1 q0 direct") or label.startswith("L1 q1 direct") or (q, j) == (3, 448)
            assert c.get("reused", False) == (n > 0 and shared), (n, q, j)


def test_halves_gives_code_and_heap_one_page():
    rec = whole_guest_record({"rule": "halves", "large": True, "processes": 1})
    s = rec["map"]["strips"][0]
    code, heap = s["rows"][0]["cells"]
    assert [x["index"] for x in s["slots"]] == [64, 65] and code["cover"] == heap["cover"]
    assert code["wrong"] == 8 and heap["wrong"] == 4  # the heap's 8 sPTEs seen at 0x08000000, the code's 4 at 0x082..
    assert rec["verdict"]["va"] == "0x08000000"


def test_gaps_and_slots_tile_each_strip():
    rec = whole_guest_record({"rule": "lai", "large": False, "processes": 4})
    for s in rec["map"]["strips"]:
        parts = sorted([(g["first"], g["slots"]) for g in s["gaps"]] + [(x["index"], 1) for x in s["slots"]])
        j = 0
        for first, count in parts:
            assert first == j and count >= 1
            j += count
        assert j == 512 and len(s["rows"]) == 4
        assert not any(k in g for g in s["gaps"] + s["slots"] for k in ("x", "w", "y", "h"))  # data only


@pytest.mark.parametrize("plant", [
    lambda r: r["census"]["rows"][0]["cells"][1].update(count=r["census"]["rows"][0]["cells"][1]["count"] + 1),
    lambda r: r["census"].update(total=r["census"]["total"] - 1),
    lambda r: r["overhead"].update(shadow_bytes=r["overhead"]["shadow_bytes"] + 4096),
    lambda r: r["overhead"].update(ratio_text="9.9"),
    lambda r: r.update(verdict={"verdict": "wrong", "text": "x", "process": "process 1"}),
    lambda r: (lambda g: g.__setitem__(0, g[0] + 1))(r["map"]["strips"][0]["rows"][0]["cells"][0]["guest"][0]),
    lambda r: r["map"]["strips"][3]["rows"][1]["cells"][5]["shadow"].clear(),
    lambda r: r["map"]["strips"][2]["rows"][0]["cells"][0]["guest"][0].__setitem__(1, 0),
    lambda r: r["map"]["strips"][0]["rows"][0]["cells"][1].update(wrong=2),
    lambda r: r["map"]["strips"][0]["slots"].pop(),
], ids=["census cell", "census total", "bytes", "ratio", "verdict", "guest mark moved", "sPTEs lost",
        "empty run", "wrong count", "slot lost"])
def test_a_planted_error_is_caught(plant):
    inputs = {"rule": "mainline", "large": True, "processes": 2}
    rec = copy.deepcopy(whole_guest_record(inputs))
    assert simulator_problems(rec, inputs) == []
    plant(rec)
    assert simulator_problems(rec, inputs) != []


@pytest.mark.parametrize("bad,says", [
    ({"rule": "nope"}, "rule 'nope' is not a quadrant rule; choose one of seed-v5, lai"),
    ({"large": 1}, "large (host large pages) must be true or false, not 1"),
    ({"processes": 0}, "processes 0 must be a whole number in 1..8"),
    ({"processes": True}, "processes True must be a whole number in 1..8"),
    ({"processes": 2.0}, "processes 2.0 must be a whole number in 1..8"),
    ({"mem": 64}, "unknown input mem; the inputs are rule, large, processes"),
])
def test_bad_inputs_are_named(bad, says):
    with pytest.raises(ValueError) as err:
        normalise_inputs(bad)
    assert says in str(err.value)
