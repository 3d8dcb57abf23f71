"""The vectorised evaluation against the scalar one, and the pure-Python path against numpy's."""

import json
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowmmu import QUADRANT_RULES, decompose
from shadowmmu.address import field_values
from shadowmmu.exhaustive import Counterexample, check_all_rules, check_rule, check_rule_loop, rule_quadrants

REPO = Path(__file__).resolve().parents[2]


@given(st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=50))
@settings(max_examples=50)
def test_field_values_of_an_array_match_decompose(vas):
    arrays = field_values(np.array(vas, dtype=np.uint32))
    for i, va in enumerate(vas):
        d = decompose(va)
        for name, column in arrays.items():
            assert int(column[i]) == getattr(d, name), name


@pytest.mark.parametrize("name", sorted(QUADRANT_RULES))
def test_loop_and_vector_checks_agree_on_a_slice(name):
    vas = np.arange(0, 2**20, 61, dtype=np.uint32) << np.uint32(12)
    assert check_rule(name, vas) == check_rule_loop(name, vas)


def test_loop_check_of_the_misconception_over_all_pages():
    assert check_rule_loop("halves") == check_rule("halves")


def test_check_all_rules_covers_every_rule():
    checks = check_all_rules()
    assert set(checks) == set(QUADRANT_RULES)
    assert {n for n, c in checks.items() if not c.agrees} == {"halves"}
    assert {c.pages for c in checks.values()} == {2**20}


# ---- the pure-Python path (numpy absent) against the numpy path

def _planted_rule():
    """mainline, wrong on exactly one page's PT quadrant: works on ints and arrays alike."""
    from dataclasses import replace
    mainline = QUADRANT_RULES["mainline"]
    return replace(mainline, name="planted",
                   fn=lambda level, i, va: (i & 1) ^ ((va == 0x12345000) * (level == 1)))


@pytest.mark.parametrize("name", sorted(QUADRANT_RULES))
def test_pure_and_numpy_paths_agree_on_a_slice(name):
    vas = list(range(0, 2**32, 4099 << 12))
    assert check_rule(name, vas, numpy=False) == check_rule(name, vas, numpy=True)
    pure, fast = rule_quadrants(name, vas, numpy=False), rule_quadrants(name, vas, numpy=True)
    assert [list(map(int, a)) for a in fast] == list(pure)


def test_both_paths_catch_a_rule_wrong_on_one_page():
    rule = _planted_rule()
    want = Counterexample(0x12345000, 1, 1, 0)   # 0x12345000 >> 21 = 145: bit 21 is 1
    for numpy in (True, False):
        got = check_rule(rule, numpy=numpy)
        assert (got.wrong_pd, got.wrong_pt, got.first_counterexample) == (0, 1, want), numpy


def test_without_numpy_every_rule_gets_the_same_verdicts_on_all_pages():
    """A fresh interpreter where numpy cannot be imported takes the pure path by itself."""
    script = textwrap.dedent("""
        import json, sys
        sys.modules["numpy"] = None            # import numpy now raises ImportError
        from dataclasses import asdict
        from shadowmmu import exhaustive
        assert not exhaustive.NUMPY
        print(json.dumps({n: asdict(c) for n, c in exhaustive.check_all_rules().items()}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr
    pure = json.loads(out.stdout)
    fast = {n: asdict(c) for n, c in check_all_rules(numpy=True).items()}
    assert pure == fast
    assert {n for n, c in pure.items() if c["wrong_pd"] or c["wrong_pt"]} == {"halves"}
    assert {c["pages"] for c in pure.values()} == {2**20}
