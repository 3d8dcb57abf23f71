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
# # Predict quadrants, indices and zapped sPTEs: exercises
#
# **What you'll do:** answer seeded questions of three kinds: given an address, predict its
# [quadrants](glossary.md#quadrant) and indices; given a 4-byte store to a guest page table that reaches KVM's
# write path, predict which PAE page table is hit and which [sPTE](glossary.md#spte) is [zapped](glossary.md#zap); given a write to
# the page directory, which PAE page directory and which two PAE PDEs.
#
# Remember from notebook 07 when a page-table store reaches the write path at all: when the
# frame is [write-tracked](glossary.md#write-tracked) (for example, it is also in use as a page directory) or when KVM's
# instruction emulator made the store. An ordinary page table is [write-protected](glossary.md#write-protected) too, but
# only until a store faults: then it goes [unsync](glossary.md#unsync) and nothing is zapped until the resync
# (which protects it again, so the first store after the next guest TLB flush faults
# again). The questions assume the store is emulated.
# **What you'll learn:** whether notebooks 02-05 stuck.
# **What you'll need:** a pencil; notebooks 02-04 for reference.
#
# Questions are made by `shadowmmu.exercises.make_exercise(seed, number)`, deterministic for a
# given seed, so a class can share one; answers come from `shadowmmu.decompose()` and
# `shadowmmu.write_effects()`.
#
# > **For reviewers.** `write_effects()` mirrors `get_written_sptes()` and
# > `detect_write_misaligned()` mirrors the function of that name, both as read in mainline
# > 56ea38e436ea (Linux v6.10, the series' reference kernel). The write path zaps what it
# > names: PAE PDE sPTEs always were zapped, and c5e2184d1544 (v5.12) removed the last
# > rewriting hook, `update_pte()`, for 4K [leaf](glossary.md#link-leaf-spte) sPTEs.

# %%
from shadowmmu import detect_write_misaligned
from shadowmmu.views.common import render_table
from shadowmmu.views.exercises import exercise_rows, render_worked_answers
from shadowmmu.frontend.explorers import exercise
from IPython.display import HTML

# %% [markdown]
# ## This page's questions
#
# The first six questions of seed 2024, for reading on paper:

# %%
HTML(render_table(("#", "kind", "question"), exercise_rows(2024, 6)))

# %% [markdown]
# Hints: bits 31:30 are the PD quadrant, bit 21 the PT quadrant. A write at byte o of a guest
# page table is gPTE o/4; a write at byte o of the guest PD is gPDE o/4, and one gPDE is two
# PAE PDEs.

# %% [markdown]
# ## Check your answers
#
# Move through the series with "previous" and "next". Type your answers (decimal, or hex
# with 0x), then "check my answer"; "reveal" shows the answers and the two trees at the
# address in question. It all runs in the page. For a fresh series, type another seed and
# Enter: the kernel makes it, or, on the static site, the package itself running in your
# browser (Pyodide; the first time waits while Python starts). `exercise(seed=7)` does the
# same from Python.

# %%
# NBVAL_IGNORE_OUTPUT
exercise(seed=2024)

# %% [markdown]
# ## Answers to the table
#
# Worked by the package, and folded away so that nothing here answers a question before you
# have tried it: open "show the worked answers" only when you want them. Exercise 0 is an
# address; exercises 1 and 2 are writes, with what `write_effects()` does to every [shadow page](glossary.md#shadow-page)
# of the written guest page; exercises 3 to 5 get their answers only.

# %%
HTML(render_worked_answers(2024, worked=3, count=6))

# %% [markdown]
# ## In practice
#
# These exercises stick to aligned 4-byte writes, which is what a 32-bit guest's page-table
# code does. Apart from aligned 1-byte stores, anything else (2 or 3 bytes, a byte inside an
# entry, straddling two entries, or a full 8-byte store) is misaligned for a table of 4-byte
# entries, and KVM then zaps every shadow page of the guest page instead of one entry.
# `detect_write_misaligned()` for 4, 8 and 2 bytes at byte 0x7FC:

# %%
{f"{n}-byte store at 0x7FC misaligned": detect_write_misaligned(0x7FC, n) for n in (4, 8, 2)}

# %% [markdown]
# Notebook 07 lets the simulator show what follows.
