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
# # Watch what KVM does when the guest writes its page tables
#
# **What you'll do:** write into a guest page table and into the guest page directory,
# aligned and misaligned, once the way KVM treats an ordinary page table (it goes [unsync](glossary.md#unsync))
# and once the way it treats a [write-tracked](glossary.md#write-tracked) one (every store emulated), and see which [sPTEs](glossary.md#spte)
# KVM [zaps](glossary.md#zap) and which [shadow pages](glossary.md#shadow-page) it skips.
# **What you'll learn:** why a guest page table normally traps only its first store after
# each guest TLB flush; how
# the [quadrant](glossary.md#quadrant) lets KVM skip the shadow pages a write cannot concern; why one aligned guest
# PDE write zaps two sPTEs in exactly one of the four roots; why an 8-byte store zaps whole
# pages, even the roots the vCPU is using, and what KVM does about that; why clearing a
# freed page directory is not emulated at all; and what a stale
# sPTE would do between the write and the guest's `invlpg`. The explorers step through each
# store and ask you to predict before they show.
# **What you'll need:** notebooks 04-06.
#
# The guest is `shadowmmu.scenarios.write_lab()`: one guest page table, for guest PDE 32
# (0x08000000-0x083FFFFF), with gPTEs 0, 1 and 512 faulted in, so both of its PAE page
# tables exist. Each experiment is `shadowmmu.scenarios.write_experiment()` on a fresh one:
# `ShadowMMU.guest_write()`, then `translate()` and `invlpg()`. The tables are
# `shadowmmu.views.render_write_result()` and `render_write_presets()`; the step-by-step
# explorer is `shadowmmu.frontend.writes_explorer.guest_write_explorer()`, whose records come from
# `shadowmmu.states.writes.write_record()`.
#
# > **For reviewers.** The code followed is the series' reference kernel, Linux v6.10
# > (`mmu.c` at 56ea38e436ea): `kvm_mmu_track_write()` → `get_written_sptes()` for emulated
# > writes; `make_spte()` → `mmu_try_to_unsync_pages()` when a fault makes a writable sPTE
# > for a frame that is a shadowed page table; `kvm_mmu_sync_roots()` →
# > `mmu_sync_children()` and, for `invlpg`, `kvm_mmu_invalidate_addr()` → `kvm_sync_spte()`
# > for the resync. The invlpg path changed in v6.4: before it, `FNAME(invlpg)` zapped the
# > sPTE and then prefetched the new gPTE into it (`paging_tmpl.h` at 037dd1308c6d). Every
# > sPTE an emulated write names is zapped (`mmu_page_zap_pte()`). For PAE PDE sPTEs that was
# > always so (before v5.12 `mmu_pte_write_new_pte()` returned early for any level above
# > 4K); c5e2184d1544 (v5.12) removed the [leaf](glossary.md#link-leaf-spte)-only `update_pte()` hook, which rewrote a 4K
# > sPTE from the new gPTE and which its changelog calls unreachable since unsync page
# > tables arrived (4731d4c7a077, "KVM: MMU: out of sync shadow core").
#
# **A map of this notebook.** A guest store into a table KVM shadows takes one of four
# roads. *Unsync*: an ordinary page table is [write-protected](glossary.md#write-protected); its first store faults, KVM
# marks its shadow pages unsync, makes the frame writable and lets the store through,
# zapping nothing; later stores land without trapping until the guest's next TLB flush or
# CR3 load resyncs the page and write-protects it again. *Emulated*: a write-tracked frame
# (the guest page directory, always) stays protected, so every store traps and KVM's
# emulator performs it, then `kvm_mmu_track_write()` zaps the sPTEs the store changed.
# *Plain store*: the frame is unsync already, so the store simply lands. [*Unprotected*](glossary.md#unprotect): a
# store KVM would emulate, but made by an instruction it does not take for a page-table
# update (a `rep stos` clearing a freed page directory): KVM zaps every shadow page of the
# frame instead and lets the guest run the instruction again. On the emulated
# road KVM also counts [*write flooding*](glossary.md#write-flooding): a page directory written three times in a row with
# no fault through it in between is probably not a page directory any more, and is zapped
# whole (the explorers show the count as "flooding n/3").

# %%
from shadowmmu.sim.records import page_records
from shadowmmu.scenarios.write_lab import write_lab, write_experiment
from shadowmmu.views.fault import render_shadow_pages
from shadowmmu.views.writes import render_write_result, render_write_presets
from shadowmmu.frontend.writes_explorer import guest_write_explorer
from IPython.display import HTML

# %% [markdown]
# ## What is protected
#
# The guest PD ([gfn](glossary.md#gfn) 0xE00) is shadowed by the four roots and is **write-tracked**: every
# store to it traps and is emulated. The guest PT (gfn 0xE01) is shadowed by two level-1
# pages, quadrant 0 (gPTEs 0-511, two present sPTEs) and quadrant 1 (gPTEs 512-1023, one);
# it is [write-protected](glossary.md#write-protected) too, but not tracked, so its first write fault makes it unsync.
#
# Current mainline KVM has no setting for this (older kernels had an `oos_shadow` module
# parameter that turned unsync off, as 2.6.3x's `mmu_need_write_protect()` shows). A store to a guest page table goes through KVM's write path
# (`kvm_mmu_track_write()`, which zaps sPTEs) only when the frame is write-tracked, for
# instance because the same frame is also shadowed at level 2 as a page directory, or when
# the store is made by KVM's instruction emulator on the guest's behalf (emulated stores
# are reported to the write path whatever the frame is). Otherwise KVM does not keep a page
# table write-protected: the first write fault unsyncs it. The simulator's switch
# `unsync=False` stands for the first case: it treats the page table as write-tracked, so
# every store is emulated.

# %%
lab = write_lab()
HTML(render_shadow_pages(page_records(lab.mmu), caption="write_lab(): the shadow-page cache"))

# %% [markdown]
# ## The experiments at a glance
#
# Each row is one store on a fresh `write_lab()`; the columns are counted off the events.
# The byte offsets follow notebooks 03 and 04: byte 0x000 is gPTE 0 (quadrant 0, sPTE 0),
# byte 0x800 gPTE 512 (quadrant 1, sPTE 0), byte 0x080 of the PD is guest PDE 32 (PD
# quadrant 0, PAE PDEs 64 and 65).

# %%
cases = [("pt", 0x000, 4, True), ("pt", 0x000, 4, False), ("pt", 0x800, 4, False),
         ("pd", 0x080, 4, True), ("pt", 0x000, 8, False), ("pt", 0x002, 2, False)]
HTML(render_write_presets([write_experiment(*c) for c in cases]))

# %% [markdown]
# ## A guest PTE write, as KVM handles an ordinary page table: unsync
#
# The guest remaps the page at 0x08000000 to frame 0x1F0000 by storing 4 bytes at byte 0 of
# its page table. The table is write-protected, so the store faults; since it is only a
# page table (not tracked), `mmu_try_to_unsync_pages()` marks **both** of its shadow pages
# unsync and lets the store through. Later stores to it land without trapping, but only
# until the guest's next CR3 load or TLB flush: `kvm_mmu_sync_roots()` →
# `mmu_sync_children()` then write-protects the frame again and clears `unsync`, so the next
# store after that faults and unsyncs the page table once more.
#
# Nothing was zapped, so between the store and the guest's next flush the shadow still maps
# the **old** frame: a stale sPTE. That is allowed: on bare metal the TLB may hold the old
# translation too, until the guest runs `invlpg`. At `invlpg` KVM re-reads that gPTE
# and drops the sPTE, and the next access faults the new frame in. (That is v6.10's
# `kvm_mmu_invalidate_addr()` → `kvm_sync_spte()`; before v6.4, `FNAME(invlpg)` zapped the
# sPTE and prefetched the new gPTE into it at once.)

# %%
HTML(render_write_result(write_experiment("pt", 0x000, 4, unsync=True)))

# %% [markdown]
# ## The same write to a write-tracked page table: the level-1 quadrant skip
#
# `ShadowMMU(unsync=False)` treats the page table as write-tracked, so every PTE store is
# emulated, as KVM does for the guest PD always and for a page table that is also used as a
# page directory (or for a store made by its emulator). `get_written_sptes()` doubles the byte offset to 8-byte
# entries; byte 0 becomes byte 0 of quadrant 0. So the quadrant-0 page zaps its sPTE 0 and
# the quadrant-1 page, which shadows gPTEs 512-1023, **skips** the write. No stale window:
# `translate()` gives nothing right after the store.

# %%
HTML(render_write_result(write_experiment("pt", 0x000, 4, unsync=False)))

# %% [markdown]
# Byte 0x800 is gPTE 512: now quadrant 0 skips and quadrant 1 zaps its sPTE 0.

# %%
HTML(render_write_result(write_experiment("pt", 0x800, 4, unsync=False)))

# %% [markdown]
# ## A guest PDE write: two sPTEs, one root
#
# The guest clears PDE 32 (byte 0x080 of its PD), unmapping 0x08000000-0x083FFFFF. The PD
# is write-tracked, so the store is emulated whatever the unsync switch says. Before you
# read on, predict: which sPTEs does KVM zap? Press **next step**: before a step that
# answers a question, the explorer asks it (one button per answer, or "just show me"),
# then shows the step on the picture, one shadow page at a time.

# %%
# NBVAL_IGNORE_OUTPUT
guest_write_explorer("pd", 0x080, 4, space=[])

# %% [markdown]
# The answer. One 4-byte guest PDE covers 4 MiB, two PAE PDEs of 2 MiB: `get_written_sptes()`
# returns two, PAE PDEs 2 x 32 = 64 and 65, in the root with PD quadrant 32 div 256 = 0.
# The other three roots shadow other quarters of the same guest page and skip. (Each still
# counts the write toward [write-flooding](glossary.md#write-flooding), as the kernel checks
# flooding before the quadrant.)

# %%
HTML(render_write_result(write_experiment("pd", 0x080, 4, unsync=True)))

# %% [markdown]
# ## An 8-byte store to the guest PD: the roots in use go, and come back
#
# Now the guest stores 8 bytes at the same place: two guest PDEs at once. Predict again:
# what does KVM zap this time?

# %%
# NBVAL_IGNORE_OUTPUT
guest_write_explorer("pd", 0x080, 8, space=[])

# %% [markdown]
# The answer. For 4-byte gPTEs an 8-byte store is misaligned (next section), so KVM zaps
# every shadow page of the guest PD's frame: all four roots, which the vCPU is using. KVM
# cannot free a page the CPU may be walking, and it does not leave the vCPU without roots
# either. It empties each root, marks it invalid (a bit of the page's
# [role](glossary.md#role), `role.invalid`: an [obsolete root](glossary.md#obsolete-root)) and asks every
# vCPU to drop its obsolete roots (`KVM_REQ_MMU_FREE_OBSOLETE_ROOTS`, sent with
# `kvm_make_all_cpus_request()`). Before the guest runs its next instruction, each vCPU
# frees its roots (`kvm_mmu_free_obsolete_roots()`; all four go,
# since [`pae_root`](glossary.md#pae-root) itself has no shadow page to check) and loads new ones (`kvm_mmu_reload()` →
# `mmu_alloc_shadow_roots()`). So the table after the write shows four new, empty page
# directories; the level-1 pages that hung below the old ones stay in the cache and are
# found again at the next fault.

# %%
HTML(render_write_result(write_experiment("pd", 0x080, 8, unsync=True)))

# %% [markdown]
# > **For reviewers.** `__kvm_mmu_prepare_zap_page()` keeps a zapped root whose
# > `root_count` is not zero, sets `role.invalid` and makes the
# > `KVM_REQ_MMU_FREE_OBSOLETE_ROOTS` request of all vCPUs (`kvm_make_all_cpus_request()`); `vcpu_enter_guest()` then runs
# > `kvm_mmu_free_obsolete_roots()`, where `is_obsolete_root()` treats a root with no shadow
# > page (the PAE `pae_root`) as obsolete, and `kvm_mmu_reload()` → `kvm_mmu_load()`
# > allocates and syncs new roots (mainline 56ea38e436ea).

# ## Misaligned writes zap whole pages
#
# With 4-byte gPTEs, `detect_write_misaligned()` lets through only aligned 4-byte stores
# and aligned 1-byte ones. Anything else, such as an 8-byte store (two gPTEs at once) or
# any 2- or 3-byte store, counts as misaligned: KVM does not map it to sPTEs entry by
# entry but zaps **every** shadow page of the frame, both quadrants. (For an ordinary page
# table the store would not be emulated: it would unsync the page table and go through.)

# %%
HTML(render_write_result(write_experiment("pt", 0x000, 8, unsync=False)))

# %% [markdown]
# ## Write flooding
#
# A page directory that keeps being written without being used is probably no longer a
# page directory. KVM counts emulated writes to each shadow page above level 1
# (`detect_write_flooding()`); a fault through the page resets the count. At the third
# write in a row, the page is zapped whole, even when its quadrant would have skipped the
# store. Choose the preset "write flooding: 3 PDE stores" in the explorer below and step to
# the third store. (Level-1 pages never flood: they can go unsync instead.)
#
# ## Not every trapped store is emulated: unprotect and retry
#
# So far every store that trapped was emulated, or unsynced its page table. There is a third
# way out, and which one KVM takes depends on the frame and on the instruction:
#
# * the frame has no shadow page, or only unsync ones: the store does not trap at all;
# * the frame is a page table that is not write-tracked: its first write fault unsyncs its
#   shadow pages and the store goes through (nothing is emulated);
# * the frame is write-tracked (the guest PD; or a page table under `unsync=False`): the
#   store faults and KVM hands the instruction to its emulator. If the instruction is one
#   the emulator flags as a page-table write (`mov`, `xchg`, `cmpxchg`, `or`, `and`, `bts`,
#   `btc`), KVM emulates it and `kvm_mmu_track_write()` zaps what it changed, as above;
# * if it is not (`rep stos`, `rep movs`, `add`, an SSE store), KVM guesses the page is no
#   longer used as a page table and [unprotects](glossary.md#unprotect) it:
#   `kvm_mmu_unprotect_page()` zaps **every** shadow page of the frame, whole, nothing is
#   emulated, and the guest runs the instruction again, which now stores without trapping.
#
# The textbook case is an operating system reusing a freed page directory: process 1 has
# exited, CR3 holds process 2's directory, but KVM still caches the old directory's four
# shadow pages and still tracks its frame. The kernel hands the frame out again and
# `clear_page()` zeroes it with `rep stos`. The preset "the guest clears a freed page
# directory" runs exactly that (`shadowmmu.scenarios.freed_pd_lab()`, then
# `ShadowMMU.guest_write(..., page_table_write=False)`): predict what the first store does.

# %%
# NBVAL_IGNORE_OUTPUT
guest_write_explorer("freed_pd", 0x000, 4, space=[])

# %% [markdown]
# The answer: `kvm_mmu_unprotect_page()` zaps all four pages of the frame, with the two
# 2 MiB kernel [leaves](glossary.md#link-leaf-spte) of L2 q3, and none was a root, so no reload; the re-run store lands,
# and so do the other 1023 stores of the `rep stos`. (The simulator models the call as
# `ShadowMMU.unprotect_page(gfn)`, which returns how many pages it zapped; the kernel
# returns only whether it zapped any.) Had the guest cleared the directory CR3 points at,
# the zap would not last: the vCPU reloads its roots before the re-run, so the frame is
# tracked again, the same instruction faults at the same address, and this time KVM
# emulates it, since it never retries the same instruction at the same address twice in
# a row.
#
# > **For reviewers.** Linux 6.10: `kvm_mmu_page_fault()` (mmu.c, 56ea38e436ea) sets
# > `EMULTYPE_ALLOW_RETRY_PF` on a `RET_PF_EMULATE` fault unless the address hit the MMIO
# > cache or the vCPU is in guest mode; `x86_emulate_instruction()` decodes, then
# > `retry_instruction()` (x86.c) returns to the guest after `kvm_mmu_unprotect_page()`
# > when `x86_page_table_writing_insn()` is false (the decoder's `PageTable` flag) and
# > `last_retry_eip`/`last_retry_addr` do not match; `kvm_mmu_unprotect_page()` zaps each
# > page of `for_each_gfn_valid_sp_with_gptes()` and returns whether there was one. Two
# > other callers: `reexecute_instruction()` after a failed emulation, and
# > `kvm_handle_page_fault()` when an event needs re-injection; with a TDP MMU a frame is
# > write-protected only when KVM shadows a nested hypervisor's tables in it. After 6.10
# > the series "KVM: x86: Fix multiple #PF RO infinite loop bugs" (Linux 6.12,
# > <20240831001538.336683-1-seanjc@google.com>) folded `retry_instruction()` into
# > `x86_emulate_instruction()` (2df354e37c13), retries only if a page was really zapped
# > (c1edcc41c360), and replaced `kvm_mmu_unprotect_page()` by
# > `kvm_mmu_unprotect_gfn_and_retry()` (6b3dcabc1091), which also records the retry.
#
# ## Try it
#
# Pick the table (the freed page directory is cleared by `rep stos`: the unprotect path), a
# byte offset (hex like 0x800, or decimal; Enter applies it), a size and
# one or three stores, or a preset; untick "may go unsync" to make the page table
# write-tracked and see the emulated path. Then step: **next step** reveals one step,
# asking first where a step answers a question; **show all** answers nothing and shows the
# end. A bad offset shows an error and keeps the last picture. Without a Python kernel
# (the static site), the explorer answers from the stores computed when the page was
# built: the presets' tables and offsets, every size (for the freed directory the sizes
# a `rep stos` has: 1, 2, 4), unsync on and off, and three stores in a row for the page
# directory; any other store is computed by the package itself, running in your browser
# (Pyodide), or by the kernel in JupyterLab or Voila.

# %%
# NBVAL_IGNORE_OUTPUT
guest_write_explorer("pt", 0x800, 4, unsync=False)

# %% [markdown]
# ## In practice
#
# An emulated write zaps the sPTEs it changed instead of rewriting them from the new gPTE;
# the next access refaults. (PAE PDE sPTEs were always zapped; the last rewriting path, for
# 4K leaves, `update_pte()`, was removed in v5.12 by c5e2184d1544.) Linux guests write PTEs with aligned 4-byte
# stores (and clear status bits with 1-byte ones), so the misaligned path is rare; a PAE or
# 64-bit guest, whose 8-byte gPTEs make 8-byte stores normal, never meets it this way.
