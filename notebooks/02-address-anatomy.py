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
# # Read one address two ways: the guest's 10/10/12 against PAE's 2/9/9/12
#
# **What you'll do:** cut a 32-bit guest virtual address the way the guest's tables cut it
# and the way KVM's PAE shadow tables cut it, and line the two up bit by bit.
# **What you'll learn:** which bits become the PD [quadrant](glossary.md#quadrant) (31:30), which pick the pair of
# PAE PDEs one guest PDE turns into (29:22), which bit is the PT quadrant (21), and why
# each guest table consumes one bit more than its PAE shadow. **What you'll need:**
# notebook 01.
#
# The arithmetic is `shadowmmu.decompose()`, reading the field layouts `GUEST_4K` and
# `PAE_4K` from `shadowmmu.consts`; the picture is the page's own `drawExplorer()`
# (`shadowmmu/frontend/draw.js`), which the explorer below draws too.

# %%
from shadowmmu import decompose, bits
from shadowmmu.consts import GUEST_4K, PAE_4K
from shadowmmu.views.address import render_preset_table
from shadowmmu.frontend.explorers import address_anatomy
from shadowmmu.frontend.figures import explorer_picture
from IPython.display import HTML

# %% [markdown]
# ## PAE in one minute
#
# If you know 32-bit paging but not PAE, this is all you need. A 32-bit guest without PAE cuts
# an address 10/10/12: bits 31:22 pick one of 1024 four-byte entries in the page directory
# (PDE), bits 21:12 one of 1024 four-byte entries in a page table (PTE), bits 11:0 the byte in
# the 4 KiB page. PAE paging keeps 32-bit virtual addresses but makes every entry 8 bytes, so
# a 4 KiB table holds 512 entries and each level consumes 9 bits instead of 10. Two levels of
# 9 bits plus the 12-bit offset make 30 bits, so PAE adds a small third level on top: a
# **page-directory-pointer table** (PDPT) of just 4 entries (PDPTEs), picked by bits 31:30.
# CR3 points at the PDPT; PDPTE i points at the page directory for gigabyte i. So PAE cuts
# 2/9/9/12:
#
#     bits    31:30          29:21            20:12           11:0
#             PDPTE (1 of 4)  PDE (1 of 512)   PTE (1 of 512)  byte offset
#
# A PAE PDE can also map 2 MiB directly instead of pointing at a page table, as a 32-bit PDE
# can map 4 MiB. KVM's shadow of our guest is in this format; its PDPT is the page KVM calls
# [`pae_root`](glossary.md#pae-root).
#
# ## Two layouts over the same 32 bits
#
# The guest walks 10/10/12: a 4-byte PDE per 4 MiB, a 4-byte PTE per 4 KiB. The PAE
# shadow walks 2/9/9/12. Both layouts are data in the package:

# %%
{"guest 10/10/12": [(f.label, f"bits {f.hi}:{f.lo}") for f in GUEST_4K],
 "PAE 2/9/9/12": [(f.label, f"bits {f.hi}:{f.lo}") for f in PAE_4K]}

# %% [markdown]
# A 4 KiB table holds 1024 four-byte entries but only 512 eight-byte ones, so at every
# level the guest's table consumes one bit more than the shadow's. The guest PD uses bits
# 31:22; the PAE PD 29:21, so two bits (31:30) are left over at the top, and they choose
# one of four PAE page directories. The guest PT uses 21:12; the PAE PT 20:12, so bit 21
# is left over, and it chooses one of two PAE page tables. Those leftovers are
# [`role.quadrant`](glossary.md#role).
#
# Here is 0xDEADBEEF, the classic:

# %%
d = decompose(0xDEADBEEF)
{"guest PDE index": d.guest_pde_index, "guest PTE index": d.guest_pte_index,
 "PDPTE index": d.pdpte_index, "PAE PDE index": d.shadow_pde_index,
 "PAE PTE index": d.shadow_pte_index, "PT quadrant": d.pt_quadrant}

# %% [markdown]
# Drawn, with each bit coloured by the job it does (the colours name their fields in text
# too, so nothing depends on telling them apart):

# %%
explorer_picture("address-anatomy", 0xDEADBEEF)

# %% [markdown]
# Read the colours across the two rows. Bits 31:30 (PDPTE index, PD quadrant) and 29:22
# (the pair of PAE PDEs) make up the guest PDE index: 890 = 256 × 3 + 122. Bits 29:22
# followed by bit 21 make up the PAE PDE index: 245 = 2 × 122 + 1. So one guest PDE, which
# maps 4 MiB, is the *pair* of PAE PDEs 244 and 245, 2 MiB each, and bit 21 picks the
# member of the pair. The same bit 21 heads the guest PTE index: 731 = 512 × 1 + 219.
#
# Bit 21 sits in both the PAE PDE index and the guest PTE index; remember that, notebook 04
# turns on it:

# %%
{"VA bit 21": bits(0xDEADBEEF, 21, 21), "PAE PDE index & 1": d.shadow_pde_index & 1,
 "guest PTE index // 512": d.guest_pte_index // 512}

# %% [markdown]
# ## The presets
#
# Before the live explorer, the six addresses it offers as buttons, so the page reads
# without a kernel:

# %%
HTML(render_preset_table())

# %% [markdown]
# 0x00000000 and 0x00200000 differ only in bit 21: same guest PDE, neighbouring PAE PDEs,
# different PT quadrant. 0xC0000000 and 0xC0200000 are the same pair one gigabyte up in PD
# quadrant 3, where a Linux guest keeps its kernel.

# %% [markdown]
# ## Try it
#
# The explorer below computes in the page itself, so it answers at once, and works on a
# static copy of this notebook too (`make site`). Click any bit to flip it, or Tab to a bit
# and press Enter. Type an address (hex like `0xC0200000` or `c0200000`, or decimal) and
# press Enter, or click a preset. The arrow keys step the guest PTE (left/right) and the
# guest PDE (up/down). Hovering a field lights up its bits, and the numbers that moved are
# underlined for a moment. Bad input gets the message `parse_address()` would give, and the
# picture stays as it was. With a kernel, `x.address` reads what you clicked. The picture is
# `shadowmmu/frontend/draw.js`, fed with the layouts of `shadowmmu.consts` by
# `shadowmmu.frontend.viewdata`: the page has no constants of its own.

# %%
# NBVAL_IGNORE_OUTPUT
x = address_anatomy(0xDEADBEEF)
x

# %% [markdown]
# Things to try: flip bit 21 alone and watch three numbers move together (PAE PDE ±1, PT
# quadrant, guest PTE ±512). Flip bit 30 and watch the PD quadrant and the guest PDE jump by
# 256 while the PAE PDE stays put.
#
# ## In practice
#
# Nothing in the kernel stores these indices; the hardware and KVM's walker cut them from
# the address as they go (KVM's own walk of its shadow tables, `shadow_walk_init_using_root()`,
# picks `pae_root[(addr >> 30) & 3]`). The quadrants, however, are stored: they are part of
# each [shadow page](glossary.md#shadow-page)'s role, which notebook 05 derives.
#
# > **For reviewers.** `shadow_walk_init_using_root()` as read in mainline 56ea38e436ea
# > (about v6.10): at `PT32E_ROOT_LEVEL` it takes `pae_root[(addr >> 30) & 3]` and goes on at
# > level 2, so the PD quadrant is the PDPTE index. Before 2e65e842c57d (v6.0) the roots got
# > their quadrant from the address `i << 30`; since then `mmu_alloc_root()` is passed `i`.
