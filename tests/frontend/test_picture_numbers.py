"""Every number every simulator picture shows, checked against an oracle (issue 20, point 11).

Each precomputed state of each explorer is drawn by node with the page's own code;
every number in every <text> and <title> must be accounted for by a claim whose
numbers an independent oracle recomputes (tests/frontend/picture_numbers.py), or the
test fails. The oracles:

* the guest's 32-bit tables read raw, entry by entry (present bit 0, PS bit 7,
  frames in bits 31:12 or 31:22), not through ``Guest.walk``/``mappings``;
* the shadow tables read raw from the simulator's pages after its own run
  (``ShadowMMU`` driven here, not through ``shadowmmu.states``): P bit 0, PS
  bit 7, the address in bits 51:12;
* address arithmetic written out: quadrant q covers q<<30 .. (q+1)<<30 - 1,
  2 MiB slot j of it starts at q<<30 + j<<21.

A planted wrong label (the overflowing end address issue 20 found) must fail.
"""

from __future__ import annotations

import copy

import pytest

from frontend.picture_numbers import audit, draw_states, expect, num, texts
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer, whole_guest_space
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.linux import linux_like_guest, run_each
from shadowmmu.sim.mmu import ShadowMMU
from shadowmmu.states.space import state_key

GIB, SLOT, PAGE = 1 << 30, 1 << 21, 1 << 12
P, PS = 1, 1 << 7
ADDR = ((1 << 52) - 1) & ~(PAGE - 1)
HEX = r"0x[0-9A-Fa-f]+"


# ---- 08: the whole guest -----------------------------------------------------------

def _guest_pages(guest, cr3) -> dict:
    """{va: gpa} of every 4 KiB page the guest maps, read raw from its tables."""
    out = {}
    pd = cr3 & ~(PAGE - 1)
    for k in range(1024):
        pde = guest.read32(pd + 4 * k)
        if not pde & P:
            continue
        if pde & PS:
            for i in range(1024):
                out[k << 22 | i << 12] = (pde & 0xFFC00000) + (i << 12)
            continue
        for i in range(1024):
            pte = guest.read32((pde & ~(PAGE - 1)) + 4 * i)
            if pte & P:
                out[k << 22 | i << 12] = pte & ~(PAGE - 1)
    return out


def _table_frames(guest, cr3s) -> set:
    frames = set()
    for cr3 in cr3s:
        pd = cr3 & ~(PAGE - 1)
        frames.add(pd)
        for k in range(1024):
            pde = guest.read32(pd + 4 * k)
            if pde & P and not pde & PS:
                frames.add(pde & ~(PAGE - 1))
    return frames


def _label(sp) -> str:
    return f"L{sp.role.level} q{sp.role.quadrant}" + (" direct" if sp.role.direct else "") + f" gfn 0x{sp.gfn:X}"


def whole_guest_oracle(rule: str, large: bool, processes: int) -> dict:
    """The numbers of notebook 08's picture, recomputed from the guest's and the shadow's raw tables."""
    guest, cr3s = linux_like_guest(processes, 64)
    mmu = ShadowMMU(guest, rule, host_large_pages=large, trace=False)
    made_by, before, rows, created, first_wrong = {}, set(), [], [], None
    occupied = set()
    for n in run_each(mmu, cr3s):
        by_hpa = {sp.hpa: sp for sp in mmu.shadow_pages()}
        for hpa in set(by_hpa) - before:
            made_by[hpa] = n + 1
        created.append(len(set(by_hpa) - before))
        before = set(by_hpa)
        gmap = _guest_pages(guest, cr3s[n])
        occupied |= {va >> 21 for va in gmap}
        cells = {}
        for q in range(4):
            entry = mmu.roots.pdpte(q)
            if not entry & P:
                continue
            root = by_hpa[entry & ADDR]
            for j, spte in enumerate(root.spt):
                if not spte & P:
                    continue
                base = q * GIB + j * SLOT
                occupied.add(base >> 21)
                if spte & PS:  # a 2 MiB leaf: its pages map frame + offset
                    leaves = {base + (k << 12): (spte & ADDR) + (k << 12) for k in range(512)}
                    cover = root
                else:
                    cover = by_hpa[spte & ADDR]
                    leaves = {base + (k << 12): s & ADDR for k, s in enumerate(cover.spt) if s & P}
                wrong = sum(gmap.get(va) != gpa for va, gpa in leaves.items())
                cells[q, j] = (_label(cover), made_by[cover.hpa], wrong)
                if wrong and first_wrong is None:
                    first_wrong = n + 1
        rows.append(cells)
    sps = mmu.shadow_pages()
    leaf = sum(1 for sp in sps for s in sp.spt if s & P and (sp.role.level == 1 or s & PS))
    large_n = sum(1 for sp in sps if sp.role.level == 2 for s in sp.spt if s & P and s & PS)
    census = {}
    for sp in sps:
        census[sp.role.level, sp.role.quadrant, sp.role.direct] = census.get(
            (sp.role.level, sp.role.quadrant, sp.role.direct), 0) + 1
    frames = len(_table_frames(guest, cr3s))
    return {"rows": rows, "occupied": occupied, "created": created, "shadow_pages": len(sps),
            "frames": frames, "leaf": leaf, "large": large_n, "faults": mmu.stats().faults,
            "census": census, "first_wrong": first_wrong, "processes": processes, "rule": rule,
            "guest": guest, "cr3s": cr3s}


def whole_guest_claims(o: dict) -> list:
    occ = o["occupied"]

    def quadrant(m):
        q, a, b = int(m["q"]), num(m["a"]), num(m["b"])
        return (expect("pae_root index", int(m["r"]), q) or expect("first VA", a, q * GIB)
                or expect("last VA", b, (q + 1) * GIB - 1))

    def gap(m):
        n, a, b = int(m["n"]), num(m["a"]), num(m["b"])
        if a % SLOT or (b + 1) % SLOT or b < a:
            return f"not a range of whole 2 MiB slots: {m['a']}-{m['b']}"
        if a // GIB != b // GIB:
            return f"{m['a']}-{m['b']} crosses a PD quadrant"
        slots = range(a >> 21, (b + 1) >> 21)
        if n != len(slots):
            return f"{n} slots named, {len(slots)} in {m['a']}-{m['b']}"
        if occ & set(slots):
            return f"slot(s) {sorted(occ & set(slots))} in the gap are mapped"
        q0, q1 = (a // GIB) << 9, ((a // GIB) + 1) << 9
        if (a >> 21) > q0 and (a >> 21) - 1 not in occ or ((b + 1) >> 21) < q1 and (b + 1) >> 21 not in occ:
            return "the gap is not a whole run of empty slots"
        return None

    def tick(m):
        va = num(m[0])
        return None if va % SLOT == 0 and va >> 21 in occ else f"{m[0]} is not a mapped slot's start"

    def cell(m):
        p, j, va = int(m["p"]), int(m["j"]), num(m["va"])
        if va % SLOT or (va >> 21) & 511 != j:
            return f"slot {j} does not start at {m['va']}"
        got = o["rows"][p - 1].get((va >> 30, j))
        if got is None:
            return f"the oracle has no shadow page at {m['va']} for process {p}"
        label, by, wrong = got
        return (expect("covering page", m["label"], label) or expect("made by", int(m["by"]), by)
                or expect("sPTEs that disagree", int(m["w"] or 0), wrong))

    labels = {lab for r in o["rows"] for lab, _, _ in r.values()}
    wrongs = {w for r in o["rows"] for _, _, w in r.values()}

    def mark(m):
        if m["label"] not in labels and m[0] not in ("2M", "D0", "D1", "q0", "q1", "q2", "q3"):
            return f"{m['label']} covers no slot"
        return None if m["x"] is None or int(m["x"]) in wrongs else f"x{m['x']}: no slot has that many wrong sPTEs"

    def memory(m):
        s, sb, g, gb, r = num(m["s"]), num(m["sb"]), num(m["g"]), num(m["gb"]), m["r"]
        want_r = (10 * s * PAGE + g * PAGE // 2) // (g * PAGE)
        return (expect("shadow pages", s, o["shadow_pages"]) or expect("their bytes", sb, s * PAGE)
                or expect("guest table frames", g, o["frames"]) or expect("their bytes", gb, g * PAGE)
                or expect("ratio", r, f"{want_r // 10}.{want_r % 10}"))

    def leaves(m):
        return (expect("leaf sPTEs", int(m["l"]), o["leaf"]) or expect("2 MiB ones", int(m["g"]), o["large"])
                or expect("faults", int(m["f"]), o["faults"]))

    def made(m):
        return expect("pages made", int(m["c"]), o["created"][int(m["p"]) - 1])

    def found(m):
        return None  # the list's counts are checked with the census below (k x Ln qm)

    census_counts = set(o["census"].values()) | {o["shadow_pages"], 0}
    census_counts |= {sum(c for (lvl, _, d), c in o["census"].items() if (lvl, d) == key)
                      for key in {(lvl, d) for lvl, _, d in o["census"]}}

    def bare(m):
        n = int(m[0])
        return None if n in census_counts or n in _gap_counts(occ) else f"{n} is no count the oracle knows"

    def reused(m):
        return None if int(m["k"]) <= o["census"].get((int(m["l"]), int(m["q"]), m["d"] is not None), 0) \
            else f"{m[0]}: more than the cache holds"

    def title(m):
        return (expect("rule", m["name"], o["rule"]) or expect("formula", m["f"], QUADRANT_RULES[o["rule"]].formula)
                or expect("processes", int(m["p"]), o["processes"]) or expect("memory", int(m["mib"]), 64))

    def verdict(m):
        if o["first_wrong"] is None:
            return "the oracle finds no wrong sPTE"
        va = num(m["va"])
        gmap = _guest_pages(o["guest"], o["cr3s"][int(m["p"]) - 1])
        want_guest = "not mapped" if va not in gmap else f"0x{gmap[va]:X}"
        got_guest = m["g"]
        return (expect("first wrong process", int(m["p"]), o["first_wrong"])
                or (None if got_guest.lower() == want_guest.lower() else f"guest {got_guest} vs {want_guest}")
                or (None if va in {k for r in o["rows"] for (q, j) in r for k in [q * GIB + j * SLOT]}
                    or any((va >> 21) == (q * GIB + j * SLOT) >> 21 for r in o["rows"] for q, j in r)
                    else f"{m['va']} is in no shadowed slot"))

    return [
        (rf"PD quadrant (?P<q>\d): pae_root\[(?P<r>\d)\], VA (?P<a>{HEX})-(?P<b>{HEX})", quadrant),
        (rf"^(?P<n>\d+) empty 2 MiB slots, (?P<a>{HEX})-(?P<b>{HEX})$", gap),
        (rf"process (?P<p>\d+), slot (?P<j>\d+) \((?P<va>{HEX})\): (?P<label>L\d q\d(?: direct)? gfn {HEX}), "
         rf"made by process (?P<by>\d+)(?:; (?P<w>\d+) sPTEs disagree with the guest)?", cell),
        (rf"^(?P<label>L\d q\d(?: direct)? gfn {HEX}|2M|D[01]|q[0-3])(?: x(?P<x>\d+))?$", mark),
        (rf"memory: (?P<s>\d+) shadow pages x 4 KiB = (?P<sb>[\d,]+) B, against (?P<g>\d+) guest page-table "
         rf"frames = (?P<gb>[\d,]+) B \((?P<r>\d+\.\d)x\)", memory),
        (r"(?P<l>\d+) leaf sPTEs \((?P<g>\d+) of them 2 MiB\), (?P<f>\d+) shadow page faults", leaves),
        (r"process (?P<p>\d+): (?P<c>\d+) shadow pages made", made),
        (r"(?P<k>\d+) x L(?P<l>\d) q(?P<q>\d)(?P<d> direct)?", reused),
        (r"^rule (?P<name>[\w-]+) \((?P<f>.*)\)(?:, the misconception)?; host large pages o(?:n|ff); (?P<p>\d+) process(?:es)?; "
         r"(?P<mib>\d+) MiB$", title),
        (rf"check\(\): WRONG after process (?P<p>\d+) ran\. VA (?P<va>{HEX}): shadow -> {HEX}, "
         rf"guest -> (?P<g>not mapped|{HEX})", verdict),
        (rf"^{HEX}$", tick),
        (r"^\d+$", bare),
    ]


def _gap_counts(occ) -> set:
    out = set()
    for q in range(4):
        run = 0
        for j in range(512):
            if (q << 9 | j) in occ:
                out.add(run) if run else None
                run = 0
            else:
                run += 1
        if run:
            out.add(run)
    return out


WHOLE_GUEST_CONSTANTS = (
    r"2 MiB", r"4 KiB", r"4 MiB", r"role\.quadrant( 0/1)?", r"D0/D1", r"\(L[123]\)", r"\bL[123]\b",
    r"^q[0-3]$", r"512 pages", r"3 px", r"process \d+$", r"process \d+\b(?= ran| read)", r"2M",
    r"\(spte_index [%&] \d\)", r"\(VA >> \d+\) & \d", r"index [%&] \d", r"\(\(?[a-z_ ]+\)? ?& ?\d\)",
    r"bits? \d+(:\d+)?", r"mod \d", r"% \(1 << role\.level\)", r"xN: N pages",
)


@pytest.fixture(scope="module")
def whole_guest_drawn(node):
    x = whole_guest_explorer()
    space = whole_guest_space()
    recs = [x.states[state_key(x.key_fields, i)] for i in space]
    return x, list(zip(space, recs, draw_states(x, recs, space)))


def test_every_number_of_every_08_state_is_the_oracles(whole_guest_drawn):
    _, drawn = whole_guest_drawn
    assert len(drawn) == 48
    errors = []
    for inputs, _, svg in drawn:
        o = whole_guest_oracle(inputs["rule"], inputs["large"], inputs["processes"])
        errors += [f"{inputs}: {e}" for e in audit(texts(svg), whole_guest_claims(o), WHOLE_GUEST_CONSTANTS)]
    assert errors == [], "\n".join(errors[:40]) + f"\n({len(errors)} in all)"


def test_a_planted_wrong_08_label_fails(whole_guest_drawn):
    x, drawn = whole_guest_drawn
    inputs, rec, _ = drawn[0]
    bad = copy.deepcopy(rec)
    gap = next(g for s in bad["map"]["strips"] for g in s["gaps"] if g["slots"] == 512)
    # the bug issue 20 found: (q << 30 | end << 21) - 1 with end = 512 overflows into bit 30
    q = int(gap["va"], 16) >> 30
    gap["va_end"] = f"0x{(q << 30 | 512 << 21) - 1:08X}"
    (svg,) = draw_states(x, [bad], [inputs])
    o = whole_guest_oracle(inputs["rule"], inputs["large"], inputs["processes"])
    errors = audit(texts(svg), whole_guest_claims(o), WHOLE_GUEST_CONSTANTS)
    assert errors and all("empty 2 MiB slots" in e for e in errors), errors


def test_the_empty_slot_labels_of_issue_20_read_right(whole_guest_drawn):
    """Pinned by hand: with one process the guest maps nothing in 0x40000000-0x7FFFFFFF (PD
    quadrant 1), so its whole strip is one gap of 512 slots; user space ends at 0xBFFFFFFF
    with the stack in slot 511 of quadrant 2, so 511 slots before it are empty."""
    _, drawn = whole_guest_drawn
    words = "\n".join(texts(drawn[0][2]))
    assert "512 empty 2 MiB slots, 0x40000000-0x7FFFFFFF" in words
    assert "511 empty 2 MiB slots, 0x80000000-0xBFDFFFFF" in words
    assert "0x40000000-0x3FFFFFFF" not in words and "-0xBFFFFFFF" not in words.replace(
        "pae_root[2], VA 0x80000000-0xBFFFFFFF", "")
