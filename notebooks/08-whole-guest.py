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
# # Shadow a whole Linux-like guest, and catch the wrong rule
#
# **What you'll do:** build a Linux-like 32-bit address space (3G/1G split, the kernel's
# direct map in 4 MiB pages, three processes with code, heap and stack), run every page of
# it through the shadow MMU, and count what KVM needs: [shadow pages](glossary.md#shadow-page) per level and [quadrant](glossary.md#quadrant),
# with host large pages on and off. Then run the same guest under every quadrant rule and
# let `ShadowMMU.check()` find the one that translates wrongly.
# **What you'll learn:** where a real guest's pages fall among the four PD quadrants, what
# the shadow costs in memory against the guest's own tables, and that the "halves" reading
# of notebook 04 is not just untidy: it maps addresses to the wrong frames.
# **What you'll need:** notebooks 03-06.
#
# The guest is `shadowmmu.scenarios.linux_like_guest()`; `touch_everything()` loads each
# CR3 and reads every mapped page; the counts are `ShadowMMU.stats()` (`MMUStats`); the
# check is `ShadowMMU.check()` and `shadowmmu.find_misconception_example()`. Pictures:
# `shadowmmu.views.render_quadrant_usage()`, `render_census()`, `render_overhead()`,
# `render_bug_lab()`; the address map and the explorer at the end are
# `shadowmmu.frontend.whole_guest_explorer` (records from `shadowmmu.states.whole_guest`).
#
# > **For reviewers.** The roots follow `mmu_alloc_shadow_roots()`, the children
# > `kvm_mmu_child_role()` (since 2e65e842c57d, v6.0), the cache
# > `kvm_mmu_find_shadow_page()`, the cache limit `kvm->arch.n_max_mmu_pages` and
# > `make_mmu_pages_available()` (all as read in mainline 56ea38e436ea, about v6.10).

# %%
from shadowmmu import find_misconception_example
from shadowmmu.sim.records import address_spaces
from shadowmmu.scenarios.linux import (linux_like_guest, whole_guest_stats, cr3_switch, bug_lab,
                                       PROCESS_LAYOUT, KERNEL_4K)
from shadowmmu.views.common import render_table
from shadowmmu.views.fault import render_fault_presets, render_trace
from shadowmmu.views.whole_guest import render_quadrant_usage, render_census, render_overhead, render_bug_lab
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer, whole_guest_map
from IPython.display import HTML

# %% [markdown]
# ## The guest
#
# 64 MiB of guest memory. The kernel maps all of it at 0xC0000000 with sixteen 4 MiB pages
# (guest PDEs 768-783) and four more pages through one kernel page table at 0xF8000000. The
# kernel half is shared: every process's page directory holds the same PDEs from 768 up.
# Each process maps:

# %%
HTML(render_table(("area", "first VA", "4 KiB pages"), [(n, f"0x{va:08X}", p) for n, va, p in PROCESS_LAYOUT]
                  + [("kernel (4 KiB)", f"0x{KERNEL_4K[0]:08X}", KERNEL_4K[1])],
                  caption="scenarios.PROCESS_LAYOUT and KERNEL_4K"))

# %% [markdown]
# Sorted by quarter of the address space, i.e. by the PAE page directory (PD quadrant,
# bits 31:30) that will shadow them: user code and heap sit in quadrant 0, the stack in
# quadrant 2, the whole kernel in quadrant 3; quadrant 1 is empty, yet it gets its root
# like the others (all four are allocated for a non-PAE guest).

# %%
guest, cr3s = linux_like_guest(processes=3, mem_mib=64)
HTML(render_quadrant_usage(address_spaces(guest, cr3s)))

# %% [markdown]
# The same as a map, one strip per PD quadrant (its [`pae_root`](glossary.md#pae-root) slot, one
# PAE page directory of 1 GiB) and one row per process. Drawn to scale, 4 GiB would make
# a 4 KiB page a millionth of the width, so each strip is cut into its 512 2 MiB *slots*
# (one PAE PDE each): a slot that holds something is drawn, a run of empty slots shrinks
# to a grey box with its count, and inside a slot the 512 pages are to scale (never
# narrower than 3 px). Each row shows the guest's mappings (upper bar), the
# [leaf](glossary.md#link-leaf-spte) [sPTEs](glossary.md#spte) the shadow MMU has made for them after the process ran (lower bar), and the shadow page
# that covers the slot: note the heap's slot, the odd neighbour of the code's, shadowed
# by a page table of quadrant 1 for the same guest page table.

# %%
whole_guest_map(processes=3)

# %% [markdown]
# ## What the shadow needs
#
# Every process runs in turn and reads every page it maps (both 2 MiB halves of each
# 4 MiB page). We can count the result by hand, which is what `tests/scenarios/test_linux.py`
# does. With P = 3 processes and host large pages:
#
# * **level 2**: four roots per guest PD, so 4P = 12, three of each quadrant;
# * **level 1, quadrant 0**: each process's page table for guest PDE 32 behind even PAE
#   PDE 64 (its code, gPTEs 72-75), P of them, plus the kernel page table at 0xF8000000
#   (PAE PDE 448, even), shared: 4;
# * **level 1, quadrant 1**: the same user page table again behind odd PAE PDE 65 (the heap
#   at gPTE 512 up), and the stack's behind PAE PDE 511: 2P = 6;
# * **direct**: the 4 MiB kernel pages become 2 MiB [leaf](glossary.md#link-leaf-spte) [sPTEs](glossary.md#spte) and need no page, except the
#   2 MiB that holds the guest's page tables themselves (frames 0x3800 up): KVM does not
#   let a large sPTE cover a frame it shadows (`account_shadowed()` disallows large pages
#   there), so it maps that half with 4 KiB sPTEs in one [direct page](glossary.md#direct-page): 1.
#
# 12 + 4 + 6 + 1 = 23. Without host large pages every 2 MiB half of the direct map needs
# its own direct page: 16 pages x 2 halves = 32, quadrants alternating 0, 1 with the PAE
# PDE parity, so 12 + 4 + 6 + 32 = 54.

# %%
on, off = whole_guest_stats(host_large_pages=True), whole_guest_stats(host_large_pages=False)
HTML(render_census({"host large pages on": on, "host large pages off": off}))

# %% [markdown]
# In bytes, against the guest's own ten page-table frames (three page directories, six
# user page tables, one kernel page table):

# %%
HTML(render_overhead({"host large pages on": on, "host large pages off": off}))

# %% [markdown]
# ## A CR3 switch reuses the kernel half
#
# After process 1 has run, loading process 2's CR3 creates four new roots (its page
# directory is another guest frame) and nothing else. Its first touches then show what is
# shared: the user pages need new level-1 pages (its page tables are its own), the kernel
# page table's level-1 page is *found* in the cache, and the direct map needs only two
# fresh 2 MiB leaves in the new quadrant-3 root.

# %%
switch, probes = cr3_switch()
HTML(render_trace(switch, caption="load_cr3(process 2)") + render_fault_presets(probes))

# %% [markdown]
# ## The bug lab: run the guest under every rule
#
# Every rule of notebook 05 runs the same workload; after each process, `check()` compares
# every present leaf sPTE with the guest's own walk. The correct rules agree everywhere.
# The "halves" misconception gives the page tables behind even and odd PAE PDEs of one
# guest PDE the same quadrant, so code and heap share one shadow page: the heap region then
# also shows the code's sPTEs, at addresses the guest never mapped.

# %%
HTML(render_bug_lab(bug_lab(), find_misconception_example("halves")))

# %% [markdown]
# ## Try it
#
# Pick a rule, turn host large pages on or off and choose how many processes run; the
# census, the memory, `check()`'s verdict, what each CR3 switch found in the cache, and
# the map answer at once. Things to try: host large pages off (the 2M leaves become
# direct pages, made once and found again by every later process: hatched); the
# "halves" rule (the code's and the heap's slots share one shadow page, and the
# cross-hatched sPTEs map frames at addresses the guest never mapped); "lai" (no page
# directory for the empty quadrant 1, and one special PDPT page at level 3).
# Every combination offered was computed by the simulator when this page was built, so
# the controls work on the static page too; any other guest needs a kernel
# (`x.show(processes=6)`).

# %%
# NBVAL_IGNORE_OUTPUT
whole_guest_explorer(processes=3)

# %% [markdown]
# ## In practice
#
# A real guest has hundreds of processes and KVM caps the shadow-page cache
# (`kvm->arch.n_max_mmu_pages`, sized from guest memory unless userspace sets it with the
# `KVM_SET_NR_MMU_PAGES` ioctl; `make_mmu_pages_available()` [zaps](glossary.md#zap) the oldest pages when
# it runs low), so the counts here are the working set of one pass, not a steady state. Notebook 10 does the same count for the
# page tables of a real Linux guest captured under QEMU.
