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
the PT quadrant VA bit 21, because those are the bits the 4-byte guest tables
consume and the 8-byte shadow tables do not. A rule is right for a page when
it reproduces both; ``check_rule`` reports the first page where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

try:
    import numpy as np
except ImportError:  # the pure-Python path below; pip install 'shadowmmu[fast]' for numpy
    np = None

from .address import bits, field_values
from .consts import GUEST_PAGES, PAGE_SHIFT
from .rules import QUADRANT_RULES, Rule, get_rule


#: True when numpy is installed and the vectorised path runs.
NUMPY = np is not None


def all_pages(numpy: bool | None = None):
    """The base address of every guest 4 KiB page, 0x00000000 .. 0xFFFFF000
    (a uint32 array with numpy, else a list of ints)."""
    if _use_numpy(numpy):
        return np.arange(GUEST_PAGES, dtype=np.uint32) << np.uint32(PAGE_SHIFT)
    return list(range(0, GUEST_PAGES << PAGE_SHIFT, 1 << PAGE_SHIFT))


def decompose_all(vas=None, numpy: bool | None = None) -> dict:
    """decompose() for many addresses, as a dict of arrays (lists without numpy) named like
    Decomposition's fields (address.field_values(), the same layouts)."""
    if _use_numpy(numpy):
        return field_values(_array(vas))
    rows = [field_values(va) for va in _ints(vas)]
    return {name: [row[name] for row in rows] for name in (rows[0] if rows else field_values(0))}


def rule_quadrants(rule: str | Rule, vas=None, numpy: bool | None = None) -> tuple:
    """(PD quadrant, PT quadrant) that a rule assigns to each page (arrays, or lists without numpy)."""
    rule = get_rule(rule)
    if _use_numpy(numpy):
        va = _array(vas)
        pd = np.broadcast_to(np.asarray(rule.pd_quadrant(va)), va.shape)
        pt = np.broadcast_to(np.asarray(rule.pt_quadrant(va)), va.shape)
        return pd, pt
    pages = _ints(vas)
    return [rule.pd_quadrant(va) for va in pages], [rule.pt_quadrant(va) for va in pages]


def _use_numpy(numpy: bool | None) -> bool:
    """numpy=None: numpy if installed; True insists on it; False takes the pure-Python path."""
    if numpy and not NUMPY:
        raise ModuleNotFoundError("numpy=True, but numpy is not installed: pip install 'shadowmmu[fast]'")
    return NUMPY if numpy is None else bool(numpy)


def _array(vas):
    return all_pages(numpy=True) if vas is None else np.asarray(vas, dtype=np.uint32)


def _ints(vas) -> list[int]:
    return all_pages(numpy=False) if vas is None else [int(v) for v in vas]


@dataclass(frozen=True, slots=True)
class Counterexample:
    """The first page where a rule's quadrant differs from the bits it must carry."""

    va: int
    level: int  # 2 = page directory quadrant, 1 = page table quadrant
    expected: int
    got: int

    def __str__(self) -> str:
        what = "PD quadrant (VA bits 31:30)" if self.level == 2 else "PT quadrant (VA bit 21)"
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
        self.pdpte = bits(self.va, 31, 30)  # the PD quadrant a rule must reproduce
        self.spde = bits(self.va, 29, 21)   # the parent PAE PDE index rules read
        self.bit21 = bits(self.va, 21, 21)  # the PT quadrant a rule must reproduce


def _check(rule: Rule, p: _Pages) -> RuleCheck:
    pd = rule.pd_quadrant_from(p.pdpte, p.va)
    pt = rule.pt_quadrant_from(p.spde, p.va)
    bad_pd, bad_pt = pd != p.pdpte, pt != p.bit21
    n_pd, n_pt = int(np.count_nonzero(bad_pd)), int(np.count_nonzero(bad_pt))
    candidates = []
    if n_pd:
        i = int(np.argmax(bad_pd))
        candidates.append((i, 2, int(p.pdpte[i]), int(np.broadcast_to(pd, p.va.shape)[i])))
    if n_pt:
        i = int(np.argmax(bad_pt))
        candidates.append((i, 1, int(p.bit21[i]), int(np.broadcast_to(pt, p.va.shape)[i])))
    first = None
    if candidates:
        i, level, expected, got = min(candidates)
        first = Counterexample(int(p.va[i]), level, expected, got)
    return RuleCheck(rule.name, int(p.va.size), n_pd, n_pt, first)


def check_rule(rule: str | Rule, vas=None, numpy: bool | None = None) -> RuleCheck:
    """Compare a rule's quadrants with VA bits 31:30 and 21 on every page (numpy if installed):

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
    benchmark's baseline, and a second evaluator the tests compare with the vectorised one.
    The first counterexample is the lowest page; on that page, the PT quadrant before the
    PD quadrant (as the vectorised check orders them)."""
    return _check_loop(get_rule(rule), _PageList(vas))


class _PageList:
    """_Pages as lists of ints: the fields a rule reads, cut once, and what it must reproduce
    (VA bits 31:30 and 21, by shifts: the oracle does not go through address.bits)."""

    def __init__(self, vas):
        self.va = _ints(vas)
        self.pdpte = [bits(va, 31, 30) for va in self.va]
        self.spde = [bits(va, 29, 21) for va in self.va]


def _check_loop(rule: Rule, p: _PageList) -> RuleCheck:
    pd_from, pt_from = rule.pd_quadrant_from, rule.pt_quadrant_from
    wrong_pd = wrong_pt = 0
    first = None
    for va, pdpte, spde in zip(p.va, p.pdpte, p.spde):
        want_pd, want_pt = (va >> 30) & 3, (va >> 21) & 1
        pd, pt = pd_from(pdpte, va), pt_from(spde, va)
        if pt != want_pt:
            wrong_pt += 1
            first = first or Counterexample(va, 1, want_pt, pt)
        if pd != want_pd:
            wrong_pd += 1
            first = first or Counterexample(va, 2, want_pd, pd)
    return RuleCheck(rule.name, len(p.va), wrong_pd, wrong_pt, first)
