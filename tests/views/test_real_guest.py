"""Notebook 10's views of a real Linux guest (shadowmmu.views, "notebook 10"; shadowmmu.scenarios).

Every expected number is derived here, independently, from the raw snapshot bytes with
struct (never from Guest, ShadowMMU or the views), or taken from the fixture README's
hand-checked counts: user-1 has 26 present PDEs, 12 of them 4 MiB pages and 14 page
tables, and 18 page-table halves holding a present entry.
"""

import dataclasses
import struct

import pytest

from shadowmmu.sim.records import address_spaces
from tables import row_named, table_rows
from shadowmmu import scenarios, views
from shadowmmu.snapshot import available_snapshots, load_snapshot

P, PS = 1 << 0, 1 << 7
KERNEL_PDE = 768  # 0xC0000000 >> 22


@pytest.fixture(scope="module")
def snaps():
    return {p.name.split(".")[0]: load_snapshot(p) for p in available_snapshots()}


@pytest.fixture(scope="module")
def pair():
    return scenarios.real_guest("user-1", "user-2")


def entries(page: bytes) -> tuple[int, ...]:
    return struct.unpack("<1024I", page)


def raw_pd(snap):
    return entries(snap.pages[snap.cr3 >> 12])


def raw_tables(snap):
    """{guest PDE index: (pt gfn, its 1024 entries)} for every present non-PSE PDE."""
    out = {}
    for i, pde in enumerate(raw_pd(snap)):
        if pde & P and not pde & PS:
            out[i] = (pde >> 12, entries(snap.pages[pde >> 12]))
    return out


# -- (a) the page directory --------------------------------------------------------

def test_readme_counts_hold_for_user_1(snaps):
    pd = raw_pd(snaps["user-1"])
    present = [e for e in pd if e & P]
    assert (len(present), sum(1 for e in present if e & PS)) == (26, 12)


@pytest.mark.parametrize("name", ["user-1", "user-2", "kernel-boot"])
def test_pd_counts_per_quadrant_match_the_raw_directory(name, snaps):
    snap = snaps[name]
    rg = scenarios.real_guest(name)
    out = views.render_real_pd_counts(scenarios.page_directory_entries(rg.guest, snap.cr3))
    pd = raw_pd(snap)
    totals = [0, 0, 0]
    for q in range(4):
        quarter = [e for e in pd[256 * q:256 * q + 256] if e & P]
        large = sum(1 for e in quarter if e & PS)
        row = row_named(out, f"pae_root[{q}]")
        assert row[4:8] == [str(len(quarter)), str(large), str(len(quarter) - large),
                            str(2 * len(quarter))], (q, row)
        totals = [totals[0] + len(quarter), totals[1] + large, totals[2] + len(quarter) - large]
    assert row_named(out, "total")[4:7] == [str(t) for t in totals]


def test_user_1_pd_counts_are_the_readme_numbers(snaps):
    rg = scenarios.real_guest("user-1")
    out = views.render_real_pd_counts(scenarios.page_directory_entries(rg.guest, rg.cr3s[0]))
    assert row_named(out, "total")[4:7] == ["26", "12", "14"]
    assert row_named(out, "pae_root[1]")[4] == "0"  # nothing mapped in 0x40000000-0x7FFFFFFF


# -- (b) the quarters used ----------------------------------------------------------

def test_quadrant_usage_of_the_pair_matches_raw_counts(snaps, pair):
    out = views.render_quadrant_usage(address_spaces(pair.guest, pair.cr3s, pair.names))
    for q in range(4):
        row = row_named(out, str(q))
        for col, name in enumerate(("user-1", "user-2")):
            snap = snaps[name]
            pd, tables = raw_pd(snap), raw_tables(snap)
            large = sum(1 for e in pd[256 * q:256 * q + 256] if e & P and e & PS)
            small = sum(1 for i, (_, ptes) in tables.items() if i // 256 == q
                        for pte in ptes if pte & P)
            assert row[2 + col] == f"{small} x 4K, {large} x 4M", (q, name, row)
    # user code in quadrant 0, stack in 2, kernel in 3, nothing in 1
    assert row_named(out, "1")[2] == "0 x 4K, 0 x 4M"


def test_user_areas_start_with_busybox_text_and_end_with_the_stack(snaps, pair):
    out = views.render_user_areas(address_spaces(pair.guest, pair.cr3s, pair.names))
    rows = table_rows(out)
    for name in ("user-1", "user-2"):
        tables = raw_tables(snaps[name])
        mine = [r for r in rows if r[0] == name]
        user_pdes = sorted(i for i in tables if i < KERNEL_PDE)
        assert [int(r[1]) for r in mine] == user_pdes
        first_pte = next(j for j, pte in enumerate(tables[32][1]) if pte & P)
        assert mine[0][3] == f"0x{32 << 22 | first_pte << 12:08X}" == "0x08048000"
        assert mine[0][2] == "0"
        stack = mine[-1]
        last_pte = max(j for j, pte in enumerate(tables[int(stack[1])][1]) if pte & P)
        assert stack[2] == "2" and stack[4] == f"0x{int(stack[1]) << 22 | last_pte << 12:08X}"
        assert stack[4].startswith("0xBF")


def test_merge_of_the_pair_shares_the_kernel_tables(snaps, pair):
    a, b = snaps["user-1"], snaps["user-2"]
    common = set(a.pages) & set(b.pages)
    assert pair.shared == tuple(sorted(g for g in common if a.pages[g] == b.pages[g]))
    assert len(pair.shared) == 10 and pair.conflicts == ()


def test_merge_conflict_keeps_the_first_snapshot(monkeypatch, snaps):
    a, b = snaps["user-1"], snaps["user-2"]
    gfn = min(set(a.pages) & set(b.pages))
    changed = bytearray(b.pages[gfn])
    changed[0] ^= 0xFF
    fake = {"user-1": a, "user-2": dataclasses.replace(b, pages={**b.pages, gfn: bytes(changed)})}
    monkeypatch.setattr("shadowmmu.scenarios.real.real_snapshot", fake.__getitem__)
    rg = scenarios.real_guest("user-1", "user-2")
    assert rg.conflicts == (gfn,) and gfn not in rg.shared and rg.kept == "user-1"
    assert rg.guest.read(gfn << 12, 1) == a.pages[gfn][0]
    flipped = scenarios.real_guest("user-2", "user-1")
    assert flipped.guest.read(gfn << 12, 1) == changed[0] and flipped.kept == "user-2"


def test_unknown_snapshot_names_the_ones_there_are():
    with pytest.raises(ValueError, match="no snapshot named 'user-9'; there are: kernel-boot, user-1"):
        scenarios.real_guest("user-9")


# -- (c) and (d): the census and the page-table halves ------------------------------

def raw_halves(snap):
    """(lower half in use, upper half in use) per page table, from the raw bytes."""
    return {i: (any(p & P for p in ptes[:512]), any(p & P for p in ptes[512:]))
            for i, (_, ptes) in raw_tables(snap).items()}


def raw_direct_halves(snap, table_gfns):
    """2 MiB halves of the PSE pages that hold a guest table frame (those need a direct page)."""
    out = 0
    for e in raw_pd(snap):
        if e & P and e & PS:
            base = (e & 0xFFC00000) >> 12
            out += sum(1 for h in (base >> 9, (base >> 9) + 1) if h in {g >> 9 for g in table_gfns})
    return out


@pytest.fixture(scope="module")
def census():
    stats = {"on": scenarios.real_guest_stats(("user-1",), host_large_pages=True),
             "off": scenarios.real_guest_stats(("user-1",), host_large_pages=False)}
    return stats, views.render_census(stats)


def test_census_counts_roots_halves_and_direct_pages(snaps, census):
    _, out = census
    snap = snaps["user-1"]
    halves = raw_halves(snap)
    lower = sum(lo for lo, _ in halves.values())
    upper = sum(hi for _, hi in halves.values())
    assert lower + upper == 18  # the README's count
    for q in range(4):
        assert row_named(out, f"L2 page directory, PD quadrant {q}")[1:] == ["1", "1"]
    assert row_named(out, "L1 page table, quadrant 0")[1:] == [str(lower)] * 2
    assert row_named(out, "L1 page table, quadrant 1")[1:] == [str(upper)] * 2
    pse = sum(1 for e in raw_pd(snap) if e & P and e & PS)
    tables = {snap.cr3 >> 12} | {gfn for gfn, _ in raw_tables(snap).values()}
    on_direct = raw_direct_halves(snap, tables)
    direct = [r for r in table_rows(out) if r[0].startswith("L1 direct page")]
    assert sum(int(r[1]) for r in direct) == on_direct == 1
    assert sum(int(r[2]) for r in direct) == 2 * pse == 24
    # quadrants of direct pages alternate with the PAE PDE parity: half of each
    assert row_named(out, "L1 direct page, quadrant 1")[2] == str(pse)
    total = row_named(out, "total")
    assert total[1:] == [str(4 + lower + upper + on_direct), str(4 + lower + upper + 2 * pse)]


def test_host_large_pages_off_means_more_level_1_direct_pages(census):
    stats, _ = census
    direct = {k: sum(n for (lvl, _, d), n in s.shadow_pages.items() if lvl == 1 and d)
              for k, s in stats.items()}
    assert direct["off"] > direct["on"]
    assert stats["on"].large_sptes > 0 == stats["off"].large_sptes


def test_overhead_counts_the_guest_table_frames(snaps, census):
    stats, _ = census
    out = views.render_overhead(stats)
    frames = 1 + len(raw_tables(snaps["user-1"]))  # the PD and its 14 page tables
    for name in ("on", "off"):
        assert row_named(out, name)[2] == f"{frames * 4096:,}"


def test_pt_halves_table_and_summary(snaps, census):
    stats, _ = census
    snap = snaps["user-1"]
    rg = scenarios.real_guest("user-1")
    halves = scenarios.page_table_halves(rg.guest, snap.cr3)
    tables = raw_tables(snap)
    rows = table_rows(views.render_pt_halves(halves))
    assert [int(r[0]) for r in rows] == sorted(tables)
    for r in rows:
        i = int(r[0])
        gfn, ptes = tables[i]
        lower, upper = (sum(1 for p in ptes[:512] if p & P), sum(1 for p in ptes[512:] if p & P))
        assert r[1] == f"0x{gfn:X}" and r[2] == str(i // 256)
        assert r[3] == f"{2 * (i % 256)}, {2 * (i % 256) + 1}"
        assert (r[4], r[5]) == (str(lower), str(upper))
    raw = raw_halves(snap)
    summary = views.render_half_summary(halves, stats["on"])
    assert row_named(summary, "both halves")[1] == str(sum(lo and hi for lo, hi in raw.values()))
    assert row_named(summary, "lower half only")[1] == str(sum(lo and not hi for lo, hi in raw.values()))
    assert row_named(summary, "upper half only")[1] == str(sum(hi and not lo for lo, hi in raw.values()))
    assert row_named(summary, "empty")[1] == "2"  # the README: two page tables present but empty
    lower = sum(lo for lo, _ in raw.values())
    upper = sum(hi for _, hi in raw.values())
    assert row_named(summary, "halves in use: lower (-> level-1 pages, quadrant 0)")[1:] == \
        [str(lower)] * 2
    assert row_named(summary, "halves in use: upper (-> level-1 pages, quadrant 1)")[1:] == \
        [str(upper)] * 2


# -- (e) the CR3 switch -------------------------------------------------------------

def shared_kernel_tables(a, b):
    """Kernel page-table frames both directories point to with the same PDE and the same bytes."""
    pa, pb = raw_pd(a), raw_pd(b)
    return {pa[i] >> 12 for i in range(KERNEL_PDE, 1024)
            if pa[i] & P and not pa[i] & PS and pa[i] == pb[i]
            and a.pages[pa[i] >> 12] == b.pages[pb[i] >> 12]}


@pytest.mark.parametrize("large", [True, False], ids=["host-2M", "host-4K"])
def test_cr3_switch_reuses_the_kernel_page_tables(snaps, large):
    a, b = snaps["user-1"], snaps["user-2"]
    shared = shared_kernel_tables(a, b)
    assert len(shared) == 10
    kernel_halves = sum(any(p & P for p in entries(a.pages[g])[:512])
                        + any(p & P for p in entries(a.pages[g])[512:]) for g in shared)
    user2 = raw_halves(b)
    user2_halves = sum(lo + hi for i, (lo, hi) in user2.items() if i < KERNEL_PDE)
    pse = sum(1 for e in raw_pd(b) if e & P and e & PS)
    tables = ({a.cr3 >> 12, b.cr3 >> 12} | {g for g, _ in raw_tables(a).values()}
              | {g for g, _ in raw_tables(b).values()})
    direct = raw_direct_halves(b, tables) if large else 2 * pse

    sw = scenarios.real_cr3_switch(("user-1", "user-2"), host_large_pages=large)
    assert set(sw.shared_tables) == shared
    out = views.render_real_switch(sw)
    assert row_named(out, "total")[2:] == [str(kernel_halves + direct), str(4 + user2_halves)]
    for q in range(4):  # four new roots: user-2's directory is another frame
        row = row_named(out, f"L2 page directory, PD quadrant {q}")
        assert row[1].startswith(f"pae_root[{q}]") and row[2:] == ["0", "1"]
    kernel_l1 = [r for r in table_rows(out) if r[0].startswith("L1 page table")
                 and r[1] == "pae_root[3] (kernel, 0xC0000000 up)"]
    assert sum(int(r[2]) for r in kernel_l1) == kernel_halves and all(r[3] == "0" for r in kernel_l1)
    user_l1 = [r for r in table_rows(out) if r[0].startswith("L1") and "user half" in r[1]]
    assert all(r[2] == "0" for r in user_l1)
    assert f"share {len(shared)} page tables" in out


def test_cr3_switch_counts_match_the_trace_events(snaps):
    """Cross-check of the reachable-page count with the simulator's own events."""
    from shadowmmu import ShadowMMU
    from shadowmmu.sim.events import ShadowPageCreated, ShadowPageFound

    rg = scenarios.real_guest("user-1", "user-2")
    mmu = ShadowMMU(rg.guest, trace=False)
    scenarios.fault_in(mmu, rg.snapshots[0])
    before = {(sp.gfn, sp.role) for sp in mmu.shadow_pages()}
    mmu2 = ShadowMMU(scenarios.real_guest("user-1", "user-2").guest, keep_trace=True)
    scenarios.fault_in(mmu2, rg.snapshots[0])
    mmu2.trace_log.clear()
    scenarios.fault_in(mmu2, rg.snapshots[1])
    found = {(e.gfn, e.role) for e in mmu2.trace_log if isinstance(e, ShadowPageFound)} & before
    created = {(e.gfn, e.role) for e in mmu2.trace_log if isinstance(e, ShadowPageCreated)}
    sw = scenarios.real_cr3_switch()
    # Two independent counts of one thing (events seen vs pages reachable); no pasted total.
    # By hand: user-2's page directory is another frame, so its four PDs are new.
    assert (len(found), len(created)) == (sw.found, sw.created)
    assert sum(1 for _, role in created if role.level == 2) == 4


# -- (f) QEMU as the oracle ---------------------------------------------------------

def test_oracle_tally_counts_every_answer(snaps):
    tallies = [scenarios.qemu_oracle(n, large) for n in snaps for large in (True, False)]
    out = views.render_oracle_tally(tallies)
    rows = table_rows(out)
    assert len(rows) == 2 * len(snaps)
    for r in rows:
        snap = snaps[r[0]]
        n = len(snap.gva2gpa)
        mapped = sum(1 for _, gpa in snap.gva2gpa if gpa is not None)
        assert r[2:] == [str(n), str(mapped), str(n - mapped), str(n), str(n), "agrees"], r


def raw_walk(snap, va):
    pde = raw_pd(snap)[va >> 22]
    if not pde & P:
        return None
    if pde & PS:
        return (pde & 0xFFC00000) | (va & 0x3FFFFF)
    pte = entries(snap.pages[pde >> 12])[(va >> 12) & 0x3FF]
    return (pte & 0xFFFFF000) | (va & 0xFFF) if pte & P else None


def test_oracle_sample_rows(snaps):
    snap = snaps["user-1"]
    rows = table_rows(views.render_oracle_sample(scenarios.qemu_oracle("user-1")))
    asked = dict(reversed(snap.gva2gpa))  # the first answer per address
    assert [r[0] for r in rows] == [f"0x{va:08X}" for va in scenarios.ORACLE_VAS if va in asked]
    for r in rows:
        va = int(r[0], 16)
        want = raw_walk(snap, va)
        assert want == asked[va]
        text = "unmapped" if want is None else f"0x{want:X}"
        assert r[1] == r[3] == text and r[2].startswith(text) and r[4] == "yes"
    assert row_named(views.render_oracle_sample(scenarios.qemu_oracle("user-1")),
                     "0x08048000")[2].endswith("(4 KiB page)")
