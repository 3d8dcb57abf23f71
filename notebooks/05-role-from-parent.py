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
# # Derive the role from the parent, and check every rule on every page
#
# **What you'll do:** compare the ways of computing a new [shadow page](glossary.md#shadow-page)'s
# [quadrant](glossary.md#quadrant), a field of its [role](glossary.md#role) (`role.quadrant`),
# weighed in the 2022 review that this project grew from, apply each to an address, and check each against all
# 2**20 guest pages.
# **What you'll learn:** what the seed proposed, what Lai Jiangshan and David Matlack
# suggested on top, what landed in Linux 6.0, what never landed, and why the old
# address-based formula gives the same answers.
# **What you'll need:** notebooks 02-04.
#
# The rules live in `shadowmmu.rules.QUADRANT_RULES`; the exhaustive check is
# `shadowmmu.exhaustive.check_all_rules()`; the mainline rule is `shadowmmu.child_role()`,
# the model of the kernel's `kvm_mmu_child_role()`.

# %%
from shadowmmu import CORRECT_RULES, child_role, pae_root_roles, root_role, decompose
from shadowmmu.exhaustive import check_all_rules
from shadowmmu.views.rules import render_rule_table, render_rule_checks, render_rules_at
from shadowmmu.frontend.explorers import address_anatomy, linked, rule_explorer
from IPython.display import HTML

# %% [markdown]
# ## Why derive it at all
#
# Until Linux 5.19 KVM computed a new shadow page's quadrant from the faulting address. Eager
# page splitting needs to create shadow pages with no fault and no vCPU in sight, so a 2022
# patch series made the role a function of the *parent*: copy the parent's role, lower the
# level, and take the quadrant from the index of the parent entry that will point at the new
# page. In the review of that patch, the seed of this project, three forms of that last step
# were on the table. With the address formula it replaced and the misconception from
# notebook 04:
#
# > **For reviewers.** The patch is David Matlack's "KVM: x86/mmu: Derive shadow MMU page role
# > from parent", in his series "KVM: Extend Eager Page Splitting to the shadow MMU". The seed
# > is his reply on v4 03/20 of 13 May 2022, <Yn6i6yUkIKyzXb+j@google.com>, answering Lai
# > Jiangshan's <CAJhGHyDQn=atFmn5o2TREW9cSY5Tv1F1vsSekzor6uYQxDgcfQ@mail.gmail.com>. The
# > version merged is v6 04/22, <20220516232138.1783324-5-dmatlack@google.com>, mainline
# > 2e65e842c57d (in the 6.0 merge window).

# %%
HTML(render_rule_table())

# %% [markdown]
# In words:
#
# * **seed-v5**: what the seed proposed for v5: only level-1 children get a quadrant, the
#   parent entry index mod 2. The page directories keep theirs from `mmu_alloc_root()`.
# * **lai**: a rival series would have made the PAE PDPT a real (vCPU-local) shadow page, so
#   the page directories would become *children* too, allocated on demand; this form adds
#   mod 4 at level 2 (the PDPTE index).
# * **generalised**: a one-line generalisation of that, mod `1 << level`, offered for
#   whichever series was queued first.
# * **mainline**: what ships in v6.0: `spte_index(sptep) & 1`.
# * **legacy**: the address-based formula, from the first shadow-page cache to 5.19.
# * **halves**: the misconception, kept only to be refuted.
#
# The special-roots series was not merged, so `lai` and `generalised` never ran in a
# released kernel; [`pae_root`](glossary.md#pae-root) is still a bare page, and the page-directory quadrants are
# still assigned, not derived.
#
# > **For reviewers.** `lai` is Lai Jiangshan's form for his series "KVM: X86/MMU: Use one-off
# > special shadow page for special roots" (V2, <20220503150735.32723-1-jiangshanlai@gmail.com>),
# > which was not merged; `generalised` is David's diff in <Yn6i6yUkIKyzXb+j@google.com>.
# > `mainline`: as merged, 2e65e842c57d wrote `(sptep - parent_sp->spt) % 2`. Sean
# > Christopherson's follow-up in the same merge window (v1
# > <20220624171808.2845941-2-seanjc@google.com>; David suggested the helper in review,
# > <YrX1WB1FZzXiR+Io@google.com>) added `spte_index()` in 79e48cec6cba and replaced it, so
# > v6.0 ships `spte_index(sptep) & 1`. `legacy` dates from Avi Kivity's shadow-page cache,
# > cea0f0e7ea54 (v2.6.20).

# %% [markdown]
# ## The mainline rule on one address
#
# 0xDEADBEEF walks through `pae_root[3]` and PAE PDE 245; the page table that PDE points at
# gets quadrant 245 & 1 = 1:

# %%
d = decompose(0xDEADBEEF)
child_role(pae_root_roles()[d.pdpte_index], d.shadow_pde_index)

# %% [markdown]
# Asking the mainline rule for a level-2 child, as if the PDPT were a shadow page with a
# role (`root_role()`, level 3), is a kernel WARN (`WARN_ON_ONCE(role.level !=
# PG_LEVEL_4K)`); the model raises instead:

# %%
try:
    child_role(root_role(), 0)
except ValueError as err:
    print(type(err).__name__, err)

# %% [markdown]
# ## Every rule at 0x00200000
#
# The address where the halves reading first goes wrong. What each rule makes of it, against
# the bits the quadrants must carry (31:30 and 21):

# %%
HTML(render_rules_at(0x00200000))

# %% [markdown]
# ## All 2**20 pages
#
# One address proves a rule wrong but cannot prove it right. A 32-bit guest has only 2**20
# pages, so we check them all: for every page, the PD quadrant must equal VA bits 31:30 and
# the PT quadrant VA bit 21, the bits the 4-byte guest tables consume and the 8-byte shadow
# tables do not. `check_all_rules()` runs each rule over one numpy array of page addresses
# in one pass:

# %%
checks = check_all_rules()
HTML(render_rule_checks(checks))

# %% [markdown]
# The five correct rules agree on every page, and the misconception fails on half of them:

# %%
{"the rules that agree everywhere are the correct ones":
     sorted(name for name, c in checks.items() if c.agrees) == sorted(CORRECT_RULES),
 "first page the halves reading gets wrong": str(checks["halves"].first_counterexample)}

# %% [markdown]
# Why the legacy formula agrees: at level 1 it takes `(va >> 21) & 1`, bit 21, and the parent
# PAE PDE for that address is indexed by bits 29:21, whose lowest bit is bit 21. At level 2
# it takes `(va >> 30) & 3`, which is the `pae_root` slot. Same bits, different source:
# the new form reads them off the parent, so it needs no address.
#
# ## Try it
#
# Choose a rule and an address: the two trees are drawn with that rule's quadrants (looked
# up in tables that Python computed by calling the rule itself, one entry per parent index),
# and the verdict below says where it agrees with VA bits 31:30 and 21. Under "halves", both
# PAE PDEs of a pair point at page table quadrant 0. The bit anatomy above it shares the
# selection (an `ipywidgets.jslink`, so it works on a static page too): flip bit 21 there.
# The button under the picture runs the chosen rule over all 2^20 guest pages in the page
# itself (`checkRule()` in `shadowmmu/frontend/model.js`, checked against
# `shadowmmu.exhaustive.check_rule` by the test suite); the table above has every rule.

# %%
# NBVAL_IGNORE_OUTPUT
linked(address_anatomy(0x00200000), rule_explorer(0x00200000, rule="halves"))

# %% [markdown]
# ## In practice
#
# The patch as first merged read `(sptep - parent_sp->spt) % 2`. That is a difference of
# two `u64 *` pointers, so it counts 8-byte entries ([sPTEs](glossary.md#spte)), not bytes; a follow-up in the same merge window
# replaced it with `spte_index(sptep) & 1`, which says so by name, and that is what v6.0
# ships. The comment above it kept "which half of the region" and gained the bit-budget
# paragraph (notebook 04).
#
# > **For reviewers.** Merged form: 2e65e842c57d. Replacement: 79e48cec6cba ("Add optimized
# > helper to retrieve an SPTE's index"); comment: 39944ab99c2f. All three are in the 6.0
# > merge window, so no mainline release has the `% 2` form.
