"""Every guest page at once: the decomposition and every quadrant rule over all 2**20 pages (notebook 05).

This module knows addresses and rules; it does not know guest memory or the
shadow MMU. 2**20 guest 4 KiB pages is a small space, so instead of sampling
we check all of them: numpy runs the very same rule functions as the scalar
code (they use only operators numpy broadcasts), over one uint32 array.

The oracle is the address itself: the PD quadrant must be VA bits 31:30 and
the PT quadrant VA bit 21, because those are the bits the 4-byte guest tables
consume and the 8-byte shadow tables do not. A rule is right for a page when
it reproduces both; ``check_rule`` reports the first page where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .address import bits, field_values
from .consts import GUEST_PAGES, PAGE_SHIFT
from .rules import QUADRANT_RULES, Rule, get_rule


def all_pages() -> np.ndarray:
    """The base address of every guest 4 KiB page, 0x00000000 .. 0xFFFFF000 (uint32)."""
    return np.arange(GUEST_PAGES, dtype=np.uint32) << np.uint32(PAGE_SHIFT)


def decompose_all(vas: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """decompose() for an array of addresses, as a dict of arrays named like Decomposition's fields
    (address.field_values(), the same layouts)."""
    va = all_pages() if vas is None else np.asarray(vas, dtype=np.uint32)
    return field_values(va)


def rule_quadrants(rule: str | Rule, vas: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(PD quadrant, PT quadrant) that a rule assigns to each page, vectorised."""
    rule = get_rule(rule)
    va = all_pages() if vas is None else np.asarray(vas, dtype=np.uint32)
    pd = np.broadcast_to(np.asarray(rule.pd_quadrant(va)), va.shape)
    pt = np.broadcast_to(np.asarray(rule.pt_quadrant(va)), va.shape)
    return pd, pt


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

    def __init__(self, vas: np.ndarray | None):
        self.va = all_pages() if vas is None else np.asarray(vas, dtype=np.uint32)
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


def check_rule(rule: str | Rule, vas: np.ndarray | None = None) -> RuleCheck:
    """Compare a rule's quadrants with VA bits 31:30 and 21 on every page:

        >>> check_rule("mainline").agrees
        True
        >>> str(check_rule("halves").first_counterexample)
        '0x00200000: PT quadrant (VA bit 21) should be 1, rule gives 0'
    """
    return _check(get_rule(rule), _Pages(vas))


def check_all_rules(vas: np.ndarray | None = None) -> dict[str, RuleCheck]:
    """check_rule() for every rule in QUADRANT_RULES, by name, sharing one decomposition."""
    pages = _Pages(vas)
    return {name: _check(rule, pages) for name, rule in QUADRANT_RULES.items()}


def check_rule_loop(rule: str | Rule, vas=None) -> RuleCheck:
    """check_rule() as a plain Python loop over the pages: the benchmark's baseline,
    and a second evaluator the tests compare with the vectorised one."""
    rule = get_rule(rule)
    pages = range(0, 1 << 32, 1 << PAGE_SHIFT) if vas is None else [int(v) for v in vas]
    n = wrong_pd = wrong_pt = 0
    first = None
    for va in pages:
        n += 1
        pd, pt = rule.pd_quadrant(va), rule.pt_quadrant(va)
        want_pd, want_pt = (va >> 30) & 3, (va >> 21) & 1
        if pd != want_pd:
            wrong_pd += 1
            first = first or Counterexample(va, 2, want_pd, pd)
        if pt != want_pt:
            wrong_pt += 1
            first = first or Counterexample(va, 1, want_pt, pt)
    return RuleCheck(rule.name, n, wrong_pd, wrong_pt, first)
