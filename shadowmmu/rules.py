"""Every way of computing role.quadrant that the 2022 review weighed, by name (notebook 05).

This module knows roles and addresses. It does not know guest memory or the
shadow MMU; the simulator takes a ``Rule`` and calls it.

The seed (David Matlack's reply of 13 May 2022 to "[PATCH v4 03/20] KVM:
x86/mmu: Derive shadow MMU page role from parent") wanted the quadrant from
the *parent entry's index* instead of from the faulting address, so that a
role can be computed without a vCPU (eager page splitting needs that). Six
rules, each one small function of (child level, parent spte_index, va):

==============  ============================  =====================================
name            quadrant of a level-L child   status
==============  ============================  =====================================
``seed-v5``     spte_index % 2 (L = 1 only)   v5 as proposed in the seed
``lai``         % 2 at L 1, % 4 at L 2        Lai Jiangshan, for on-demand special
                                              roots; never merged
``generalised`` spte_index % (1 << L)         David Matlack's generalisation of it;
                                              never merged
``mainline``    spte_index & 1 (L = 1 only)   kvm_mmu_child_role(), Linux 6.0+
``legacy``      (va >> (12 + 9L)) & (2^L-1)   kvm_mmu_get_page(), v2.6.20 .. 5.19
``halves``      spte_index >= 256             THE MISCONCEPTION: "the two PAE page
                                              tables are the top and bottom halves
                                              of the parent page directory". Wrong.
==============  ============================  =====================================

Where the level-2 (page directory) quadrants come from depends on the rule's
``roots``: "preallocated" rules get them from mmu_alloc_shadow_roots()
(quadrant = pae_root slot); the "special" rules (lai, generalised) model Lai's
series, where the PDPT becomes a level-3 shadow page and the four PAE page
directories are its children, so their quadrant is *derived* from the PDPTE
index by the rule itself; "address" (legacy) computes both levels from the VA.

The rule functions use only ``%``, ``&``, ``>>``, ``>=`` and ``*``, so the same
function runs on a Python int and on a numpy array of 2**20 pages
(``exhaustive``) — one definition, two evaluators.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from .address import bits, layout_field
from .consts import (
    ACC_ALL,
    NR_PAE_ROOTS,
    PAE_4K,
    PAGE_SHIFT,
    PG_LEVEL_2M,
    PG_LEVEL_4K,
    PT32_PT_BITS,
    PT32_ROOT_LEVEL,
    PT32E_ROOT_LEVEL,
    PT64_PT_BITS,
    SPTE_ENT_PER_PAGE,
)
from .role import PageRole, RoleWarning, child_role, pae_root_roles, root_role

#: The indices a rule reads from an address: the PDPTE's and the parent PAE PDE's (consts.PAE_4K).
_PDPTE_INDEX = layout_field(PAE_4K, "pdpte_index")
_SHADOW_PDE_INDEX = layout_field(PAE_4K, "shadow_pde_index")


def _seed_v5(level, spte_index, va):
    return spte_index % 2


def _lai(level, spte_index, va):
    return spte_index % 2 if level == PG_LEVEL_4K else spte_index % 4


def _generalised(level, spte_index, va):
    return spte_index % (1 << level)


def _mainline(level, spte_index, va):
    return spte_index & 1


def _legacy(level, spte_index, va):
    # The guest table at this level consumes PT32_PT_BITS, the shadow table
    # PT64_PT_BITS; the difference, accumulated over `level` levels, is the
    # number of quadrant bits, and they sit just above what the shadow consumed.
    shift = PAGE_SHIFT + PT64_PT_BITS * level
    mask = (1 << ((PT32_PT_BITS - PT64_PT_BITS) * level)) - 1
    return (va >> shift) & mask


def _halves(level, spte_index, va):
    return (spte_index >= SPTE_ENT_PER_PAGE // 2) * 1


@dataclass(frozen=True, slots=True)
class Rule:
    """One way of computing role.quadrant, with where it came from:

        >>> r = QUADRANT_RULES["mainline"]
        >>> r.formula, r.pt_quadrant(0xC0200000), r.pd_quadrant(0xC0200000)
        ('spte_index & 1', 1, 3)
    """

    name: str
    title: str
    formula: str
    origin: str
    status: str
    roots: str  # "preallocated" | "special" | "address"
    levels: frozenset
    correct: bool
    fn: Callable

    def quadrant(self, level: int, spte_index, va=None):
        """The quadrant this rule gives a level-`level` child of entry spte_index.

        Raises RoleWarning where the kernel code would WARN_ON_ONCE (e.g. the
        mainline and seed-v5 forms asked about a level-2 child).
        """
        if level not in self.levels:
            raise RoleWarning(
                f"rule {self.name!r} ({self.formula}) is defined for child level(s) "
                f"{sorted(self.levels)} only; the kernel form WARNs at level {level}"
            )
        if self.roots == "address" and va is None:
            raise ValueError(f"rule {self.name!r} needs the faulting address")
        return self.fn(level, spte_index, va)

    def root_quadrant(self, i: int) -> int:
        """role.quadrant of the page directory behind pae_root[i] under this rule."""
        if self.roots == "preallocated":
            return i  # mmu_alloc_root(..., quadrant = i, ...)
        if self.roots == "address":
            return self.quadrant(PT32_ROOT_LEVEL, i, i << 30)  # gva = i << 30
        return self.quadrant(PT32_ROOT_LEVEL, i)  # child i of the special PDPT page

    def pd_quadrant(self, va):
        """Quadrant of the page directory that maps va (int or numpy array)."""
        return self.pd_quadrant_from(bits(va, _PDPTE_INDEX.hi, _PDPTE_INDEX.lo), va)

    def pt_quadrant(self, va):
        """Quadrant of the page table that maps va (int or numpy array): the rule
        applied to the parent PAE PDE, whose index is VA bits 29:21."""
        return self.pt_quadrant_from(bits(va, _SHADOW_PDE_INDEX.hi, _SHADOW_PDE_INDEX.lo), va)

    def pd_quadrant_from(self, pdpte_index, va):
        """pd_quadrant() given the PDPTE index already cut from va."""
        if self.roots == "preallocated":
            return pdpte_index  # mmu_alloc_root(..., quadrant = i, ...)
        if self.roots == "address":
            return self.fn(PT32_ROOT_LEVEL, pdpte_index, pdpte_index << 30)  # gva = i << 30
        return self.fn(PT32_ROOT_LEVEL, pdpte_index, va)  # child i of the special PDPT

    def pt_quadrant_from(self, shadow_pde_index, va):
        """pt_quadrant() given the parent PAE PDE index already cut from va."""
        return self.fn(PG_LEVEL_4K, shadow_pde_index, va)

    def pd_roles(self, root: PageRole | None = None) -> tuple[PageRole, ...]:
        """The four page-directory roles this rule produces, pae_root[0..3]."""
        return tuple(replace(r, quadrant=self.root_quadrant(r.quadrant))
                     for r in pae_root_roles(root))

    def child_role(self, parent: PageRole, spte_index: int, *, va: int | None = None,
                   direct: bool = False, access: int = ACC_ALL) -> PageRole:
        """child_role() with this rule's quadrant in place of mainline's."""
        if parent.has_4_byte_gpte and parent.level == PT32E_ROOT_LEVEL:
            # Only the special-root rules have a PDPT-level parent shadow page.
            base = replace(parent, level=PT32_ROOT_LEVEL, direct=direct, access=access,
                           quadrant=0)
        else:
            base = child_role(parent, spte_index, direct=direct, access=access)
        if not base.has_4_byte_gpte:
            return base
        return replace(base, quadrant=self.quadrant(base.level, spte_index, va))


QUADRANT_RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("seed-v5", "v5 as proposed in the seed", "spte_index % 2",
             "David Matlack, reply of 13 May 2022 to [PATCH v4 03/20]",
             "proposed for v5; merged (as v6 04/22) in Linux 6.0",
             "preallocated", frozenset({PG_LEVEL_4K}), True, _seed_v5),
        Rule("lai", "Lai Jiangshan's, for on-demand special roots",
             "spte_index % 2 at level 1, % 4 at level 2",
             "Lai Jiangshan, replies of 7 and 9 May 2022; series 'Use one-off special "
             "shadow page for special roots' (V2, 3 May 2022)",
             "never merged (the special-roots series did not land)",
             "special", frozenset({PG_LEVEL_4K, PG_LEVEL_2M}), True, _lai),
        Rule("generalised", "David Matlack's generalisation",
             "spte_index % (1 << level)",
             "David Matlack, reply of 13 May 2022 (diff for Lai's series)",
             "never merged (depended on the special-roots series)",
             "special", frozenset({PG_LEVEL_4K, PG_LEVEL_2M}), True, _generalised),
        Rule("mainline", "mainline kvm_mmu_child_role()", "spte_index & 1",
             "kvm_mmu_child_role() with spte_index(), commits 2e65e842c57d and "
             "79e48cec6cba",
             "mainline since Linux 6.0",
             "preallocated", frozenset({PG_LEVEL_4K}), True, _mainline),
        Rule("legacy", "the address-based formula of the old kvm_mmu_get_page()",
             "(va >> (12 + 9*level)) & ((1 << level) - 1)",
             "kvm_mmu_get_page(), from Avi Kivity's shadow page caching (v2.6.20)",
             "mainline v2.6.20 to 5.19; replaced in 6.0",
             "address", frozenset({PG_LEVEL_4K, PG_LEVEL_2M}), True, _legacy),
        Rule("halves", "MISCONCEPTION: top/bottom halves of the parent PD",
             "spte_index >= 256",
             "none: the reading the June 2022 review warned against (the quadrant is "
             "evens and odds of the parent PD, not its halves)",
             "wrong; shown only to be refuted",
             "preallocated", frozenset({PG_LEVEL_4K}), False, _halves),
    )
}
CORRECT_RULES = tuple(name for name, r in QUADRANT_RULES.items() if r.correct)


def get_rule(rule: str | Rule) -> Rule:
    """The Rule named `rule` (or `rule` itself), with a message listing the names."""
    if isinstance(rule, Rule):
        return rule
    try:
        return QUADRANT_RULES[rule]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown quadrant rule {rule!r}; choose one of {', '.join(QUADRANT_RULES)}"
        ) from None
