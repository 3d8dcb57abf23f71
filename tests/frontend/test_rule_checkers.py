"""The three rule checkers name the same first counterexample, in the one order
``shadowmmu.exhaustive`` documents (lowest address; there, the PD quadrant first).

The checkers: ``exhaustive.check_rule`` (numpy), ``exhaustive.check_rule_loop`` (a
plain loop) and ``checkRule()`` of ``frontend/model.js`` under node. Only one rule
of ``QUADRANT_RULES`` is wrong, and only at one level, so planted wrong rules below
make the order matter: one wrong at both levels on the same page, one wrong at the
page table first and the page directory later, one wrong at the page directory
only. Each one's first counterexample and counts are derived by hand.
"""

from __future__ import annotations

import json

import pytest

from shadowmmu.consts import PG_LEVEL_2M, PG_LEVEL_4K
from shadowmmu.exhaustive import check_rule, check_rule_loop
from shadowmmu.frontend.viewdata import rule_record
from shadowmmu.rules import QUADRANT_RULES, Rule

from .conftest import run_node

PAGES = 1 << 20
PD, PT = PG_LEVEL_2M, PG_LEVEL_4K


def _planted(name: str, fn) -> Rule:
    # "special" roots: the rule derives the PD quadrant from the PDPTE index itself;
    # fn uses only operators numpy broadcasts, like the rules of QUADRANT_RULES
    return Rule(name, name, name, "planted by this test", "wrong", "special",
                frozenset({PT, PD}), False, fn)


PLANTED = {
    # quadrant = index + 1: wrong at both levels on every page, so at 0x00000000 both
    "both-off": _planted("both-off", lambda level, i, va: (i + 1) % (1 << level)),
    # PD quadrants 2 and 3 swapped (wrong from 0x80000000),
    # PT by halves (wrong first at 0x00200000): the PT counterexample comes first
    "pt-then-pd": _planted("pt-then-pd", lambda level, i, va:
                           i ^ (i >> 1) if level == PD else (i >= 256) * 1),
    # PD quadrant 3 given as 0, PT right: wrong from 0xC0000000 at the PD only
    "pd-late": _planted("pd-late", lambda level, i, va:
                        i % 3 if level == PD else i & 1),
}
#: By hand: (va, level, expected, got) of the first counterexample, wrong PD pages, wrong PT pages.
WANT = {
    "both-off": ((0x00000000, PD, 0, 1), PAGES, PAGES),
    "pt-then-pd": ((0x00200000, PT, 1, 0), PAGES // 2, PAGES // 2),
    "pd-late": ((0xC0000000, PD, 3, 0), PAGES // 4, 0),
    "halves": ((0x00200000, PT, 1, 0), 0, PAGES // 2),
}


def _rule(name: str) -> Rule:
    return PLANTED.get(name) or QUADRANT_RULES[name]


def test_every_wrong_rule_is_covered():
    assert set(WANT) == set(PLANTED) | {n for n, r in QUADRANT_RULES.items() if not r.correct}


@pytest.fixture(scope="module")
def js_checks(node, js_dir) -> dict:
    tables = json.loads((js_dir / "tables.json").read_text())
    for name, rule in PLANTED.items():
        tables["rules"][name] = rule_record(rule)
    tables["rule_order"] = list(WANT)
    (js_dir / "tables-planted.json").write_text(json.dumps(tables))
    run_node(node, js_dir / "model.mjs", js_dir / "tables-planted.json", "check", js_dir / "none",
             js_dir / "planted.json")
    return json.loads((js_dir / "planted.json").read_text())["results"]


@pytest.mark.parametrize("name", list(WANT))
def test_the_three_checkers_name_the_same_first_counterexample(name, js_checks):
    first, wrong_pd, wrong_pt = WANT[name]
    js = js_checks[name]
    checkers = {
        "numpy": check_rule(_rule(name)),
        "loop": check_rule_loop(_rule(name)),
    }
    for how, got in checkers.items():
        c = got.first_counterexample
        assert (c.va, c.level, c.expected, c.got) == first, how
        assert (got.pages, got.wrong_pd, got.wrong_pt) == (PAGES, wrong_pd, wrong_pt), how
    f = js["first"]
    assert (f["va"], {"pd": PD, "pt": PT}[f["level"]], f["expected"], f["got"]) == first, "model.js"
    assert (js["pages"], js["wrongPd"], js["wrongPt"]) == (PAGES, wrong_pd, wrong_pt), "model.js"
