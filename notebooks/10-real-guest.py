# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Shadow a real Linux guest, with QEMU as the referee
#
# **What you'll do:** load the page tables of a real 32-bit Linux guest (Debian's 6.1 `686`
# kernel, non-PAE, with busybox, captured under QEMU 7.2), draw its page directory the way
# notebook 03 drew a made-up one, and run every page it maps through the shadow MMU. Then
# switch CR3 to a second process of the same machine and count what KVM finds again, and
# hold every translation against QEMU's own answers.
# **What you'll learn:** that a real guest uses three of the four PD [quadrants](glossary.md#quadrant) (program in
# 0, stack in 2, kernel in 3); how many guest page tables use one half or both, and so how
# many level-1 [shadow pages](glossary.md#shadow-page) of quadrant 0 and 1 appear; what host large pages save; and
# that a CR3 switch rebuilds the four PAE page directories but finds the kernel's level-1
# pages in the cache.
# **What you'll need:** notebooks 03, 04, 06 and 08.
#
# The snapshots are `shadowmmu/data/*.json.xz` (package data), read by
# `shadowmmu.snapshot.load_snapshot()`; their README says how they were captured. The
# guest is `shadowmmu.scenarios.real_guest()` (`Guest.from_pages()` plus
# `Guest.adopt_address_space()`); the experiments are `scenarios.page_directory_entries()`,
# `page_table_halves()`, `real_guest_stats()`, `real_cr3_switch()` and `qemu_oracle()`.
# The tables reuse notebook 08's `render_quadrant_usage()`, `render_census()` and
# `render_overhead()`, plus `render_pt_halves()`, `render_real_switch()` and
# `render_oracle_tally()` from `shadowmmu.views`; the address map is the page's own
# `drawAddressMap()` (`shadowmmu/frontend/address_map.js`), drawn from the record of
# `shadowmmu.states.address_map` by `shadowmmu.frontend.figures.address_map()`. The two
# explorers are `shadowmmu.frontend.real_guest_explorer`'s: they draw, in the page, records
# that `shadowmmu.states.real_guest` computes with the simulator.

# %%
from shadowmmu.sim.records import address_spaces, page_records
from shadowmmu.scenarios.qemu import qemu_oracle
from shadowmmu.scenarios.real import (real_snapshot_names, real_guest, real_guest_run,
                                      real_guest_stats, page_directory_entries, page_table_halves,
                                      real_cr3_switch, REAL_PAIR)
from shadowmmu.views.fault import render_shadow_pages
from shadowmmu.views.real_guest import (render_real_pd_counts, render_user_areas,
                                        render_pt_halves, render_half_summary, render_real_switch,
                                        render_oracle_sample, render_oracle_tally, render_snapshots)
from shadowmmu.views.whole_guest import render_quadrant_usage, render_census, render_overhead
from shadowmmu.frontend.figures import address_map
from shadowmmu.frontend.real_guest_explorer import real_guest_explorer, cr3_switch_explorer
from IPython.display import HTML

# %% [markdown]
# ## The snapshots
#
# Three moments of one 64 MiB guest: `kernel-boot` stopped mid-boot (only the kernel
# mapped), and `user-1` and `user-2`, each stopped at CPL 3 in one of two busy loops that
# `/init` started, so two processes with two page directories. Each snapshot holds CR0, CR3,
# CR4, the page directory at CR3, every page table it points to, and QEMU's `gva2gpa`
# answers for every mapped 4 KiB page (and a sample of the rest). Nothing else of guest
# memory is kept, and nothing else is needed: a walk reads only those pages.

# %%
rg = real_guest(*REAL_PAIR)
HTML(render_snapshots(rg.snapshots))

# %% [markdown]
# CR4 = 0x690: PSE (bit 4) on, PAE (bit 5) off, so 2-level paging with 4 MiB pages allowed.
#
# We put both user snapshots into **one** guest memory, with two address spaces, as they
# were on the machine. Some frames were captured twice: the kernel's page tables, which
# every process's page directory points to. If the two captures of a frame disagreed (the
# kernel had changed it between the two stops), `real_guest()` would keep the bytes of the
# first snapshot named, `user-1`, the process we run first, and list the frame in
# `conflicts`. Here is what the merge found:

# %%
{"frames captured by both": len(rg.shared), "frames that disagree": rg.conflicts,
 "on a disagreement, bytes kept from": rg.kept}

# %% [markdown]
# Ten frames captured by both, byte for byte the same; no conflict to resolve.

# %% [markdown]
# ## (a) The page directory, as notebook 03 drew it
#
# `user-1`'s page directory: 26 present guest PDEs, 12 of them 4 MiB pages (the kernel's
# direct map of RAM, which starts at 0xC0000000; four of its sixteen PDEs go through page
# tables instead) and 14 page tables, as the fixture README counted by hand.
#
# The explorer below shows one address of a snapshot at a time. Its lower half is the
# snapshot's page directory: the top strip is the guest page directory; below it, the four
# PAE page directories KVM builds for it, every present guest PDE filling two PAE PDEs of its
# quarter's PD, and then every present PDE in words (its VA, the page table or 4 MiB frame it
# maps, and its pair of PAE PDEs). The address's own guest PDE and PAE PDE are framed.
#
# Its upper half translates the address three ways: QEMU's answer from the capture, the
# guest's own walk, and the shadow MMU's (`ShadowMMU.access()` on a fresh shadow MMU with
# only the snapshot's CR3 loaded), with the [shadow pages](glossary.md#shadow-page) the access
# went through (each with its [gfn](glossary.md#gfn) and [role](glossary.md#role), so
# `role.quadrant`) and every step it took. Pick a snapshot, type an address and press Enter,
# or press a preset; "host large pages" changes how the host backs guest memory. Try
# 0x08048000 (busybox's first page, behind the even PAE PDE 64) and then 0x08200000: the
# same guest PDE 32, but VA bit 21 is set, so the odd PAE PDE 65 and a level-1 page of
# quadrant 1. Then 0xC0400000, a 4 MiB page, with host large pages on (a 2 MiB
# [leaf](glossary.md#link-leaf-spte) in the root's page directory, no page below it) and off
# (a [direct page](glossary.md#direct-page)). Every address starts from an empty cache, so the
# page it needs is always created; section (e) shows what a second process finds.
#
# On the static site (no Python kernel) the explorer answers for every snapshot, preset and
# setting, computed when the site was built; any other address is computed by the package
# itself, running in your browser (Pyodide), or by the kernel in JupyterLab or Voila.

# %%
# NBVAL_IGNORE_OUTPUT
real_guest_explorer("user-1", 0x08048000)

# %% [markdown]
# Counted per PD quadrant:

# %%
pdes = page_directory_entries(rg.guest, rg.cr3s[0])

# %%
HTML(render_real_pd_counts(pdes))

# %% [markdown]
# Quadrant 1 holds nothing, yet KVM allocates its root anyway: for a non-PAE guest
# `mmu_alloc_shadow_roots()` makes all four, with no PDPTE to say a quarter is empty.

# %% [markdown]
# ## (b) Which quarters are used
#
# Counting the [leaves](glossary.md#link-leaf-spte) `Guest.mappings()` finds, per quarter of the address space:

# %%
HTML(render_quadrant_usage(address_spaces(rg.guest, rg.cr3s, rg.names)))

# %% [markdown]
# Quadrant 0 holds busybox (a static, non-PIE binary loaded at 0x08048000) and its heap;
# quadrant 2 the vDSO and the stack just below 0xC0000000; quadrant 3 the kernel. With the
# 3G/1G split the kernel's gigabyte *is* PD quadrant 3: all 256 kernel PDEs land in
# [`pae_root[3]`](glossary.md#pae-root)'s page directory. Each process's own mappings, by guest PDE:

# %%
HTML(render_user_areas(address_spaces(rg.guest, rg.cr3s, rg.names)))

# %% [markdown]
# As a map (one row for the shared kernel half, one per process):

# %%
address_map(address_spaces(rg.guest, rg.cr3s, rg.names),
            title="A real Linux guest: mapped ranges by PD quadrant")

# %% [markdown]
# ## (c) What the shadow needs
#
# We load `user-1`'s CR3 and read every 4 KiB page QEMU translated for it (every page mapped
# through a page table and, for the 4 MiB pages, every 16th 4 KiB page and the last, which
# touches both 2 MiB halves), once with host large pages and once without. Then the same
# for `user-1` followed by `user-2`.

# %%
stats = {
    "user-1, host large pages on": real_guest_stats(("user-1",), host_large_pages=True),
    "user-1, off": real_guest_stats(("user-1",), host_large_pages=False),
    "user-1 then user-2, on": real_guest_stats(REAL_PAIR, host_large_pages=True),
    "user-1 then user-2, off": real_guest_stats(REAL_PAIR, host_large_pages=False),
}
HTML(render_census(stats))

# %% [markdown]
# Reading the first column:
#
# * **level 2**: the four roots, one per PD quadrant, all for the one guest PD;
# * **level 1 page tables**: one per *half* of a guest page table that holds a present
#   gPTE; section (d) counts those halves directly;
# * **[direct pages](glossary.md#direct-page)**: with host large pages, a 4 MiB guest page becomes two 2 MiB leaf
#   [sPTEs](glossary.md#spte) and needs no shadow page, except where a 2 MiB half contains a guest page table
#   or directory: KVM does not let a large sPTE cover a frame it shadows
#   (`account_shadowed()` disallows large pages there), so it maps that half with 4 KiB
#   sPTEs in a direct page. Linux keeps its page tables in ordinary RAM,
#   which the kernel maps with those same 4 MiB pages, so one such half turns up.
#
# Without host large pages every 2 MiB half of the twelve 4 MiB pages gets its own direct
# page, quadrants 0 and 1 alternating with the PAE PDE's parity: 24 of them. Here are
# `user-1`'s shadow pages with host large pages on, one per row:

# %%
_, mmu = real_guest_run(("user-1",), host_large_pages=True)
HTML(render_shadow_pages(page_records(mmu), caption="user-1, host large pages on: ShadowMMU.shadow_pages()"))

# %% [markdown]
# Some of those level-1 pages say *[unsync](glossary.md#unsync)*, although the guest wrote nothing. How many:

# %%
{"unsync level-1 shadow pages": mmu.stats().unsync_pages}

# %% [markdown]
# Linux maps its RAM (all 64 MiB of it here) in the direct map, writable and dirty, and
# that RAM includes the frames that hold its page tables. When our pass reads such a frame
# through the direct map *after* the page table in it was shadowed, `FNAME(fetch)` builds
# a writable sPTE (the gPTE allows writes and is dirty) for a frame KVM protects, and
# `mmu_try_to_unsync_pages()` lets that page table go unsync instead of
# dropping the W bit. Had the read come first, `account_shadowed()` would have
# [write-protected](glossary.md#write-protected) the sPTE when the table was shadowed, and it would have stayed in sync.
# So the count depends on the order of the accesses, here ascending addresses.
#
# In bytes, against the guest's own page-directory and page-table frames:

# %%
HTML(render_overhead(stats))

# %% [markdown]
# ## (d) Page-table halves in use
#
# Notebook 04 showed that a guest page table is shadowed by two PAE page tables: gPTEs
# 0-511 behind the even PAE PDE (quadrant 0), gPTEs 512-1023 behind the odd one (quadrant
# 1). KVM makes each only when a fault needs it. So the question for a real guest is how
# many of its page tables use the lower half, the upper half, or both:

# %%
halves = page_table_halves(rg.guest, rg.cr3s[0])
HTML(render_pt_halves(halves, caption="user-1's page tables (scenarios.page_table_halves())"))

# %% [markdown]
# Totalled, next to the level-1 page-table counts of the census for `user-1` (host large
# pages on):

# %%
HTML(render_half_summary(halves, stats["user-1, host large pages on"]))

# %% [markdown]
# The two agree, half for half. Two page tables hold no present entry at all; the guest
# never reaches a leaf through them, so KVM never shadows them. Busybox's page table for
# 0x08000000-0x083FFFFF uses both halves: its mappings run from 0x08048000 past 0x08200000,
# where VA bit 21 flips to the odd PAE PDE.

# %% [markdown]
# ## (e) A CR3 switch: what is found again
#
# After `user-1` has run, we load `user-2`'s CR3 and read every page QEMU translated for
# it. Then we sort the shadow pages reachable from `user-2`'s roots into those that were
# already in the cache (same [gfn](glossary.md#gfn), same [role](glossary.md#role): `kvm_mmu_find_shadow_page()` finds them) and
# those its faults created. The explorer draws them per root, found (dashed, grey) and
# created (solid) each labelled, and counts them by kind. Its controls run the other process
# first, turn host large pages off, or use another quadrant rule; all of them are
# precomputed, so they answer on the static site too.

# %%
# NBVAL_IGNORE_OUTPUT
cr3_switch_explorer("user-1", host_large_pages=True, rule="mainline")

# %% [markdown]
# The four PAE page directories are all new: a root's gfn is the guest PD's, and `user-2`'s
# page directory is another frame, even though its kernel half holds the same PDEs as
# `user-1`'s. Its own user page tables are new as well. But everything below `pae_root[3]`
# is found: the kernel's page tables are the same frames for both processes, their PDEs
# give the same access bits, so each half gets the same role and the cached level-1 page
# is linked into the new root. The direct page found there is the same 2 MiB of RAM. The
# new quadrant-3 root does still fault in each kernel PAE PDE again, and the 2 MiB leaves
# of the direct map are installed again, but no page is built for them.
#
# > **For reviewers.** "Found" means `kvm_mmu_find_shadow_page()` matched gfn and
# > `role.word`, the cache key that goes back to cea0f0e7ea54 (v2.6.20). Since the 2026 fix
# > 81ccda30b4e8, `kvm_mmu_get_child_sp()` also compares the role before reusing an existing
# > child; the real guest here never changes a PDE, so that path is not exercised.
#
# Without host large pages the saving is larger, because the 24 direct pages of the direct
# map are found too (the explorer's checkbox, or this table):

# %%
HTML(render_real_switch(real_cr3_switch(REAL_PAIR, host_large_pages=False)))

# %% [markdown]
# ## (f) QEMU as the referee
#
# None of the translations above is worth much unless they are right. QEMU translated the
# addresses itself when the snapshots were taken (`gva2gpa`, its monitor command); we ask
# our guest walk (`Guest.walk()`) and a fresh shadow MMU (`ShadowMMU.access()`) the same
# questions. A few of them, for `user-1`:

# %%
HTML(render_oracle_sample(qemu_oracle("user-1")))

# %% [markdown]
# 0xC0200000 is mapped through a page table, not a 4 MiB page: the kernel splits the first
# 4 MiB of its direct map (guest PDE 768). And all of the answers, every snapshot, both
# host settings, counted now; `ShadowMMU.check()` afterwards compares every leaf sPTE with
# the guest's walk:

# %%
HTML(render_oracle_tally([qemu_oracle(name, large) for name in real_snapshot_names()
                          for large in (True, False)]))

# %% [markdown]
# `tests/reference_oracles/test_qemu.py` asks the same of every correct quadrant rule, and shows that
# the "halves" misconception of notebook 04 gets some of these addresses wrong.

# %% [markdown]
# ## In practice
#
# * A real guest faults in only what it touches; we touched every page QEMU translated, so
#   the counts are the whole mapped address space of one moment, an upper bound on the
#   working set of these two processes.
# * The capture runs under TCG, whose timing is not deterministic: a rerun of
#   `tools/capture_guest.py` catches other moments, other CR3s and sometimes a leaf more or
#   less. The shape stays: three used quadrants, a shared kernel half, a handful of
#   page-table halves.
# * The snapshot keeps only page directories and page tables. Guest data pages are not
#   needed for any of this: KVM's shadow holds addresses, never the data behind them.
