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
# page directory becomes **four** PAE page directories (`role.quadrant` 0..3, 1 GiB each),
# and one guest page table becomes **two** PAE page tables (`role.quadrant` 0 or 1). This
# series shows where those quadrants come from, bit by bit, with every number computed by
# the `shadowmmu` package.
#
# **What you'll do:** pick guest addresses and watch them travel through both sets of
# tables. **What you'll learn:** why the page-table quadrant is VA bit 21, the parity of
# the parent PAE PDE index, and why that is an even/odd interleave and not a top/bottom
# split. **What you'll need:** some idea of x86 paging; the notebooks explain the rest.
#
# The series is written for KVM reviewers, virtualization engineers, and OS students and
# teachers.

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
from shadowmmu.widgets.address import address_explorer
from IPython.display import HTML

# %% [markdown]
# One address, both readings; `shadowmmu.decompose()` does the arithmetic:

# %%
d = decompose(0xC0200000)
d.guest_pde_index, d.guest_pte_index, d.pd_quadrant, d.shadow_pde_index, d.pt_quadrant

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
#    PDEs against the four page directories of `pae_root`.
# 4. **04 One PT → two PAE PTs** ([04-pt-split.ipynb](04-pt-split.ipynb)): the lower and
#    upper 512 guest PTEs, and the even/odd interleave in the parent PD.
# 5. **05 Deriving the role from the parent** ([05-role-from-parent.ipynb](05-role-from-parent.ipynb)):
#    the 2022 review, its rules, and an exhaustive check of them.
# 6. **06 A page fault, step by step** ([06-page-fault.ipynb](06-page-fault.ipynb)): the
#    simulator walks the guest's tables, picks a root by bits 31:30 and fills the shadow.
# 7. **07 When the guest writes its page tables** ([07-guest-writes.ipynb](07-guest-writes.ipynb)):
#    unsync, emulated writes, quadrant skips, and the sPTEs they zap.
# 8. **08 A whole guest** ([08-whole-guest.ipynb](08-whole-guest.ipynb)): a Linux-like address
#    space, what its shadow costs, and the wrong rule caught by `ShadowMMU.check()`.
# 9. **09 Exercises** ([09-exercises.ipynb](09-exercises.ipynb)): seeded questions with a
#    check-my-answer button.
# 10. **10 A real Linux guest** ([10-real-guest.ipynb](10-real-guest.ipynb)): page tables
#     captured from a 32-bit Linux guest under QEMU, shadowed, and checked against QEMU's
#     own translations.
#
# 06 to 08 and 10 run the simulator (`shadowmmu.sim.guest`, `shadowmmu.sim.mmu`, `shadowmmu.scenarios`).

# %% [markdown]
# ## Check that widgets work
#
# Below should be an address box, six preset buttons, 32 bit toggles and a diagram. Type an
# address and press Enter.

# %%
# NBVAL_IGNORE_OUTPUT
address_explorer()

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
# focus, not on every keystroke. A bad address shows a message under the box and leaves the
# last good picture in place.
#
# **A GitHub or nbviewer page shows tables but no live controls**: that is expected; the
# static tables and diagrams were computed when the notebook was last run. Open it in
# JupyterLab or Voila to interact.

# %% [markdown]
# ## In practice
#
# Everything here is about the shadow MMU, the path KVM takes when the hardware cannot
# walk guest tables itself (no EPT/NPT, or nested paging of a 32-bit L1). With TDP none of
# this applies. Where a notebook cites a kernel function it gives the version it was read
# in, because names move (`gpte_is_8_bytes` became `has_4_byte_gpte` in Linux 5.17).
