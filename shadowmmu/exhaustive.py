"""Every guest page at once: the decomposition and every quadrant rule over all 2**20 pages (notebook 05).

This module knows addresses and rules; it does not know guest memory or the
shadow MMU. 2**20 guest 4 KiB pages is a small space, so instead of sampling
we check all of them: numpy runs the very same rule functions as the scalar
code (they use only operators numpy broadcasts), over one uint32 array.

numpy is optional (the ``fast`` extra): without it every function here takes
the pure-Python path, a loop over the pages calling the same rule functions on
ints, with the same answers (``tests/model/test_exhaustive.py`` compares the two
on all 2**20 pages). ``NUMPY`` says which path runs; arrays become lists.

The oracle is the address itself: the PD quadrant must be VA bits 31:30 and
the PT quadrant VA bit 21 (``pd_quadrant`` and ``pt_quadrant`` of
``consts.BIT_ROLES``), because those are the bits the 4-byte guest tables
consume and the 8-byte shadow tables do not. A rule is right for a page when
it reproduces both; ``check_rule`` reports the first page where it does not.

"First" has one meaning for all three checkers (``check_rule``, the plain loop
``check_rule_loop`` and ``checkRule()`` in ``frontend/model.js``): the lowest
address that is wrong (for an array of pages you pass, the first in its order);
at that address, the PD quadrant (level 2) before the
PT quadrant (level 1), the order in which a shadow walk meets them. The tests
check that the three name the same counterexample for every wrong rule.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import numpy as np
except ImportError:  # the pure-Python path below; pip install 'shadowmmu[fast]' for numpy
    np = None

from .address import bits, layout_field
from .consts import BIT_ROLES, GUEST_PAGES, PAE_4K, PAGE_SHIFT, PG_LEVEL_2M, PG_LEVEL_4K
from .rules import QUADRANT_RULES, Rule, get_rule


#: The bits a rule reads (the PDPTE index, the parent PAE PDE index) and the bits its
#: quadrants must reproduce (the PD and PT quadrant), from the layouts of ``consts``.
PDPTE_INDEX = layout_field(PAE_4K, "pdpte_index")
SHADOW_PDE_INDEX = layout_field(PAE_4K, "shadow_pde_index")
PD_QUADRANT = layout_field(BIT_ROLES, "pd_quadrant")
PT_QUADRANT = layout_field(BIT_ROLES, "pt_quadrant")
#: The quadrant each child level must carry, in the order a counterexample is reported
#: at one address: the page directory's, then the page table's.
QUADRANT_FIELDS = {PG_LEVEL_2M: PD_QUADRANT, PG_LEVEL_4K: PT_QUADRANT}


def _bit_span(f) -> str:
    return f"{f.hi}" if f.hi == f.lo else f"{f.hi}:{f.lo}"


#: True when numpy is installed and the vectorised path runs.
NUMPY = np is not None


def _use_numpy(numpy: bool | None) -> bool:
    """numpy=None: numpy if installed; True insists on it; False takes the pure-Python path."""
    if numpy and not NUMPY:
        raise ModuleNotFoundError("numpy=True, but numpy is not installed: pip install 'shadowmmu[fast]'")
    return NUMPY if numpy is None else bool(numpy)


def all_pages(numpy: bool | None = None):
    """The base address of every guest 4 KiB page, 0x00000000 .. 0xFFFFF000
    (a uint32 array with numpy, else a list of ints)."""
    if _use_numpy(numpy):
        return np.arange(GUEST_PAGES, dtype=np.uint32) << np.uint32(PAGE_SHIFT)
    return list(range(0, GUEST_PAGES << PAGE_SHIFT, 1 << PAGE_SHIFT))


def _array(vas):
    return all_pages(numpy=True) if vas is None else np.asarray(vas, dtype=np.uint32)


def _ints(vas) -> list[int]:
    return all_pages(numpy=False) if vas is None else [int(v) for v in vas]


def rule_quadrants(rule: str | Rule, vas=None, numpy: bool | None = None) -> tuple:
    """(PD quadrant, PT quadrant) that a rule assigns to each page (arrays, or lists without numpy)."""
    rule = get_rule(rule)
    if not _use_numpy(numpy):
        pages = _ints(vas)
        return [rule.pd_quadrant(va) for va in pages], [rule.pt_quadrant(va) for va in pages]
    va = _array(vas)
    pd = np.broadcast_to(np.asarray(rule.pd_quadrant(va)), va.shape)
    pt = np.broadcast_to(np.asarray(rule.pt_quadrant(va)), va.shape)
    return pd, pt


@dataclass(frozen=True, slots=True)
class Counterexample:
    """The first page where a rule's quadrant differs from the bits it must carry: the
    lowest such address, and at that address the PD quadrant before the PT quadrant."""

    va: int
    level: int  # 2 = page directory quadrant, 1 = page table quadrant
    expected: int
    got: int

    def __str__(self) -> str:
        f = QUADRANT_FIELDS[self.level]
        what = (f"PD quadrant (VA bits {_bit_span(f)})" if self.level == PG_LEVEL_2M
                else f"PT quadrant (VA bit {_bit_span(f)})")
        return f"0x{self.va:08X}: {what} should be {self.expected}, rule gives {self.got}"


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """The verdict of one rule over a set of pages."""

    rule: str
    pages: int
    wrong_pd: int
    wrong_pt: int
    first_counterexample: Counterexample | None

    @property
    def agrees(self) -> bool:
        return self.wrong_pd == 0 and self.wrong_pt == 0


class _Pages:
    """The address fields every rule check needs, cut once from one array of pages."""

    def __init__(self, vas):
        self.va = _array(vas)
        self.pdpte = bits(self.va, PDPTE_INDEX.hi, PDPTE_INDEX.lo)  # what a PD rule reads
        self.spde = bits(self.va, SHADOW_PDE_INDEX.hi, SHADOW_PDE_INDEX.lo)  # what a PT rule reads
        self.want_pd = bits(self.va, PD_QUADRANT.hi, PD_QUADRANT.lo)  # what they must reproduce
        self.want_pt = bits(self.va, PT_QUADRANT.hi, PT_QUADRANT.lo)


def _check(rule: Rule, p: _Pages) -> RuleCheck:
    pd = np.broadcast_to(rule.pd_quadrant_from(p.pdpte, p.va), p.va.shape)
    pt = np.broadcast_to(rule.pt_quadrant_from(p.spde, p.va), p.va.shape)
    bad_pd, bad_pt = pd != p.want_pd, pt != p.want_pt
    n_pd, n_pt = int(np.count_nonzero(bad_pd)), int(np.count_nonzero(bad_pt))
    first = None
    if n_pd or n_pt:
        # the first wrong page in the array's order (all_pages() is in address order);
        # at that page the PD quadrant before the PT quadrant
        i = int(np.argmax(bad_pd | bad_pt))
        if bad_pd[i]:
            first = Counterexample(int(p.va[i]), PG_LEVEL_2M, int(p.want_pd[i]), int(pd[i]))
        else:
            first = Counterexample(int(p.va[i]), PG_LEVEL_4K, int(p.want_pt[i]), int(pt[i]))
    return RuleCheck(rule.name, int(p.va.size), n_pd, n_pt, first)


def check_rule(rule: str | Rule, vas=None, numpy: bool | None = None) -> RuleCheck:
    """Compare a rule's quadrants with the quadrant bits (VA bits 31:30 and 21) on every page
    (vectorised with numpy if installed, else the loop, with the same answer):

        >>> check_rule("mainline").agrees
        True
        >>> str(check_rule("halves").first_counterexample)
        '0x00200000: PT quadrant (VA bit 21) should be 1, rule gives 0'
    """
    if not _use_numpy(numpy):
        return check_rule_loop(rule, vas)
    return _check(get_rule(rule), _Pages(vas))


def check_all_rules(vas=None, numpy: bool | None = None) -> dict[str, RuleCheck]:
    """check_rule() for every rule in QUADRANT_RULES, by name, sharing one decomposition."""
    if not _use_numpy(numpy):
        pages = _PageList(vas)
        return {name: _check_loop(rule, pages) for name, rule in QUADRANT_RULES.items()}
    pages = _Pages(vas)
    return {name: _check(rule, pages) for name, rule in QUADRANT_RULES.items()}


def check_rule_loop(rule: str | Rule, vas=None) -> RuleCheck:
    """check_rule() as a plain Python loop over the pages: the path without numpy, the
    benchmark's baseline, and a second evaluator the tests compare with the vectorised one."""
    return _check_loop(get_rule(rule), _PageList(vas))


class _PageList:
    """_Pages as lists of ints, cut once: what a rule reads and what it must reproduce."""

    def __init__(self, vas):
        self.va = _ints(vas)
        self.pdpte = [bits(va, PDPTE_INDEX.hi, PDPTE_INDEX.lo) for va in self.va]
        self.spde = [bits(va, SHADOW_PDE_INDEX.hi, SHADOW_PDE_INDEX.lo) for va in self.va]
        self.want_pd = [bits(va, PD_QUADRANT.hi, PD_QUADRANT.lo) for va in self.va]
        self.want_pt = [bits(va, PT_QUADRANT.hi, PT_QUADRANT.lo) for va in self.va]


def _check_loop(rule: Rule, p: _PageList) -> RuleCheck:
    pd_from, pt_from = rule.pd_quadrant_from, rule.pt_quadrant_from
    wrong_pd = wrong_pt = 0
    first = None
    for va, pdpte, spde, want_pd, want_pt in zip(p.va, p.pdpte, p.spde, p.want_pd, p.want_pt):
        pd, pt = pd_from(pdpte, va), pt_from(spde, va)
        if pd != want_pd:
            wrong_pd += 1
            first = first or Counterexample(va, PG_LEVEL_2M, want_pd, pd)
        if pt != want_pt:
            wrong_pt += 1
            first = first or Counterexample(va, PG_LEVEL_4K, want_pt, pt)
    return RuleCheck(rule.name, len(p.va), wrong_pd, wrong_pt, first)
