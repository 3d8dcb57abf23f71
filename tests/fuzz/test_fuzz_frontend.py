"""Fuzz the Python side of the in-page explorers (shadowmmu.frontend.explorers).

A kernel sets an explorer's ``address``, ``rule`` or (exercises) ``number``
trait, as a notebook cell or a jslink would. Each example builds one explorer
with its public builder and sets those traits to a list of fuzzed values.
After every step:

* a refused value raises ``TraitError`` whose message names the input and
  the valid range (or the valid names), and the explorer keeps what it had;
* an accepted value is the value given, never a clamped or truncated one,
  and ``view()`` (what draw.js is handed) shows it.

The expected outcome of a typed address comes from the spelling oracle of
fuzz_support (a number spelled by construction, or text judged by its own
digits), not from the parser; rule names and exercise counts are the
builders' documented ones.
"""

from __future__ import annotations

import pytest
import traitlets
from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import ANY_TEXT, NEAR_MISS, RANGE_TEXT, VA_MAX, budget, digits_spell, spelled_numbers
from shadowmmu import QUADRANT_RULES
from shadowmmu.frontend.explorers import address_anatomy, exercise, pd_split, pt_split, rule_explorer

BUILDERS = {"address-anatomy": address_anatomy, "pd-split": pd_split, "pt-split": pt_split,
            "rule": rule_explorer, "exercise": exercise}
COUNT = 12  # exercise()'s default number of exercises
ADDRESSES = st.one_of(spelled_numbers(), st.one_of(ANY_TEXT, NEAR_MISS).map(lambda t: (None, t)),
                      st.one_of(st.integers(-(1 << 40), 1 << 40), st.floats(), st.booleans(),
                                st.none()).map(lambda v: ("value", v)))
RULES = st.one_of(st.sampled_from(list(QUADRANT_RULES)), ANY_TEXT,
                  st.sampled_from(list(QUADRANT_RULES)).map(lambda r: f" {r.upper()} "),
                  st.integers(), st.none())
NUMBERS = st.one_of(st.integers(-3, COUNT + 3), st.integers(-(1 << 40), 1 << 40), st.booleans(),
                    st.floats(-2, COUNT + 2), st.text(max_size=4))


def set_address(x, how, value) -> None:
    before = x.address
    try:
        x.address = value
    except traitlets.TraitError as err:
        message = str(err)
        assert message.startswith("address ") and RANGE_TEXT in message, message
        assert x.address == before, "a refused address moved the explorer"
        if how is not None and how != "value":
            assert how > VA_MAX, f"{value!r} (= {how:#x}) refused: {message}"
        if how == "value":
            assert not (type(value) is int and 0 <= value <= VA_MAX), message
        return
    got = x.address
    assert 0 <= got <= VA_MAX and x.view()["va"] == got
    if how == "value":
        assert type(value) is int and got == value, (value, got)
    elif how is not None:
        assert how <= VA_MAX and got == how, f"{value!r} (= {how:#x}) gave {got:#x}"
    else:
        assert digits_spell(value, got), (value, got)


def set_rule(x, name) -> None:
    before = x.rule
    try:
        x.rule = name
    except traitlets.TraitError as err:
        assert name not in QUADRANT_RULES, f"{name!r} refused: {err}"
        assert x.rule == before
        if isinstance(name, str):  # a string of the wrong name: the message lists the good ones
            assert repr(name) in str(err) and all(r in str(err) for r in QUADRANT_RULES), str(err)
        return
    assert name in QUADRANT_RULES and x.rule == name
    if x.kind == "rule":
        assert x.view()["rule"] == name


def set_number(x, n) -> None:
    before = x.number, x.view()
    try:
        x.number = n
    except traitlets.TraitError as err:
        assert not (type(n) is int and 0 <= n < COUNT), f"{n!r} refused: {err}"
        assert f"exercise number {n!r} " in str(err) and f"0..{COUNT - 1}" in str(err), str(err)
        assert (x.number, x.view()) == before
        return
    assert type(n) is int and 0 <= n < COUNT and x.number == n  # taken as given, never clamped
    assert x.view()["exercise"]["number"] == n


STEPS = st.lists(st.one_of(ADDRESSES.map(lambda c: ("address", c)), RULES.map(lambda r: ("rule", r)),
                           NUMBERS.map(lambda n: ("number", n))), min_size=1, max_size=12)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@budget(5)
@given(steps=STEPS)
def test_in_page_explorer_takes_the_value_or_refuses_clearly(fuzz_inputs, kind, steps):
    x = BUILDERS[kind]() if kind != "exercise" else exercise(seed=3, count=COUNT)
    for what, arg in steps:
        fuzz_inputs.add(f"frontend: {kind}")
        if what == "address":
            set_address(x, *arg)
        elif what == "rule":
            set_rule(x, arg)
        elif kind == "exercise":
            set_number(x, arg)
        assert x.kind == kind
