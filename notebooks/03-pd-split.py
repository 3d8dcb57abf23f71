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
# # Split one page directory into four PAE page directories
#
# **What you'll do:** lay the guest's 1024 PDEs against the four page directories that
# KVM hangs off [`pae_root`](glossary.md#pae-root), and follow one address through both.
# **What you'll learn:** that the four PAE PDs all shadow the *same* guest page (they
# differ only in the [quadrant](glossary.md#quadrant) of their [role](glossary.md#role),
# `role.quadrant` 0..3), that each covers a contiguous quarter of it
# (256 guest PDEs, 1 GiB), and that each guest PDE becomes two PAE PDEs.
# **What you'll need:** notebook 02.
#
# The roles come from `shadowmmu.pae_root_roles()`; the guest PDEs each one covers from
# `shadowmmu.shadowed_part()`; the picture is the page's own `drawExplorer()`
# (`shadowmmu/frontend/draw.js`), which the explorer below draws too.
#
# > **For reviewers.** `pae_root_roles()` mirrors `mmu_alloc_shadow_roots()` and
# > `mmu_alloc_root()` for a non-PAE guest (mainline 56ea38e436ea, about v6.10): four roots,
# > all for the CR3 [gfn](glossary.md#gfn), `quadrant = i`, no PDPTR check. The quadrant has been passed to
# > `mmu_alloc_root()` as `i` since 2e65e842c57d (v6.0); before, it was computed from the
# > address `i << 30`.

# %%
from shadowmmu import decompose, pae_root_roles, get_written_sptes, shadowed_part
from shadowmmu.views.splits import render_pd_quarters, render_pd_presets, pd_split_layout
from shadowmmu.frontend.explorers import pd_split
from shadowmmu.frontend.figures import explorer_picture
from IPython.display import HTML

# %% [markdown]
# ## Four roots, one guest page
#
# For a 32-bit non-PAE guest KVM allocates all four page directories up front, every one
# for the gfn in the guest's CR3, and gives the i-th the quadrant i:

# %%
{f"pae_root[{i}]": r.describe() for i, r in enumerate(pae_root_roles())}

# %% [markdown]
# Level 2, quadrants 0 to 3. The `pae_root` page above them is a bare per-vCPU page, not a
# [shadow page](glossary.md#shadow-page), so there is no parent to derive these quadrants from; they are assigned.
# What each one covers:

# %%
HTML(render_pd_quarters())

# %% [markdown]
# A quarter of the guest PD is 256 four-byte PDEs, 1 KiB of the guest page; in the PAE PD
# they fill all 512 eight-byte entries, because each guest PDE maps 4 MiB and a PAE PDE only
# 2 MiB.

# %% [markdown]
# ## One address through it
#
# For 0xDEADBEEF: guest PDE 890 lies in the fourth quarter, so PD quadrant 3, and becomes
# PAE PDEs 244 and 245 of that PD; the address itself uses 245.

# %%
pd_split_layout(decompose(0xDEADBEEF))

# %% [markdown]
# The same pairing seen from the other side: when the guest writes that PDE (4 bytes at
# byte 890 × 4 = 0xDE8 of its page directory), KVM's `get_written_sptes()` names the two
# PAE PDEs to [zap](glossary.md#zap) in quadrant 3, and nothing in quadrant 0:

# %%
{"PAE PDEs zapped in quadrant 3": get_written_sptes(pae_root_roles()[3], 0xDE8),
 "PAE PDEs zapped in quadrant 0": get_written_sptes(pae_root_roles()[0], 0xDE8)}

# %% [markdown]
# Drawn (the explorer below draws the same, once you have answered its question): the bits
# on top; the guest PD's four quarters, with the four PAE page directories of `pae_root[4]`
# below them, the chosen quarter and PD framed; between them a zoom of four guest PDEs, each
# over its two PAE PDEs, even and odd.

# %%
explorer_picture("pd-split", 0xDEADBEEF)

# %% [markdown]
# Notice the quarters: contiguous, not interleaved. Guest PDEs 768 to 1023 all go to quadrant
# 3. (Notebook 04 will show an interleave one level down; it does not happen here.)
#
# ## The presets
#
# Before the explorer, the preset addresses in a table:

# %%
HTML(render_pd_presets())

# %% [markdown]
# ## Try it
#
# The guest's page directory on top, cut into its four quarters; under each quarter the PAE
# page directory that shadows it, all four behind `pae_root[4]`; hanging from the selected
# PAE page directory, a zoom: four guest PDEs, each over its two PAE PDEs. Click a quarter, a `pae_root` slot, a guest PDE or a
# PAE PDE to select the address it maps; the arrow keys step the guest PDE (left/right) and
# the PDPTE (up/down). Try 0xBFC00000 and then the right arrow: the last guest PDE of quarter
# 2, then the first of quarter 3, in the next page directory. It all runs in the page.
#
# Predict, then see: this explorer asks first. Before the picture says which PAE page
# directory shadows the selected guest PDE, pick its `role.quadrant` (0 to 3) from the bits
# above, or press "show"; the page says whether you were right, then draws the answer. Every
# new address asks again.

# %%
# NBVAL_IGNORE_OUTPUT
pd_split(0xDEADBEEF, predict=True)

# %% [markdown]
# ## In practice
#
# All four roots exist even when the guest maps nothing in a quarter; there are no guest
# PDPTEs to look at, so KVM cannot skip any. All four are [write-tracked](glossary.md#write-tracked), so a guest write to
# its page directory always traps. When KVM emulates it (an ordinary `mov` of a PDE), each
# of the four shadow pages is visited: for an aligned 4-byte write, one finds the written
# PDE in its quarter and zaps two entries, and three skip it. A store by an instruction KVM
# does not count as a page-table write (a `rep stos` clearing the page) is not emulated:
# KVM [unprotects](glossary.md#unprotect) the frame, zapping all four shadow pages whole,
# and the guest runs the instruction again (notebook 07).
#
# > **For reviewers.** The write path is `kvm_mmu_track_write()` → `get_written_sptes()`
# > (mainline 56ea38e436ea): for a level-2 page with 4-byte gPTEs the byte offset is doubled
# > twice to name two [sPTEs](glossary.md#spte), and the page is skipped when the offset's quadrant differs from
# > `sp->role.quadrant`. Since c5e2184d1544 (v5.12) those sPTEs are zapped, not rewritten.
