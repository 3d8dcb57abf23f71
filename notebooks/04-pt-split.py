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
# # Split one page table into two PAE page tables, and see where they hang
#
# **What you'll do:** lay a guest page table's 1024 PTEs against the two PAE page tables
# that shadow it, then look one level up, at the PAE PDEs that point to them.
# **What you'll learn:** that the PT [quadrant](glossary.md#quadrant) is VA bit 21; that in the guest PT the two
# quadrants are the lower and upper 512 entries, but in the parent PAE PD they alternate,
# even PDE, odd PDE; and why "the top and bottom halves of the page directory" is wrong.
# **What you'll need:** notebooks 02 and 03.
#
# The rule is `shadowmmu.child_role()`; the wrong reading is `QUADRANT_RULES["halves"]`; the
# pictures are the page's own: `drawRefutation()` (`shadowmmu/frontend/refutation.js`) and
# the two trees of `drawExplorer()` (`shadowmmu/frontend/draw.js`), which the explorer below
# draws too.
#
# > **For reviewers.** `child_role()` mirrors `kvm_mmu_child_role()` as shipped in v6.0, which
# > sets the child's [role](glossary.md#role): `role.quadrant = spte_index(sptep) & 1` for a
# > child of a 4-byte-gPTE parent, with a WARN
# > unless the child is level 1. The helper came with 79e48cec6cba; the function itself with
# > 2e65e842c57d. `get_level1_sp_gpa()` mirrors `FNAME(get_level1_sp_gpa)` in
# > `paging_tmpl.h` (read at 037dd130, about v6.3).

# %%
from shadowmmu import decompose, child_role, pae_root_roles, get_level1_sp_gpa, QUADRANT_RULES
from shadowmmu.exhaustive import check_rule
from shadowmmu.views.splits import render_pt_presets, interleave_window
from shadowmmu.frontend.explorers import pt_split
from shadowmmu.frontend.figures import explorer_picture, refutation
from IPython.display import HTML

# %% [markdown]
# ## In the guest page table: two halves
#
# A guest PT has 1024 four-byte PTEs and maps 4 MiB; a PAE PT has 512 eight-byte PTEs and
# maps 2 MiB. So two PAE PTs shadow one guest PT, and here they really are halves: the
# [shadow page](glossary.md#shadow-page) with quadrant 1 starts at byte 2048 of the guest page, gPTE 512.
# `get_level1_sp_gpa()` says where each starts, for a guest PT at [gfn](glossary.md#gfn) 0x1234:

# %%
{f"PT quadrant {i} starts at gPA": hex(get_level1_sp_gpa(0x1234, child_role(pae_root_roles()[0], i)))
 for i in (0, 1)}

# %% [markdown]
# ## In the parent PAE page directory: evens and odds
#
# Now look at who points at those two page tables. Remember from notebook 02 that the PAE
# PDE index is bits 29:21, so its lowest bit *is* bit 21. A guest PDE k becomes PAE PDEs
# 2·(k mod 256) and the one after; the even one maps the lower 2 MiB of the 4 MiB and gets
# the quadrant-0 page table, the odd one the upper 2 MiB and quadrant 1. The quadrant is the
# parity of the parent's index, and `child_role()` computes exactly that:

# %%
root = pae_root_roles()[0]
{f"PAE PDE {i}": f"PT quadrant {child_role(root, i).quadrant}" for i in range(6)}

# %% [markdown]
# 0, 1, 0, 1: the two kinds of page table interleave down the PAE PD. Around 0xDEADBEEF's
# PAE PDE 245, each pair labelled with the guest PDE it came from:

# %%
[f"PAE PDE {p}: PT quadrant {q}, half of guest PDE {k}" for p, q, k in interleave_window(decompose(0xDEADBEEF))]

# %% [markdown]
# ## The misconception, drawn and refuted
#
# It is tempting to read "which half of the region they map" as "the two PAE page tables
# are the top and bottom halves of the page directory": PAE PDEs 0-255 quadrant 0, 256-511
# quadrant 1. That is the reading a 2022 kernel review warned against. One address settles
# it: 0x00200000 has bit 21 set, so its page table is quadrant 1; it sits under PAE PDE 1,
# which the halves reading puts in quadrant 0. Sixteen PAE PDEs of its page directory, each
# one's PT quadrant read by the bits and by the halves reading, and the whole directory as
# the halves reading cuts it:

# %%
refutation(0x00200000)

# %% [markdown]
# The two trees for that address, as the explorer at the end draws them once you have
# answered its question: the guest's CR3, page directory and page table (its lower and upper
# 2 KiB) on top; KVM's [`pae_root[4]`](glossary.md#pae-root), four PAE page directories and
# two PAE page tables below; in the zoom, PAE PDE 1 is odd and points at the quadrant-1 page
# table, which shadows the upper 2 KiB:

# %%
explorer_picture("pt-split", 0x00200000)

# %% [markdown]
# Nor is 0x00200000 a corner case. Over all 2**20 guest pages the halves reading gets the
# PT quadrant wrong for half of them, and the first it gets wrong is our address
# (`shadowmmu.exhaustive.check_rule()`):

# %%
c = check_rule("halves")
{"pages with the wrong PT quadrant": c.wrong_pt, "pages checked": c.pages,
 "first counterexample": str(c.first_counterexample)}

# %% [markdown]
# ## The presets
#
# The preset addresses, with the PT quadrant as the bit, as mainline computes it, and as the
# halves reading would:

# %%
HTML(render_pt_presets())

# %% [markdown]
# The halves reading is right only when the PAE PDE's parity and its half of the PD happen to
# agree; every odd PAE PDE in the lower half and every even one in the upper half proves
# it wrong.
#
# ## Try it
#
# The two trees: the guest's CR3, page directory and page table on top; KVM's
# [`pae_root[4]`](glossary.md#pae-root), four PAE page directories and two PAE page tables
# below. In the zoom the PAE PDEs alternate even, odd, even, odd; the arrows run from the even and the odd PDE of the
# selected pair to the quadrant-0 and quadrant-1 page tables (solid: the one this address walks;
# dotted: the other), and the dashed arrows from
# those up to the lower and upper 2 KiB of the one guest page table they both shadow.
# Click any entry; the arrow keys step the guest PTE (left/right) and the PAE PDE (up/down):
# moving by 2 MiB (bit 21) flips the quadrant, moving by 1 GiB changes the page directory but
# not the pattern.
#
# Predict, then see: this explorer asks first. Before the picture says which PAE page table
# the selected address goes through, pick it: quadrant 0 (which shadows the lower 2 KiB of
# the guest PT) or quadrant 1 (the upper 2 KiB), or press "show". The page says whether you
# were right, then draws the arrows; every new address asks again.

# %%
# NBVAL_IGNORE_OUTPUT
pt_split(0x00200000, predict=True)

# %% [markdown]
# ## In practice
#
# Both pictures are true at once, which is why the kernel comment keeps both: the guest PT
# is split into halves (2 MiB of its 4 MiB each), and bit 21 is the least significant bit of
# the PAE PDE index (the parent PD, evens and odds). The two page tables of one guest PT are
# created on demand, one per 2 MiB half that faults, so often only one of them exists.
#
# > **For reviewers.** The June 2022 review that warned against reading "which half" as a
# > split of the parent PD is Sean Christopherson's reply to v6 04/22,
# > <YqvWvBv27fYzOFdE@google.com>: he called the half wording correct but asked for the
# > bit-level detail, after Paolo Bonzini's example in <090e701d-6893-ea25-1237-233ff3dd01ee@redhat.com>.
# > The paragraph that landed is Sean's own, 39944ab99c2f (v6.0), which keeps the "which half
# > of the region" sentence and adds the bit budget.
