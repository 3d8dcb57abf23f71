"""Every number of notebook 10's CR3-switch picture, checked against an oracle (issue 20, point 11).

Every precomputed state is drawn by node and read back part by part (the head line,
the paragraph, each pae_root quarter's found and created pages, the table, the totals);
each number is compared with a recount made here: the two snapshots' pages touched in
turn on a ShadowMMU built straight from the snapshot files, its shadow tables then read
entry by entry from pae_root, and the page tables both page directories share counted
from their raw bytes.
"""

from __future__ import annotations

import copy
import re

import pytest

from frontend.picture_numbers import draw_states, texts
from frontend.real_oracle import fresh_mmu, snapshot
from reference_oracles.qemu import entry
from shadowmmu import GuestPageFault
from shadowmmu.rules import QUADRANT_RULES

P, PS = 1, 1 << 7
ADDR = ((1 << 52) - 1) & ~0xFFF

def switch_oracle(first: str, second: str, large: bool, rule: str) -> dict:
    """The switch recounted: first's pages touched, then second's, the shadow read raw."""
    guest, mmu = fresh_mmu([first, second], large, rule)
    for n, name in enumerate((first, second)):
        if n == 1:
            before = {sp.hpa for sp in mmu.shadow_pages()}
            before_total = len(before)
        mmu.load_cr3(snapshot(name).cr3)
        for va in sorted({va & ~0xFFF for va, gpa in snapshot(name).gva2gpa if gpa is not None}):
            try:
                mmu.access(va)
            except GuestPageFault:
                pass
    by_hpa = mmu.cache.by_hpa
    quarters, seen, rows = {}, set(), {}
    for q in range(4):
        if not mmu.roots.pdpte(q) & P:
            continue
        root = by_hpa[mmu.roots.pdpte(q) & ADDR]
        for sp in [root] + [by_hpa[s & ADDR] for s in root.spt if s & P and not s & PS]:
            if sp.hpa in seen:
                continue
            seen.add(sp.hpa)
            found = sp.hpa in before
            role = f"L{sp.role.level} q{sp.role.quadrant}" + (" direct" if sp.role.direct else "")
            quarters.setdefault((q, found), []).append((role, sp.gfn))
            rows.setdefault((role, q), [0, 0])[0 if found else 1] += 1
    tables = []
    for name in (first, second):
        pd = snapshot(name).pages[snapshot(name).cr3 >> 12]
        tables.append({entry(pd, k) >> 12 for k in range(1024) if entry(pd, k) & P and not entry(pd, k) & PS})
    return {"quarters": quarters, "rows": rows, "before": before_total, "after": len(mmu.shadow_pages()),
            "shared": len(tables[0] & tables[1]), "first": first, "second": second, "rule": rule, "large": large}


def switch_errors_drawn(lines: list[str], o: dict) -> list[str]:
    """Read the drawn switch back, part by part, and compare every number with the oracle."""
    errors = []
    found = sum(len(v) for (q, f), v in o["quarters"].items() if f)
    created = sum(len(v) for (q, f), v in o["quarters"].items() if not f)
    want_head = f"CR3 switch {o['first']} to {o['second']}: {found} found, {created} created"
    if lines[0] != want_head:
        errors.append(f"{lines[0]!r}, the oracle {want_head!r}")
    para = " ".join(lines[2:4])
    want_para = (f"{o['second']}'s faults reached {found + created} shadow pages: {found} found in the cache "
                 f"(built while {o['first']} ran), {created} created. The cache held {o['before']} shadow pages "
                 f"before the switch and {o['after']} after. The two page directories share {o['shared']} page tables.")
    if para != want_para:
        errors.append(f"{para!r}, the oracle {want_para!r}")
    at, q, section, drawn = 4, None, None, {}
    while lines[at] != "shadow page":
        line = lines[at]
        m = re.fullmatch(r"pae_root\[(\d)\]", line)
        if m:
            q, section = int(m[1]), None
            at += 2  # "user space" / "kernel half": words, checked below
            want = "kernel half" if q == 3 else "user space"
            if lines[at - 1] != want:
                errors.append(f"pae_root[{q}] is the {want}, not {lines[at - 1]!r}")
            continue
        if line == "nothing reached":
            at += 1
            continue
        m = re.fullmatch(r"(created|found in the cache): (\d+)", line)
        if m:
            section = (q, m[1] != "created")
            drawn[section] = {"count": int(m[2]), "pages": []}
            at += 1
            continue
        g = re.fullmatch(r"gfn (0x[0-9A-F]+)", lines[at + 1])
        if section is None or g is None:
            errors.append(f"{line!r} is accounted for by no oracle")
            at += 1
            continue
        drawn[section]["pages"].append((line, int(g[1], 16)))
        at += 2
    for key in set(drawn) | set(o["quarters"]):
        d, want = drawn.get(key, {"count": 0, "pages": []}), o["quarters"].get(key, [])
        if d["count"] != len(want) or sorted(d["pages"]) != sorted(want):
            errors.append(f"pae_root[{key[0]}] {'found' if key[1] else 'created'}: drawn {d}, oracle {sorted(want)}")
    at += 4  # the table's header
    table = {}
    while lines[at] != "total":
        role, root, f, c = lines[at:at + 4]
        rq = re.fullmatch(r"pae_root\[(\d)\] \((user|kernel)\)", root)
        table[role, int(rq[1])] = [int(f), int(c)]
        at += 4
    if table != o["rows"]:
        errors.append(f"the table: drawn {table}, oracle {o['rows']}")
    totals = [int(t) for t in lines[at + 1:] if t.strip()]
    if totals != [found, created]:
        errors.append(f"the totals: drawn {totals}, oracle {[found, created]}")
    return errors


@pytest.fixture(scope="module")
def switches(node):
    from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer
    x = cr3_switch_explorer()
    recs = list(x.states.values())
    inputs = [{"first": r["first"], "host_large_pages": r["host_large_pages"], "rule": r["rule"]} for r in recs]
    return x, list(zip(inputs, recs, draw_states(x, recs, inputs)))


def test_every_number_of_every_10_switch_is_the_oracles(switches):
    _, drawn = switches
    assert len(drawn) == 24
    errors = []
    for i, rec, svg in drawn:
        o = switch_oracle(rec["first"], rec["second"], i["host_large_pages"], i["rule"])
        lines = texts(svg)
        want_title = (f"CR3 switch: {rec['first']} ran, then CR3 = {rec['second']}'s page directory; rule "
                      f"{i['rule']}{'' if QUADRANT_RULES[i['rule']].correct else ' (wrong)'}, host large pages "
                      f"{'on' if i['host_large_pages'] else 'off'}")
        assert lines[1] == want_title, (lines[1], want_title)
        body = [t for t in lines if not t.startswith('"halves" is the misconception of notebook')]
        errors += [f"{i}: {e}" for e in switch_errors_drawn(body, o)]
    assert errors == [], "\n".join(errors[:20]) + f"\n({len(errors)} in all)"


def test_a_planted_wrong_switch_count_fails(switches):
    x, drawn = switches
    i, rec, _ = drawn[0]
    bad = copy.deepcopy(rec)
    bad["before_total"] += 1
    (svg,) = draw_states(x, [bad], [i])
    o = switch_oracle(rec["first"], rec["second"], i["host_large_pages"], i["rule"])
    assert any("The cache held" in e for e in switch_errors_drawn(texts(svg), o))
