"""Notebook 05's explorer: a quadrant rule applied to an address and checked on all 2**20 pages.

Knows: the skeleton, ``exhaustive``'s checks (run on a click) and ``views.rules``.
Does not know: the simulator or numpy's arrays (it is given RuleCheck records).
"""

from __future__ import annotations

import ipywidgets as W

from ..address import decompose
from ..exhaustive import check_all_rules, check_rule
from ..rules import QUADRANT_RULES
from ..views.rules import render_rule_check, render_rule_checks, render_rule_view
from .common import Explorer, address_skeleton, guarded


def rule_explorer(initial: int | str = 0x00200000, rule: str = "mainline") -> Explorer:
    """Notebook 05: pick a quadrant rule, apply it to an address, check it on all 2**20 pages.

    Parts: ``rule`` (Dropdown of QUADRANT_RULES names), ``address``, ``presets``,
    ``readout``, ``view`` (``views.render_rule_view``), ``check`` (HTML, the
    selected rule's ``views.render_rule_check``, re-run on each selection),
    ``check_all`` (Button) and ``checks`` (HTML, ``views.render_rule_checks`` of
    every rule, filled on click), ``status``, ``debug``.
    """
    dropdown = W.Dropdown(options=[(f"{name}: {r.formula}", name)
                                   for name, r in QUADRANT_RULES.items()],
                          value=rule, description="rule", layout=W.Layout(width="460px"))
    dropdown.add_class("smmu-rule")
    current = {"rule": rule}
    ex = address_skeleton(initial, lambda d: (render_rule_view(current["rule"], d),),
                           extra_children=())
    check = W.HTML(value=render_rule_check(check_rule(rule)))
    check_all = W.Button(description="check every rule on all 2**20 pages",
                         layout=W.Layout(width="auto"))
    check_all.add_class("smmu-check-all")
    checks = W.HTML(value="")

    @guarded(ex.debug)
    def _on_rule(change):
        current["rule"] = change["new"]
        ex.view.value = render_rule_view(change["new"], decompose(ex.state.va))
        check.value = render_rule_check(check_rule(change["new"]))

    @guarded(ex.debug)
    def _on_check_all(_button):
        checks.value = render_rule_checks(check_all_rules())

    dropdown.observe(_on_rule, names="value")
    check_all.on_click(_on_check_all)
    children = list(ex.children)
    children.insert(0, dropdown)
    children[-1:-1] = [check, check_all, checks]
    ex.children = tuple(children)
    ex.rule, ex.check, ex.check_all, ex.checks = dropdown, check, check_all, checks
    return ex
