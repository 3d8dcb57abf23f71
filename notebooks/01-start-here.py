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
# # Start here: see how KVM shadows a 32-bit guest with PAE tables
#
# A 32-bit guest without PAE walks two levels of 4-byte entries: a page directory of 1024
# PDEs, then page tables of 1024 PTEs. KVM's shadow MMU cannot hand those to the hardware
# as they are; it builds PAE tables of 8-byte entries instead, 512 to a page. So one guest
# page directory becomes **four** PAE page directories, 1 GiB each, told apart by the
# [quadrant](glossary.md#quadrant) in each one's [role](glossary.md#role) (`role.quadrant`
# 0..3), and one guest page table becomes **two** PAE page tables (`role.quadrant` 0 or 1). This
# series shows where those quadrants come from, bit by bit, with every number computed by
# the `shadowmmu` package.
#
# **What you'll do:** pick guest addresses and watch them travel through both sets of
# tables. **What you'll learn:** why the page-table quadrant is VA bit 21, the parity of
# the parent PAE PDE index, and why that is an even/odd interleave and not a top/bottom
# split. **What you'll need:** some idea of x86 paging; the notebooks explain the rest.
#
# The series is written for KVM reviewers, virtualization engineers, and OS students and
# teachers. Words with a special meaning here are linked to the [glossary](glossary.md) the
# first time each notebook uses them.

# %% [markdown]
# ## Why a hypervisor builds shadow tables at all
#
# A guest has its own idea of memory. A program in it uses [guest-virtual](glossary.md#gva-gpa-hpa) addresses; the
# guest's page tables turn those into guest-physical addresses, the RAM the guest thinks it
# has. But that RAM is somewhere in the host's memory, so each guest-physical address must be
# translated once more, to a host-physical address:
#
#     guest-virtual  --(guest page tables)-->  guest-physical  --(KVM's memory map)-->  host-physical
#         gVA                                       gPA                                      hPA
#
# ([gVA, gPA, hPA](glossary.md#gva-gpa-hpa).) On a CPU with EPT (Intel) or NPT (AMD) the
# hardware walks both steps itself, and the guest's tables are used as they are. Without
# them the CPU walks exactly one set of tables, from gVA to hPA, so KVM has to build that set:
# **shadow tables**, copies of the guest's tables with every guest-physical frame replaced by
# the host-physical frame behind it. KVM keeps them in step with the guest's tables by
# watching the guest write to them (notebook 07). The same happens one level down for a
# nested guest: when the guest is itself a hypervisor that gives its own guest EPT or NPT
# tables, KVM shadows those tables too.
#
# Why does KVM's copy of a 32-bit guest's tables use 8-byte entries, when the guest's have 4?
# A 4-byte entry has room for a frame number of only 20 bits, which reaches 4 GiB, and the
# host frames behind the guest may lie above 4 GiB. So KVM builds its copy in the PAE format,
# whose entries are 8 bytes wide and hold a wider frame number; a 64-bit host, whose own
# tables are 8-byte already, uses the same 3-level PAE layout for this guest. It is not the
# only reason: only 8-byte entries have an NX bit, which KVM wants in its own tables whatever
# the guest uses (`kvm_init_shadow_mmu()` sets `efer_nx` in the shadow's role), and the
# hardware walks PAE tables anyway, because without EPT the CR4 the CPU runs the guest with
# always has PAE set (`KVM_PMODE_VM_CR4_ALWAYS_ON` in `vmx.c`). An 8-byte entry
# means only 512 entries fit a 4 KiB page instead of 1024, and everything in this series
# follows from that: each guest table needs two or four [shadow pages](glossary.md#shadow-page).

# %% [markdown]
# ## Run it
#
# From the repository root:
#
# * `make lab` creates `.venv`, installs `shadowmmu` with JupyterLab and the widget
#   frontend, and opens this notebook;
# * `make test` runs every test, including these notebooks under nbval;
# * `make app` serves the notebooks as apps with Voila (code hidden, widgets live).
#
# The first code cell of every notebook imports the installed package, nothing more:

# %%
from shadowmmu import decompose
from shadowmmu.views.address import render_preset_table
from shadowmmu.frontend.explorers import address_anatomy
from IPython.display import HTML

# %% [markdown]
# One address, both readings; `shadowmmu.decompose()` does the arithmetic:

# %%
d = decompose(0xC0200000)
{"guest PDE index": d.guest_pde_index, "guest PTE index": d.guest_pte_index,
 "PD quadrant": d.pd_quadrant, "PAE PDE index": d.shadow_pde_index, "PT quadrant": d.pt_quadrant}

# %% [markdown]
# Guest PDE 768 and guest PTE 512; the PAE shadow reads the same bits as PD quadrant 3,
# PAE PDE 1 and PT quadrant 1. The presets the notebooks keep coming back to:

# %%
HTML(render_preset_table())

# %% [markdown]
# ## Reading order
#
# 1. **01 Start here** (this notebook).
# 2. **02 Address anatomy** ([02-address-anatomy.ipynb](02-address-anatomy.ipynb)): the
#    guest's 10/10/12 split against the PAE 2/9/9/12 split of one address.
# 3. **03 One PD → four PAE PDs** ([03-pd-split.ipynb](03-pd-split.ipynb)): 1024 guest
#    PDEs against the four page directories of [`pae_root`](glossary.md#pae-root).
# 4. **04 One PT → two PAE PTs** ([04-pt-split.ipynb](04-pt-split.ipynb)): the lower and
#    upper 512 guest PTEs, and the even/odd interleave in the parent PD.
# 5. **05 Deriving the role from the parent** ([05-role-from-parent.ipynb](05-role-from-parent.ipynb)):
#    the 2022 review, its rules, and an exhaustive check of them.
# 6. **06 A page fault, step by step** ([06-page-fault.ipynb](06-page-fault.ipynb)): the
#    simulator walks the guest's tables, picks a root by bits 31:30 and fills the shadow.
# 7. **07 When the guest writes its page tables** ([07-guest-writes.ipynb](07-guest-writes.ipynb)):
#    [unsync](glossary.md#unsync), emulated writes, quadrant skips, and the [sPTEs](glossary.md#spte) they [zap](glossary.md#zap).
# 8. **08 A whole guest** ([08-whole-guest.ipynb](08-whole-guest.ipynb)): a Linux-like address
#    space, what its shadow costs, and the wrong rule caught by `ShadowMMU.check()`.
# 9. **09 Exercises** ([09-exercises.ipynb](09-exercises.ipynb)): seeded questions with a
#    check-my-answer button.
# 10. **10 A real Linux guest** ([10-real-guest.ipynb](10-real-guest.ipynb)): page tables
#     captured from a 32-bit Linux guest under QEMU, shadowed, and checked against QEMU's
#     own translations.
#
# 06 to 08 and 10 run the simulator (`shadowmmu.sim.guest`, `shadowmmu.sim.mmu`, `shadowmmu.scenarios`).
# The [glossary](glossary.md) collects the terms they use.

# %% [markdown]
# ## Check that widgets work
#
# Below should be notebook 02's explorer: an address box, six preset buttons, a strip of 32
# clickable bits and a diagram. Type an address and press Enter, or click a bit.

# %%
# NBVAL_IGNORE_OUTPUT
address_anatomy()

# %% [markdown]
# ## Troubleshooting
#
# **The widget shows up as text**, like `IntSlider(...)` or `VBox(children=...)`, or as
# "Error displaying widget": the browser side of ipywidgets is missing. `jupyterlab_widgets`
# must be installed in the environment that runs the *JupyterLab server*, which is not
# necessarily the kernel's. `make lab` installs both into `.venv` and starts that
# JupyterLab; if you use your own, run `pip install jupyterlab_widgets` there and restart
# JupyterLab (reloading the page is not enough).
#
# **Nothing happens when you type an address**: the box updates on Enter or when it loses
# focus, not on every keystroke. A bad address shows a message under the box and keeps the
# last good picture in place.
#
# **A GitHub or nbviewer page shows tables but no live controls**: that is expected; the
# static tables and diagrams were computed when the notebook was last run. Open it in
# JupyterLab or Voila to interact.

# %% [markdown]
# ## In practice
#
# Everything here is about the shadow MMU, the path KVM takes when it does not use EPT/NPT
# for a guest's own tables: on hardware without them, when KVM is loaded with `ept=0`
# (kvm_intel) or `npt=0` (kvm_amd), and for a nested guest whose hypervisor (L1) gives it
# EPT or NPT tables: KVM always shadows those tables, whatever it uses for L1 itself. Of
# those nested tables only NPT ones can have 4-byte entries (NPT uses L1's paging mode, so a
# non-PAE L1 gives 2-level, 4-byte tables, which get the quadrants of this series); nested
# EPT tables are always 8 bytes an entry and never need quadrants. Where a notebook cites a
# kernel function it gives the version, because names move.
#
# > **For reviewers.** The series has one reference kernel: **Linux v6.10** (mainline
# > `arch/x86/kvm/mmu/mmu.c` at 56ea38e436ea, `spte.c`/`spte.h` of the same release).
# > Where the behaviour shown changed across versions, the notebook says both, e.g. the
# > invlpg resync (`kvm_mmu_invalidate_addr()`/`kvm_sync_spte()` since v6.4,
# > `FNAME(invlpg)` before) or the write path's name (`kvm_mmu_track_write()` since v6.6,
# > `kvm_mmu_pte_write()` before). `paging_tmpl.h` was read at 037dd1308c6d (about v6.3);
# > a notebook that quotes it says so. Renames to keep in mind: `role.gpte_is_8_bytes`
# > became `has_4_byte_gpte`, with
# > the sense inverted, in Lai Jiangshan's
# > <20211124122055.64424-10-jiangshanlai@gmail.com> (Linux 5.17); a callout in each notebook
# > lists the functions it follows.
