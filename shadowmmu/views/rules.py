"""Notebook 05's views: the role from the parent, rule by rule, and the exhaustive checks.

Knows: ``rules.QUADRANT_RULES`` and the ``exhaustive.RuleCheck`` records it is
given (not imported: that would import numpy). Does not know: numpy, the simulator,
ipywidgets.
"""

from __future__ import annotations

from typing import Mapping

from ..address import Decomposition, decompose
from ..consts import PT32_ROOT_LEVEL
from ..role import RoleWarning
from ..rules import QUADRANT_RULES, Rule, get_rule
from .common import render_table


def _levels(rule: Rule) -> str:
    return ", ".join(f"L{level}" for level in sorted(rule.levels))


def rule_rows(rules: Mapping[str, Rule] = QUADRANT_RULES) -> list[tuple[str, ...]]:
    """One row per rule: name, formula, child levels it derives, roots, status, origin."""
    return [(r.name, r.formula, _levels(r), r.roots, r.status, r.origin)
            for r in rules.values()]


def render_rule_table(rules: Mapping[str, Rule] = QUADRANT_RULES) -> str:
    """The rules of shadowmmu.rules.QUADRANT_RULES and what became of each (notebook 05)."""
    return render_table(("rule", "quadrant of a child", "derives", "PD roots", "status",
                         "origin"), rule_rows(rules),
                        caption="From shadowmmu.rules.QUADRANT_RULES")


def rule_quadrants(rule: str | Rule, d: Decomposition) -> dict:
    """What one rule makes of d: PD and PT quadrants, against the bits, plus both roles.

        >>> r = rule_quadrants("halves", decompose(0x00200000))
        >>> r["pt_quadrant"], r["bit21"]
        (0, 1)
    """
    rule = get_rule(rule)
    pd = int(rule.pd_quadrant(d.va))
    pt = int(rule.pt_quadrant(d.va))
    pd_role = rule.pd_roles()[d.pdpte_index]
    try:
        child = rule.child_role(pd_role, d.shadow_pde_index, va=d.va).describe()
    except RoleWarning as err:  # the kernel form would WARN; say so instead of a role
        child = f"WARN: {err}"
    try:
        l2 = rule.quadrant(PT32_ROOT_LEVEL, d.pdpte_index, d.va)
        level2 = f"derived: {int(l2)}"
    except RoleWarning:
        level2 = "not derived (WARN_ON_ONCE if asked); from mmu_alloc_root()"
    return {"rule": rule.name, "pd_quadrant": pd, "pt_quadrant": pt, "bits31_30": d.pdpte_index,
            "bit21": d.pt_quadrant, "pd_role": pd_role.describe(), "child_role": child,
            "level2": level2, "correct_here": pd == d.pdpte_index and pt == d.pt_quadrant}


def render_rule_checks(checks: Mapping[str, object]) -> str:
    """All rules' exhaustive verdicts as one table (shadowmmu.exhaustive.check_all_rules())."""
    rows = []
    for name, c in checks.items():
        rows.append((name, f"{c.pages:,}", "yes" if c.agrees else "NO", f"{c.wrong_pd:,}",
                     f"{c.wrong_pt:,}", str(c.first_counterexample or "-")))
    return render_table(("rule", "pages", "agrees", "wrong PD q", "wrong PT q",
                         "first counterexample"), rows,
                        caption="Computed by shadowmmu.exhaustive.check_all_rules()")


def render_rules_at(va: object, rules: Mapping[str, Rule] = QUADRANT_RULES) -> str:
    """Notebook 05: what every rule makes of one address (rule_quadrants()), against the bits
    the quadrants must carry (31:30 and 21)."""
    d = decompose(va)
    rows = [(r["rule"], r["pd_quadrant"], r["bits31_30"], r["pt_quadrant"], r["bit21"], r["level2"])
            for r in (rule_quadrants(name, d) for name in rules)]
    return render_table(("rule", "PD quadrant", "bits 31:30", "PT quadrant", "bit 21",
                         "level-2 quadrant"), rows)
