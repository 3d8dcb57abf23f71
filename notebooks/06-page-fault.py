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
# # Follow a page fault through the shadow MMU, step by step
#
# **What you'll do:** run a small 32-bit guest on the simulator, touch 0xDEADBEEF, and read
# every step taken to map it: the CPU's own walk of the shadow tables and its miss, then KVM's
# walk of the guest tables, the root picked by bits 31:30, the shadow
# page created with its [gfn](glossary.md#gfn) and [role](glossary.md#role), the [leaf](glossary.md#link-leaf-spte) [sPTE](glossary.md#spte) installed. Then touch it again from a
# second process and watch a [shadow page](glossary.md#shadow-page) being *found* instead of made.
# **What you'll learn:** that the [quadrants](glossary.md#quadrant) of notebooks 03-05 are not bookkeeping on paper:
# they decide which PAE page directory a fault enters and which shadow page it fills.
# **What you'll need:** notebooks 02-05.
#
# The guest is `shadowmmu.scenarios.small_guest()` (a `shadowmmu.Guest` with two processes
# sharing a kernel half); the shadow MMU is `shadowmmu.ShadowMMU`. The pictures are
# `shadowmmu.views.render_trace()`, `render_fault_summary()` and `render_fault_presets()`.
#
# > **For reviewers.** The trace keeps the order of the real thing. The CPU walks the shadow
# > tables itself (hardware, no KVM function) and misses; the #PF exits to
# > `kvm_mmu_page_fault()` → `FNAME(page_fault)`, which walks the guest tables
# > (`FNAME(walk_addr)`), and only then `FNAME(fetch)` walks the shadow tables again from the
# > root with `shadow_walk_init_using_root()` (`paging_tmpl.h` read at 037dd1308c6d, about
# > v6.3). The roots come from `mmu_alloc_shadow_roots()`, cached pages from
# > `kvm_mmu_find_shadow_page()` (mainline 56ea38e436ea). The sPTE values are the ones
# > `make_spte()` and `make_nonleaf_spte()` build with the masks that
# > `kvm_mmu_reset_all_pte_masks()` picks when there is no EPT/NPT, all as in `spte.c` and
# > `spte.h` of the series' reference kernel, v6.10 (bit 11 `SPTE_MMU_PRESENT_MASK`; bits 9
# > and 10 `DEFAULT_SPTE_HOST_WRITABLE` and `DEFAULT_SPTE_MMU_WRITABLE`), assuming no SME
# > and `nx_huge_pages` off.

# %%
from shadowmmu import ShadowMMU, decompose
from shadowmmu.sim.records import page_records
from shadowmmu.scenarios.small import small_guest, run_access, preset_faults
from shadowmmu.views.common import PRESETS
from shadowmmu.views.fault import (render_trace, render_fault_summary, render_fault_presets,
                                   render_shadow_pages)
from shadowmmu.frontend.fault_explorer import page_fault_explorer
from IPython.display import HTML

# %% [markdown]
# ## The guest, and its roots
#
# Two processes, 16 MiB of guest memory. The kernel half (from 0xC0000000) is the same in
# both page directories: a 4 MiB page of direct map at 0xC0000000 and one kernel page table
# for 0xDE800000-0xDEBFFFFF, where 0xDEADBEEF lives. Loading the first CR3 is
# `mmu_alloc_shadow_roots()` for a non-PAE guest: four PAE page directories, all for the
# *same* guest PD, quadrants 0 to 3.

# %%
guest, cr3s = small_guest()
mmu = ShadowMMU(guest)
mmu.load_cr3(cr3s[0])
HTML(render_trace(mmu.last_trace, caption="ShadowMMU.load_cr3(): events"))

# %% [markdown]
# ## The fault, as a whole
#
# `access(0xDEADBEEF)` starts where the hardware starts: the CPU walks the shadow tables,
# finds nothing, and takes a page fault, which stops the guest and hands the address to KVM.
# Only then does KVM's code run. Here is every event recorded in `mmu.last_trace`, in that
# order:

# %%
first = run_access(mmu, 0xDEADBEEF)
HTML(render_fault_summary(first) + render_trace(first.trace))

# %% [markdown]
# Read it top to bottom:
#
# 1. **The CPU's walk** (steps 1-2, hardware, no KVM code). Bits 31:30 of 0xDEADBEEF are 3,
#    so the CPU takes [`pae_root[3]`](glossary.md#pae-root), the page directory with
#    quadrant 3; there **PAE PDE 245** (bits 29:21) is empty: nothing maps this 2 MiB yet.
# 2. **The fault** (step 3): the CPU raises #PF, which exits to KVM (`kvm_mmu_page_fault()`
#    → `FNAME(page_fault)`).
# 3. **The guest walk** (steps 4-5, `FNAME(walk_addr)`): guest PDE 890 (bits 31:22) points
#    at a guest page table; guest PTE 731 (bits 21:12) gives the frame.
# 4. **KVM's walk of the shadow tables** (steps 6-7, `FNAME(fetch)`): it starts again at the
#    root, `pae_root[3]` (`shadow_walk_init_using_root()`), and finds PAE PDE 245 empty.
# 5. **A new level-1 shadow page** for that guest page table, quadrant 1: the parity of
#    PAE PDE 245, which is bit 21 of the address (`kvm_mmu_child_role()`, Linux 6.0+). It
#    shadows guest PTEs 512-1023, and guest PTE 731 is its entry 731 - 512 = 219.
# 6. **Link and leaf**: PAE PDE 245 now points at the new page; `FNAME(fetch)` steps down
#    to its empty entry 219 and installs the leaf sPTE that maps the frame.
#
# The sPTE values are the ones KVM writes, bit for bit: the link has P, W, U, A and bit 11
# (`SPTE_MMU_PRESENT_MASK`, KVM's own "present" mark); the leaf has P, A, bit 11 and
# bit 9 (host-writable), plus W, D and bit 10 (MMU-writable) when it is writable. The "why"
# column names them.
#
# The leaf is writable here because the guest PTE (0x00123063) is writable *and* dirty (bit
# 6). Had the guest PTE been writable but clean (D=0), a read fault would install a
# read-only sPTE: the CPU sets the Dirty bit only in the tables it walks, which are KVM's, so
# KVM keeps the guest's page read-only until the first write faults, and then sets D in the
# guest PTE itself before it makes the sPTE writable. The explorer's 0x08048000 is such a
# page: its guest PTE ends in 027 (present, writable, user, accessed, D clear), so a read
# installs the leaf "(P U A)", read-only, and the explorer says why at that step.
#
# The numbers agree with the bits (`decompose()` of notebook 02), which is the point:

# %%
d = decompose(0xDEADBEEF)
{"PDPTE index": d.pdpte_index, "PAE PDE index": d.shadow_pde_index,
 "guest PDE index": d.guest_pde_index, "guest PTE index": d.guest_pte_index,
 "PT quadrant": d.pt_quadrant, "PAE PTE index": d.shadow_pte_index}

# %% [markdown]
# ## A second fault that reuses a shadow page
#
# Switch to the second process and touch the same kernel address. Its page directory is
# another guest frame, so it gets four roots of its own; but the kernel page table behind
# guest PDE 890 is the same guest frame, and the role the child would get (level 1,
# quadrant 1) is the same too. `kvm_mmu_find_shadow_page()` finds (gfn, role) in the cache,
# and only the link and nothing else is new:

# %%
mmu.load_cr3(cr3s[1])
second = run_access(mmu, 0xDEADBEEF)
HTML(render_fault_summary(second) + render_trace(second.trace))

# %% [markdown]
# Nine shadow pages now: two sets of four PAE page directories, one set per guest PD (only
# the second set is in `pae_root` now), and one level-1 page shared by both, which is why KVM keys its cache by (gfn, role) and not by address space.

# %%
HTML(render_shadow_pages(page_records(mmu)))

# %% [markdown]
# ## The presets, each on a fresh guest
#
# Before the live explorer, the six preset addresses, each faulted on its own fresh
# guest. 0x00000000 is not mapped (Linux leaves page 0 empty), so the guest walk refuses
# and KVM injects the #PF into the guest. 0xC0000000 and 0xC0200000 fall in the kernel's
# 4 MiB page: no guest page table at all. The simulator, like a host that backs guest memory
# with 2 MiB pages (`ShadowMMU(host_large_pages=True)`, the default), then installs a 2 MiB
# leaf in PAE PDE 0 or 1 (the even and the odd half), with no shadow page below it. KVM
# does that only when it can: the host page behind that half must be 2 MiB, the memslot must
# hold the whole aligned 2 MiB (`disallow_lpage` not set, so no [write-protected](glossary.md#write-protected) guest table
# inside it) and dirty logging must be off (`kvm_mmu_hugepage_adjust()`). Otherwise each
# half that faults gets a [direct](glossary.md#direct-page) level-1 page of 4 KiB sPTEs
# (notebook 08 turns host large pages off). 0xFFFFFFFF is in guest PTE 1023, the last entry of quadrant 1.

# %%
HTML(render_fault_presets(preset_faults(PRESETS)))

# %% [markdown]
# ## Try it
#
# The explorer below runs one access at a time on the same small guest and shows it on the
# two trees: the guest's tables on the left, KVM's `pae_root` and shadow pages on the right,
# each page named by its host address with its gfn and role. A box's "acc 7" is its
# `role.access`: the rights the guest's upper levels grant below it, execute 1 + write 2 +
# user 4 (see [role](glossary.md#role)); two pages for the same guest table with different
# rights would be different shadow pages. Press **next step** (or the
# right arrow key) to reveal the next step; nothing later is drawn before you get there.
# Before the step that picks the root, and before the one that finds or creates the
# level-1 page, it asks you to predict: which `pae_root` entry, which `role.quadrant`.
# Answer, or press "just show me". **write access** re-runs the access as a write at once;
# Enter in the address box runs it again from the start, even for the same address.
# **process** picks the CR3, and **before** says what the shadow held first: *fresh* (an
# empty cache after the CR3 load) or *after process 1 read it*. Process 2 after process 1
# on 0xDEADBEEF is the cache hit of the section above: the level-1 page is *found*.
#
# On the static site the explorer answers from faults computed when the site was built: the
# preset addresses (and 0x08048000, 0xDEAD0000), read or write, either process, either
# "before". Any other address is computed on the spot by the package itself, running in your
# browser (Pyodide; the first one waits while Python starts, and the page says so, keeping the
# last picture); in JupyterLab or Voila the kernel computes it.

# %%
# NBVAL_IGNORE_OUTPUT
page_fault_explorer(0xDEADBEEF)

# %% [markdown]
# ## In practice
#
# KVM's real fault path also handles what we leave out: MMIO sPTEs (made when the gfn has no
# memslot, by `mmu_set_spte()` → `mark_mmio_spte()`, after `FNAME(page_fault)` finds no
# page behind it); the `mmu_invalidate_seq` retry when an MMU notifier races with the
# fault (`FNAME(page_fault)` → `is_page_fault_stale()`, before `FNAME(fetch)` runs); NX
# huge-page splitting; and prefetching neighbouring gPTEs (`FNAME(pte_prefetch)`, called
# from `FNAME(fetch)`), which would fill a few sPTEs around 219 in the same fault. None of
# them changes which root or which quadrant a fault lands in.
#
# > **For reviewers.** The clean-gPTE rule is `FNAME(protect_clean_gpte)`, which
# > `FNAME(walk_addr_generic)` applies on a fault that is not a write (read at
# > 037dd1308c6d); the D bit is then set by `FNAME(update_accessed_dirty_bits)` on the write
# > fault. The (gfn, role) cache key goes back to Avi Kivity's shadow-page cache,
# > cea0f0e7ea54 (v2.6.20).
