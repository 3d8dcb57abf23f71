"""Every number of notebook 10's pictures, checked against an oracle (issue 20, point 11).

Each precomputed state of the real-guest explorer is drawn by node; every number in
its words must be one that the oracles below recompute: the snapshot's own bytes read
with literal masks (tests/reference_oracles/qemu.py's ``entry``/``mini_walk``), QEMU's recorded
answers, and a ShadowMMU run here on a guest built straight from the snapshot files
(tests/frontend/real_oracle.py), whose shadow tables are read entry by entry. Also
pins issue 20 point 12: for a 4 MiB page there is no guest PTE, and with host large
pages the leaf is a 2 MiB sPTE in the PAE PDE, not a PAE PTE.
"""

from __future__ import annotations

import copy
import re

import pytest

from frontend.picture_numbers import audit, draw_states, expect, num, texts
from frontend.real_oracle import fresh_mmu, qemu_said, snapshot
from reference_oracles.qemu import entry, mini_walk
from shadowmmu import GuestPageFault
from shadowmmu.frontend.real_guest_explorer import real_guest_explorer

P, W, PS = 1, 1 << 1, 1 << 7
ADDR = ((1 << 52) - 1) & ~0xFFF
HEX = r"0x[0-9A-Fa-f]+"


def probe_oracle(name: str, va: int, large: bool) -> dict:
    snap = snapshot(name)
    pd = snap.pages[snap.cr3 >> 12]
    pde = entry(pd, va >> 22)
    pse = bool(pde & P and pde & PS and snap.cr4 & 0x10)
    pte = entry(snap.pages[pde >> 12], (va >> 12) & 0x3FF) if pde & P and not pse else None
    guest, mmu = fresh_mmu([name], large)
    mmu.load_cr3(snap.cr3)
    try:
        gpa = mmu.access(va)
    except GuestPageFault:
        gpa = None
    q, j, i = va >> 30, (va >> 21) & 511, (va >> 12) & 511
    root = mmu.cache.by_hpa[mmu.roots.pdpte(q) & ADDR]
    top = root.spt[j]
    child = mmu.cache.by_hpa.get(top & ADDR) if top & P and not top & PS else None
    pages = {(root.role.level, root.role.quadrant, root.role.direct, root.gfn)}
    if child is not None:
        pages.add((child.role.level, child.role.quadrant, child.role.direct, child.gfn))
    present = {k: entry(pd, k) for k in range(1024) if entry(pd, k) & P}
    return {"name": name, "va": va, "large": large, "snap": snap, "pd": pd, "pde": pde, "pse": pse,
            "pte": pte, "gpa": gpa, "walk": mini_walk(snap, va), "qemu": qemu_said(name, va),
            "q": q, "j": j, "i": i, "root": root, "top": top, "child": child,
            "leaf2m": bool(top & P and top & PS), "pages": pages, "present": present,
            "pdpt": [mmu.roots.pdpte(n) for n in range(4)]}


def _verdict(o) -> str:
    asked, qemu = o["qemu"]
    agree = o["gpa"] == o["walk"] and (asked == "no" or qemu == o["gpa"])
    if not agree:
        return "DISAGREE: the three translations differ"
    if asked == "no":
        return ("guest walk and shadow MMU agree: not mapped (QEMU was not asked)" if o["gpa"] is None
                else "guest walk and shadow MMU agree (QEMU was not asked about this page)")
    return "all three agree: not mapped" if o["gpa"] is None else f"all three agree: gpa 0x{o['gpa']:08X}"


def probe_claims(o: dict) -> list:
    va, q, j, i, snap = o["va"], o["q"], o["j"], o["i"], o["snap"]
    k, n, bit21 = va >> 22, (va >> 12) & 0x3FF, (va >> 21) & 1
    state = {"quarter": None}

    def leaf_ok(two, idx, lvl, quad, direct, gfn, value):
        if two:
            return (expect("2 MiB leaf", o["leaf2m"], True) or expect("its PAE PDE", idx, j)
                    or expect("level", lvl, 2) or expect("quadrant", quad, q) or expect("gfn", gfn, snap.cr3 >> 12)
                    or expect("frame", value & ADDR, o["gpa"] & ~((1 << 21) - 1)) or expect("PS", bool(value & PS), True))
        c = o["child"]
        if c is None:
            return "a 4 KiB leaf, but the oracle's PAE PDE links no page"
        return (expect("leaf index", idx, i) or expect("level", lvl, 1) or expect("quadrant", quad, bit21)
                or expect("direct", direct, o["pse"]) or expect("gfn", gfn, c.gfn)
                or expect("frame", value & ADDR, o["gpa"] & ~0xFFF) or expect("value", value, c.spt[i]))

    def head(m):
        return expect("snapshot", m["s"], o["name"]) or expect("VA", num(m["va"]), va) or expect(
            "verdict", m["rest"], _verdict(o))

    def subtitle(m):
        return (expect("snapshot", m["s"], o["name"]) or expect("CR3", num(m["cr3"]), snap.cr3)
                or expect("VA", num(m["va"]), va) or expect("large", m["on"] == "n", o["large"]))

    def gpde(m):
        return expect("guest PDE", int(m["k"]), k) or expect("4 MiB page", bool(m["big"]), o["pse"])

    def gpte(m):
        return "a 4 MiB page has no guest PTE" if o["pse"] else expect("guest PTE", int(m["n"]), n)

    def root(m):
        return expect("pae_root", int(m["q"]), q) or expect("PD quadrant", int(m["q2"]), q)

    def spde(m):
        return expect("PAE PDE", int(m["j"]), j) or expect("2 MiB leaf", bool(m["leaf"]), o["leaf2m"])

    def ptq(m):
        if o["leaf2m"]:
            return "a 2 MiB leaf has no PAE page table"
        return expect("PT quadrant", int(m["b"]), bit21) or expect("direct", bool(m["d"]), o["pse"])

    def spte(m):
        return "a 2 MiB leaf has no PAE PTE" if o["leaf2m"] else expect("PAE PTE", int(m["i"]), i)

    def value(m):
        got = num(m[0])
        want = {o["walk"], o["gpa"], o["qemu"][1]} - {None}
        return None if got in want else f"{m[0]} is none of the three translations"

    def walk_big(m):
        return expect("PDE", int(m["k"]), k) or expect("its value", num(m["v"]), o["pde"]) or expect("PS", o["pse"], True)

    def walk_4k(m):
        return (expect("PDE", int(m["k"]), k) or expect("its value", num(m["v"]), o["pde"])
                or expect("PTE", int(m["n"]), n) or expect("its value", num(m["w"]), o["pte"]))

    def guest_pf(m):
        return expect("VA", num(m["va"]), va) or expect("level", m["lvl"] == "DE", not o["pde"] & P)

    def leaf(m):
        return leaf_ok(bool(m["two"]), int(m["i"]), int(m["l"]), int(m["q"]), bool(m["d"]), num(m["g"]), num(m["v"]))

    def page(m):
        key = (int(m["l"]), int(m["q"]), bool(m["d"]), num(m["g"]))
        return None if key in o["pages"] else f"{key} is not a page the access went through"

    def page_q(m):
        return None if int(m["q"]) in {p[1] for p in o["pages"]} else f"role.quadrant {m['q']}: no such page"

    def step(m):
        return None if 1 <= int(m["n"]) <= 12 else f"step {m['n']}"

    def sw(m):
        lvl, e, v = int(m["l"]), int(m["e"]), num(m["v"])
        want_e = {3: q, 2: j, 1: i}[lvl]
        final = {3: o["pdpt"][q], 2: o["top"], 1: o["child"].spt[i] if o["child"] else 0}[lvl]
        return expect(f"L{lvl} entry", e, want_e) or (None if v in (0, final) else f"{m['v']} was never there")

    def gwalk(m):
        idx, a, v = int(m["k"]), num(m["a"]), num(m["v"])
        if m["t"] == "DE":
            return (expect("PDE", idx, k) or expect("its gpa", a, snap.cr3 + 4 * k)
                    or expect("its value", v & ~0x60, o["pde"] & ~0x60))
        return (expect("PTE", idx, n) or expect("its gpa", a, (o["pde"] & ~0xFFF) + 4 * n)
                or expect("its value", v & ~0x60, o["pte"] & ~0x60))

    def spf(m):
        return expect("VA", num(m["va"]), va) or expect("error code", num(m["c"]), 0)

    def install(m):
        what, idx, g, lvl, quad, v = m["what"], int(m["i"]), num(m["g"]), int(m["l"]), int(m["q"]), num(m["v"])
        if what == "link":
            return (expect("PAE PDE", idx, j) or expect("level", lvl, 2) or expect("quadrant", quad, q)
                    or expect("gfn", g, snap.cr3 >> 12) or expect("link value", v, o["top"]))
        return leaf_ok(what == "leaf 2M", idx, lvl, quad, bool(m["d"]), g, v)

    def made(m):
        key = (int(m["l"]), int(m["q"]), bool(m["d"]), num(m["g"]))
        if key not in o["pages"]:
            return f"{key} is not a page the access went through"
        return expect("hpa", num(m["h"]), o["child"].hpa) if o["child"] is not None else "no page was made"

    def inject(m):
        return expect("VA", num(m["va"]), va) or expect("level", m["lvl"], "PDE" if not o["pde"] & P else "PTE")

    def pd_head(m):
        big = sum(1 for e in o["present"].values() if e & PS)
        return (expect("snapshot", m["s"], o["name"]) or expect("CR3", num(m["c"]), snap.cr3)
                or expect("present", int(m["p"]), len(o["present"])) or expect("4 MiB", int(m["a"]), big)
                or expect("page tables", int(m["b"]), len(o["present"]) - big))

    def quarter(m):
        a, b = int(m["a"]), int(m["b"])
        return None if a % 256 == 0 and b == a + 255 else f"guest PDEs {a}-{b} is not a quarter"

    def root_line(m):
        qq = int(m["q"])
        state["quarter"] = qq
        return (expect("quadrant", int(m["q2"]), qq) or expect("first VA", num(m["a"]), qq << 30)
                or expect("last VA", num(m["b"]), ((qq + 1) << 30) - 1))

    def fill(m):
        qq = state["quarter"]
        mine = [e for kk, e in o["present"].items() if kk // 256 == qq]
        big = sum(1 for e in mine if e & PS)
        return (expect("present", int(m["n"]), len(mine)) or expect("4 MiB", int(m["a"]), big)
                or expect("page tables", int(m["b"]), len(mine) - big) or expect("PAE PDEs", int(m["f"]), 2 * len(mine)))

    def through(m):
        return (expect("VA", num(m["va"]), va) or expect("PAE PDE", int(m["j"]), j)
                or expect("parity", m["eo"], "odd" if bit21 else "even")
                or expect("first gPTE", int(m["a"]), 512 * bit21) or expect("last gPTE", int(m["b"]), 512 * bit21 + 511)
                or expect("guest PDE", int(m["k"]), k))

    def row_index(m):
        kk = int(m["k"])
        if kk not in o["present"]:
            return f"guest PDE {kk} is not present"
        return expect("the selected row", kk, k) if m["sel"] else None

    def row_pt(m):
        kk = num(m["va"]) >> 22
        e = o["present"].get(kk)
        if e is None or num(m["va"]) & ((1 << 22) - 1) or e & PS:
            return f"{m['va']}: no page table there"
        pt = snap.pages[e >> 12]
        lo = sum(1 for t in range(512) if entry(pt, t) & P)
        hi = sum(1 for t in range(512, 1024) if entry(pt, t) & P)
        return (expect("PT", num(m["pt"]), e & ~0xFFF) or expect("lower gPTEs", int(m["lo"]), lo)
                or expect("upper gPTEs", int(m["hi"]), hi) or _pair(m, kk))

    def row_big(m):
        kk = num(m["va"]) >> 22
        e = o["present"].get(kk)
        if e is None or num(m["va"]) & ((1 << 22) - 1) or not e & PS:
            return f"{m['va']}: no 4 MiB page there"
        return (expect("frame", num(m["f"]), e & 0xFFC00000) or expect("read-only", bool(m["ro"]), not e & W)
                or _pair(m, kk))

    def _pair(m, kk):
        return (expect("PD quadrant", int(m["q"]), kk // 256) or expect("even PAE PDE", int(m["e"]), 2 * (kk % 256))
                or expect("odd PAE PDE", int(m["o"]), 2 * (kk % 256) + 1))

    return [
        (rf"^snapshot (?P<s>[\w-]+), VA (?P<va>{HEX}): (?P<rest>.*)$", head),
        (rf"^snapshot (?P<s>[\w-]+) \(CR3 (?P<cr3>{HEX})\), VA (?P<va>{HEX}), host large pages o(?P<on>n|ff)$", subtitle),
        (r"^guest PDE (?P<k>\d+)(?P<big> \(a 4 MiB page: no guest PT\))?$", gpde),
        (r"^guest PTE (?P<n>\d+)$", gpte),
        (r"^pae_root\[(?P<q>\d)\] \(PD quadrant (?P<q2>\d)\)$", root),
        (r"^PAE PDE (?P<j>\d+)(?P<leaf>: a 2 MiB leaf sPTE)?$", spde),
        (r"^PT quadrant (?P<b>\d)(?P<d> \(a direct page\))?$", ptq),
        (r"^PAE PTE (?P<i>\d+)$", spte),
        (r"^all three agree: gpa (?P<g>0x[0-9A-F]{8})$", lambda m: expect("verdict", m[0], _verdict(o))),
        (rf"^{HEX}$", value),
        (rf"^PDE (?P<k>\d+) = (?P<v>{HEX}): a 4 MiB page \(PS set\)$", walk_big),
        (rf"^PDE (?P<k>\d+) = (?P<v>{HEX}), PTE (?P<n>\d+) = (?P<w>{HEX}): a 4 KiB page$", walk_4k),
        (r"#PF at (?P<va>0x[0-9a-f]{8}) \((read|write), (supervisor|user)\): P(?P<lvl>DE|TE) not present", guest_pf),
        (rf"^(?P<two>leaf 2M )?(?:leaf )?sPTE (?P<i>\d+) in L(?P<l>\d) q(?P<q>\d)(?P<d> direct)? gfn (?P<g>{HEX}) = "
         rf"(?P<v>{HEX})$", leaf),
        (rf"^L(?P<l>\d) q(?P<q>\d)(?P<d> direct)?, gfn (?P<g>{HEX})$", page),
        (r"^role\.quadrant (?P<q>\d), (root from the CR3 load|found in the cache|created now)$", page_q),
        (r"^(?P<n>\d+)\.$", step),
        (rf"(?:CPU walks|FNAME\(fetch\) reads) shadow L(?P<l>\d) entry (?P<e>\d+) = (?P<v>{HEX})", sw),
        (rf"guest P(?P<t>DE|TE) (?P<k>\d+) at gpa (?P<a>{HEX}) = (?P<v>{HEX})", gwalk),
        (rf"shadow #PF at (?P<va>{HEX}) \(error code (?P<c>{HEX})\)", spf),
        (rf"install (?P<what>leaf 2M|leaf|link) sPTE (?P<i>\d+) in gfn (?P<g>{HEX}) L(?P<l>\d) q(?P<q>\d)"
         rf"(?P<d> direct)? = (?P<v>{HEX})", install),
        (rf"(?:create|find) shadow page gfn (?P<g>{HEX}) L(?P<l>\d) q(?P<q>\d)(?P<d> direct)? at hpa (?P<h>{HEX})", made),
        (rf"^inject #PF at (?P<va>{HEX}): (?P<lvl>PDE|PTE) not present$", inject),
        (rf"^(?P<s>[\w-]+)'s guest page directory \(CR3 (?P<c>{HEX})\): 1024 PDEs, (?P<p>\d+) present: "
         r"(?P<a>\d+) x 4 MiB, (?P<b>\d+) page tables$", pd_head),
        (r"^guest PDEs (?P<a>\d+)-(?P<b>\d+)$", quarter),
        (rf"^pae_root\[(?P<q>\d)\]: PAE page directory, role\.quadrant (?P<q2>\d), VA (?P<a>{HEX})-(?P<b>{HEX})$",
         root_line),
        (r"^(?P<n>\d+) present guest PDEs \((?P<a>\d+) x 4 MiB, (?P<b>\d+) page tables\) fill (?P<f>\d+) of its "
         r"512 PAE PDEs$", fill),
        (rf"^(?P<va>{HEX}) goes through PAE PDE (?P<j>\d+) \((?P<eo>even|odd): gPTEs (?P<a>\d+)-(?P<b>\d+) of "
         r"guest PDE (?P<k>\d+)\)$", through),
        (r"^(?P<sel>> )?(?P<k>\d+)$", row_index),
        (rf"^(?P<va>{HEX}) PT (?P<pt>{HEX}): (?P<lo>\d+)\+(?P<hi>\d+) gPTEs -> q(?P<q>\d) (?P<e>\d+),(?P<o>\d+)$", row_pt),
        (rf"^(?P<va>{HEX}) 4 MiB at (?P<f>{HEX})(?P<ro> ro)? -> q(?P<q>\d) (?P<e>\d+),(?P<o>\d+)$", row_big),
    ]


REAL_CONSTANTS = (r"4 MiB", r"4 KiB", r"2 MiB", r"1024 PDEs", r"512 PAE PDEs", r"\bL[123]\b")


@pytest.fixture(scope="module")
def probes(node):
    x = real_guest_explorer()
    recs = list(x.states.values())
    inputs = [{"snapshot": r["snapshot"], "va": r["va"], "host_large_pages": r["host_large_pages"]} for r in recs]
    return x, list(zip(inputs, recs, draw_states(x, recs, inputs)))


def test_every_number_of_every_10_probe_is_the_oracles(probes):
    _, drawn = probes
    assert len(drawn) == 66
    errors = []
    for i, _, svg in drawn:
        o = probe_oracle(i["snapshot"], i["va"], i["host_large_pages"])
        errors += [f"{i['snapshot']} 0x{i['va']:08X} {i['host_large_pages']}: {e}"
                   for e in audit(texts(svg), probe_claims(o), REAL_CONSTANTS)]
    assert errors == [], "\n".join(errors[:40]) + f"\n({len(errors)} in all)"


def test_a_4_mib_page_shows_no_guest_pte_and_its_2_mib_leaf(probes):
    """Issue 20 point 12, by hand: user-1's PDE 769 = 0x004001E3 maps 4 MiB (PS); 0xC0400000 is
    PAE PDE 2 of pae_root[3]. With host large pages the leaf is that PAE PDE, a 2 MiB sPTE;
    without, a direct level-1 page, quadrant 0 (bit 21 clear), entry 0."""
    _, drawn = probes
    by = {(i["snapshot"], i["va"], i["host_large_pages"]): svg for i, _, svg in drawn}
    on, off = (texts(by["user-1", 0xC0400000, large]) for large in (True, False))
    assert "guest PDE 769 (a 4 MiB page: no guest PT)" in on and "PAE PDE 2: a 2 MiB leaf sPTE" in on
    assert not [t for t in on if re.fullmatch(r"guest PTE \d+|PAE PTE \d+|PT quadrant.*", t)]
    assert "PT quadrant 0 (a direct page)" in off and "PAE PTE 0" in off
    assert not [t for t in off if re.fullmatch(r"guest PTE \d+", t)]


def test_a_planted_wrong_fields_line_fails(probes):
    x, drawn = probes
    i, rec, _ = next(d for d in drawn if (d[0]["snapshot"], d[0]["va"], d[0]["host_large_pages"])
                     == ("user-1", 0xC0400000, True))
    bad = copy.deepcopy(rec)
    bad["leaf"]["what"] = "leaf"  # the old picture: a PAE PTE under a 2 MiB leaf
    (svg,) = draw_states(x, [bad], [i])
    errors = audit(texts(svg), probe_claims(probe_oracle("user-1", 0xC0400000, True)), REAL_CONSTANTS)
    assert any("2 MiB leaf" in e for e in errors), errors
