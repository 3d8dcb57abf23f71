"""The simulator views of notebooks 06-08 (shadowmmu.views, second half) and their scenarios.

Expected numbers are written by hand: the 0xDEADBEEF row of the golden table in
kernel-facts.md, the write-path closed forms of its section 5, and shadow-page counts
derived from the definition of scenarios.linux_like_guest() (see the notebook 08 text).
"""

import re

import pytest

from shadowmmu.sim.records import address_spaces
from shadowmmu import find_misconception_example
from shadowmmu import scenarios, views


def spans(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="smmu-v" data-field="([a-z_]+)">([^<]*)</span>', html)


@pytest.fixture(scope="module")
def deadbeef():
    return scenarios.run_access(scenarios.fresh_small_mmu(), 0xDEADBEEF)


def test_fault_summary_of_deadbeef(deadbeef):
    s = views.fault_summary(deadbeef.trace)
    # 0xDEADBEEF = 11 011110101 011011011 111011101111 (PAE 2/9/9/12)
    assert s["root"] == 0b11 == 3
    assert s["shadow_pde_index"] == 0b011110101 == 245
    assert s["guest_pde_index"] == 890 and s["guest_pte_index"] == 731
    assert s["pt_quadrant"] == 1
    assert s["shadow_pte_index"] == 0b011011011 == 219
    assert s["created"] == ["L1 q1"] and s["found"] == [] and not s["hit"]


def test_fault_summary_html_shows_the_golden_numbers(deadbeef):
    html = views.render_fault_summary(deadbeef)
    assert 'pae_root[<span class="smmu-v" data-field="pdpte_index">3</span>]' in html
    assert spans(html) == [("va", "0xDEADBEEF"), ("pdpte_index", "3"), ("pd_quadrant", "3"), ("shadow_pde_index", "245"),
                           ("guest_pde_index", "890"), ("guest_pte_index", "731"),
                           ("pt_quadrant", "1"), ("shadow_pte_index", "219")]
    assert "gpa 0x123EEF" in html


def test_trace_table_explains_each_step(deadbeef):
    html = views.render_trace(deadbeef.trace)
    # CPU walk L3, L2 (miss); #PF; guest PDE, PTE; fetch L3, L2; new L1 page; link;
    # fetch L1; leaf: 11 steps (issue 13 point 4)
    assert html.count('class="smmu-step"') == len(deadbeef.trace) == 11
    assert "the CPU's own walk" in html and "<code>pae_root[3]</code>" in html
    assert ("PAE PDE " + '<span class="smmu-v" data-field="shadow_pde_index">245</span>') in html
    assert ("guest PDE " + '<span class="smmu-v" data-field="guest_pde_index">890</span>') in html
    assert "quadrant " + '<span class="smmu-v" data-field="pt_quadrant">1</span>' in html
    assert "guest PTEs 512..1023" in html
    assert "leaf sPTE " + '<span class="smmu-v" data-field="shadow_pte_index">219</span>' in html
    # every event's kind is said in words, not only in colour
    assert html.count('class="smmu-event"') == 11 and "new shadow page" in html


def test_the_cpu_walk_is_never_credited_to_kvm(deadbeef):
    # the hardware walk comes first and names no KVM function; shadow_walk_init_using_root()
    # is credited only to FNAME(fetch)'s walk, which comes after the guest walk
    kinds = [(type(e).__name__, getattr(e, "walker", None)) for e in deadbeef.trace]
    assert kinds[:5] == [("ShadowWalkStep", "cpu"), ("ShadowWalkStep", "cpu"),
                         ("ShadowPageFault", None), ("GuestWalkStep", None), ("GuestWalkStep", None)]
    assert kinds[5] == ("ShadowWalkStep", "fetch")
    for e in deadbeef.trace[:2]:
        why = views.explain_event(e)
        assert "()" not in why and "FNAME" not in why  # no function named
        assert "hardware" in why or "faults" in why
    assert "shadow_walk_init_using_root()" in views.explain_event(deadbeef.trace[5])
    assert "FNAME(walk_addr)" in views.explain_event(deadbeef.trace[3])
    assert "FNAME(page_fault)" in views.explain_event(deadbeef.trace[2])
    html = views.render_trace(deadbeef.trace)
    assert "CPU walks shadow" in html and "FNAME(fetch) walk" in html  # the chips, in words


def test_installed_spte_bits_are_named(deadbeef):
    # the leaf of 0xDEADBEEF: small_guest maps it supervisor, writable, D already set, so
    # make_spte() (shadow paging, not a prefetch) sets frame 0x123, P, W, A, D,
    # host-writable, MMU-writable, MMU-present and not U; the link (make_nonleaf_spte()):
    # P, W, U, A, MMU-present
    leaf, link = deadbeef.trace[10], deadbeef.trace[8]
    assert "bits: frame 0x123, P, W, A, D, host-writable, MMU-writable, MMU-present" in \
        views.explain_event(leaf)
    assert leaf.spte == 0x123000 | 0x800 | 0x400 | 0x200 | 0x40 | 0x20 | 0x2 | 0x1
    assert "P, W, U, A, MMU-present" in views.explain_event(link)


def test_second_process_finds_the_shared_page():
    mmu = scenarios.fresh_small_mmu()
    scenarios.run_access(mmu, 0xDEADBEEF)
    guest_cr3s = mmu.guest.address_spaces
    mmu.load_cr3(guest_cr3s[1])
    r = scenarios.run_access(mmu, 0xDEADBEEF)
    s = views.fault_summary(r.trace)
    assert s["created"] == [] and s["found"] == ["L1 q1"]
    assert "kvm_mmu_find_shadow_page()" in views.render_trace(r.trace)


def test_fault_presets_table():
    html = views.render_fault_presets(scenarios.preset_faults(views.PRESETS))
    rows = re.findall(r"<tr>(.*?)</tr>", html)[1:]
    cells = [re.findall(r">([^<]*)</td>", r) for r in rows]
    assert [c[0] for c in cells] == ["0x00000000", "0x00200000", "0xC0000000", "0xC0200000",
                                     "0xDEADBEEF", "0xFFFFFFFF"]
    assert cells[0][1].startswith("#PF")                      # page 0 is not mapped
    assert cells[1][2:] == ["0", "1", "0", "512", "L1 q1", "1", "0"]
    assert cells[2][2:4] == ["3", "0"] and cells[2][-1] == "2 MiB leaf"
    assert cells[3][2:4] == ["3", "1"] and cells[3][-1] == "2 MiB leaf"
    assert cells[4][2:] == ["3", "245", "890", "731", "L1 q1", "1", "219"]
    assert cells[5][2:] == ["3", "511", "1023", "1023", "L1 q1", "1", "511"]


# -- notebook 07 -------------------------------------------------------------

def test_pte_write_unsync_leaves_a_stale_sPTE_until_invlpg():
    r = scenarios.write_experiment("pt", 0x000, 4, unsync=True)
    o = views.write_outcome(r)
    assert o["action"] == "unsync" and o["unsynced"] == 2 and o["zapped"] == []
    assert r.translate_before == 0x100000
    assert r.translate_after_write == 0x100000 and r.guest_after_write == 0x1F0000  # stale
    assert r.translate_after_invlpg is None and r.access_after == 0x1F0000
    html = views.render_translate_timeline(r)
    assert "STALE: the guest now says 0x1F0000" in html


@pytest.mark.parametrize("offset,zap,skip", [
    (0x000, [("L1 q0", 0)], ["L1 q1"]),      # gPTE 0: quadrant 0, sPTE 0
    (0x7FC, [("L1 q0", 511)], ["L1 q1"]),    # gPTE 511
    (0x800, [("L1 q1", 0)], ["L1 q0"]),      # gPTE 512: quadrant 1, sPTE 0
])
def test_pte_write_kept_protected_skips_the_other_quadrant(offset, zap, skip):
    r = scenarios.write_experiment("pt", offset, 4, unsync=False)
    o = views.write_outcome(r)
    assert o["action"] == "emulate"
    present = {0x000: True, 0x7FC: False, 0x800: True}[offset]
    assert o["zapped"] == (zap if present else [])  # only present sPTEs are zapped
    assert o["skipped"] == skip


def test_pde_write_zaps_two_sptes_in_one_root():
    r = scenarios.write_experiment("pd", 4 * 32, 4)
    o = views.write_outcome(r)
    assert o["action"] == "emulate"
    assert o["zapped"] == [("L2 q0", 64), ("L2 q0", 65)]
    assert o["skipped"] == ["L2 q1", "L2 q2", "L2 q3"]
    assert r.translate_after_write is None


@pytest.mark.parametrize("offset,size", [(0x000, 8), (0x002, 2), (0x001, 1)])
def test_misaligned_writes_zap_whole_pages(offset, size):
    r = scenarios.write_experiment("pt", offset, size, unsync=False)
    o = views.write_outcome(r)
    assert o["pages_zapped"] == ["L1 q0", "L1 q1"] and r.pages_after == ()
    assert "misaligned" in views.render_write_result(r)


def test_write_presets_table_and_bad_offsets():
    html = views.render_write_presets([scenarios.write_experiment("pd", 0x080, 4)])
    assert "L2 q0 sPTE 64; L2 q0 sPTE 65" in html and "L2 q1, L2 q2, L2 q3" in html
    with pytest.raises(ValueError, match="byte offset 4096 must be in 0..4092"):
        scenarios.write_experiment("pt", 4096, 4)
    with pytest.raises(ValueError, match="size 3"):
        scenarios.write_experiment("pt", 0, 3)


# -- notebook 08 -------------------------------------------------------------

# Hand count for linux_like_guest(3, 64), every page touched (notebook 08 text):
# 4 roots x 3 PDs; L1 q0: 3 user PTs (code, PAE PDE 64) + 1 kernel PT (PAE PDE 448);
# L1 q1: 3 user PTs (heap, PAE PDE 65) + 3 stack PTs (PAE PDE 511); direct: the one 2 MiB
# half holding the guest's page tables (large pages on), or 16 x 2 halves (off).
ON = {(2, 0, False): 3, (2, 1, False): 3, (2, 2, False): 3, (2, 3, False): 3,
      (1, 0, False): 4, (1, 1, False): 6, (1, 0, True): 1}
OFF = {**ON, (1, 0, True): 16, (1, 1, True): 16}


@pytest.fixture(scope="module")
def whole():
    return (scenarios.whole_guest_stats(True, 3, 64), scenarios.whole_guest_stats(False, 3, 64))


def test_whole_guest_counts_by_hand(whole):
    on, off = whole
    assert on.shadow_pages == ON and on.total_shadow_pages == 23
    assert off.shadow_pages == OFF and off.total_shadow_pages == 54
    assert on.shadow_bytes == 23 * 4096 and off.shadow_bytes == 54 * 4096
    assert on.guest_table_bytes == off.guest_table_bytes == (3 + 3 * 2 + 1) * 4096
    # 16 kernel 4 MiB pages x 2 halves x 3 roots, less the one half mapped with 4 KiB sPTEs
    assert on.large_sptes == 16 * 2 * 3 - 3


def test_census_and_overhead_tables(whole):
    on, off = whole
    rows = views.census_rows({"on": on, "off": off})
    assert rows[-1] == ("total", 23, 54)
    assert ("L1 direct page, quadrant 1", 0, 16) in rows
    assert ("L2 page directory, PD quadrant 1", 3, 3) in rows
    html = views.render_overhead({"on": on})
    assert "94,208" in html and "40,960" in html and "2.3x" in html


def test_quadrant_usage_by_hand():
    guest, cr3s = scenarios.linux_like_guest(2, 64)
    rows = views.quadrant_usage_rows(address_spaces(guest, cr3s))
    assert rows[0] == (0, "0x00000000-0x3FFFFFFF", "12 x 4K, 0 x 4M", "12 x 4K, 0 x 4M")
    assert rows[1][2] == "0 x 4K, 0 x 4M"                    # quadrant 1 unused
    assert rows[2][2] == "4 x 4K, 0 x 4M"                    # the stack
    assert rows[3][2] == "4 x 4K, 16 x 4M"                   # the kernel


def test_bug_lab_catches_only_the_misconception():
    verdicts = scenarios.bug_lab()
    assert {n for n, m in verdicts.items() if m is not None} == {"halves"}
    m = verdicts["halves"]
    # halves: heap (gPTE 512.., PAE PDE 65) lands in the same page as code (PAE PDE 64),
    # sPTE 0: so VA 0x08000000 shows the first heap frame, 0x14000, which the guest never mapped
    assert (m.va, m.shadow_gpa, m.guest_gpa) == (0x08000000, 0x14000, None)
    example = find_misconception_example("halves")
    assert example.va == 0 and example.shadow_gpa == 0x2000 and example.guest_gpa == 0x1000
    html = views.render_bug_lab(verdicts, example)
    assert html.count('class="smmu-mismatch"') == 1 and 'data-rule="halves"' in html
    assert "(the misconception)" in html
    assert "VA 0x00000000: shadow -&gt; 0x2000, guest -&gt; 0x1000" in html
    assert html.count("agrees with the guest everywhere") == len(verdicts) - 1
