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
from .common import esc, render_table, wrap_box


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


def render_rule_view(rule: str | Rule, d: Decomposition | int | str) -> str:
    """One rule applied to one address: its quadrants beside the bits they must equal."""
    d = d if isinstance(d, Decomposition) else decompose(d)
    rule = get_rule(rule)
    r = rule_quadrants(rule, d)
    ok = lambda a, b: "agrees" if a == b else "<b>DISAGREES</b>"  # noqa: E731
    rows = [
        ("PD quadrant", f'<span class="smmu-rule-v" data-field="pd_quadrant">{r["pd_quadrant"]}'
                        f"</span>", f"bits 31:30 = {r['bits31_30']}",
         ok(r["pd_quadrant"], r["bits31_30"])),
        ("PT quadrant", f'<span class="smmu-rule-v" data-field="pt_quadrant">{r["pt_quadrant"]}'
                        f"</span>", f"bit 21 = {r['bit21']}", ok(r["pt_quadrant"], r["bit21"])),
    ]
    head = (f'<div class="smmu-rule" data-rule="{esc(rule.name)}"><b>{esc(rule.name)}</b>: '
            f"quadrant of a child = <code>{esc(rule.formula)}</code> &mdash; {esc(rule.status)}"
            f"{' (the misconception)' if not rule.correct else ''}</div>")
    roles = (f"<div>level-2 quadrant: {esc(r['level2'])}. PD role {esc(r['pd_role'])}; "
             f"child of PAE PDE {d.shadow_pde_index}: {esc(r['child_role'])}</div>")
    table = render_table(("quadrant", f"rule at 0x{d.va:08X}", "must equal", "verdict"),
                         [(a, b, esc(c), e) for a, b, c, e in rows], raw=True)
    return wrap_box(head + table + roles, "smmu-rule-view")


def render_rule_check(check) -> str:
    """The verdict (an exhaustive.RuleCheck record) of exhaustive.check_rule() over all pages, one line."""
    rule = QUADRANT_RULES[check.rule]
    if check.agrees:
        body = (f"<b>{esc(check.rule)}</b>: all {check.pages:,} pages agree with VA bits 31:30 "
                f"and 21.")
    else:
        body = (f"<b>{esc(check.rule)}</b>: {check.wrong_pd:,} wrong PD quadrants and "
                f"{check.wrong_pt:,} wrong PT quadrants out of {check.pages:,} pages; first "
                f'counterexample <span class="smmu-counterexample">'
                f"{esc(check.first_counterexample)}</span>.")
    tag = "" if rule.correct else " (the misconception)"
    return (f'<div class="smmu-check" data-rule="{esc(check.rule)}" '
            f'data-agrees="{str(check.agrees).lower()}">{body}{tag}</div>')


def render_rule_checks(checks: Mapping[str, object]) -> str:
    """All rules' exhaustive verdicts as one table (shadowmmu.exhaustive.check_all_rules())."""
    rows = []
    for name, c in checks.items():
        rows.append((name, f"{c.pages:,}", "yes" if c.agrees else "NO", f"{c.wrong_pd:,}",
                     f"{c.wrong_pt:,}", str(c.first_counterexample or "-")))
    return render_table(("rule", "pages", "agrees", "wrong PD q", "wrong PT q",
                         "first counterexample"), rows,
                        caption="Computed by shadowmmu.exhaustive.check_all_rules()")
