"""Fuzz the ipywidgets explorers' Python callbacks (notebooks 07, 08, 10), headless.

Each example builds an explorer with its public builder (shadowmmu.widgets)
and sets its controls to a list of fuzzed values, as a reader clicking and
typing would. (The in-page explorers of 02-05 and 09 are fuzzed from Python
in test_fuzz_frontend.py.) After every step:

* no callback raised: the explorer's ``debug`` area is still empty;
* a refused value shows an error (``smmu-error``) in ``status`` and the last
  valid state stays: the same address / result, the same view strings;
* an accepted value is the number typed, not a clamped one.

The expected outcome of a typed address comes from the spelling oracle of
test_fuzz_address.py (a number spelled by construction), not from the parser.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import ANY_TEXT, NEAR_MISS, VA_MAX, budget, digits_spell, spelled_numbers
from shadowmmu import QUADRANT_RULES
from shadowmmu.widgets import (
    guest_write_explorer,
    real_guest_explorer,
    whole_guest_explorer,
)

ERROR = '<div class="smmu-error" role="alert">'
TYPED = st.one_of(spelled_numbers(), st.one_of(ANY_TEXT, NEAR_MISS).map(lambda t: (None, t)))


def views_of(ex) -> tuple[str, ...]:
    """Every view string an explorer shows (the parts its docstring names)."""
    names = ("view", "trace", "check", "census", "overhead")
    return tuple(getattr(ex, n).value for n in names if hasattr(ex, n))


def type_address(ex, n, text):
    """Type text into the address box; check refusal or acceptance against the oracle."""
    if text == ex.address.value:
        return  # no change event: nothing to judge
    before_va, before = ex.state.va, views_of(ex)
    ex.address.value = text
    assert ex.debug.value == "", ex.debug.value
    refused = ERROR in ex.status.value
    if n is not None:
        assert refused == (n > VA_MAX), (text, ex.status.value)
    if refused:
        assert ex.state.va == before_va and views_of(ex) == before, text
        return
    assert ex.status.value == ""
    va = ex.state.va
    assert va == n if n is not None else digits_spell(text, va), (text, va)


def address_steps(extra=()):
    return st.lists(st.one_of(TYPED.map(lambda c: ("type", c)),
                              st.integers(0, 7).map(lambda i: ("preset", i)), *extra),
                    min_size=1, max_size=12)


def run_address_steps(ex, steps, fuzz_inputs, target, other=None):
    for kind, arg in steps:
        fuzz_inputs.add(target)
        if kind == "type":
            type_address(ex, *arg)
        elif kind == "preset":
            button = ex.presets[arg % len(ex.presets)]
            button.click()
            assert ex.address.value == button.description
            assert ex.state.va == int(button.description, 16) and ex.status.value == ""
        else:
            other(ex, kind, arg)
        assert ex.debug.value == "", ex.debug.value


def pick_snapshot(ex, _kind, index):
    names = [v for _, v in ex.snapshot.options] if isinstance(ex.snapshot.options[0], tuple) \
        else list(ex.snapshot.options)
    ex.snapshot.value = names[index % len(names)]
    assert ex.state.result.va == ex.state.va


@budget(4)
@given(address_steps([st.integers(0, 5).map(lambda i: ("snapshot", i))]))
def test_real_guest_explorer(fuzz_inputs, steps):
    run_address_steps(real_guest_explorer(), steps, fuzz_inputs, "widgets: real guest",
                      pick_snapshot)


# -- the write lab: a byte offset typed, sizes and tables clicked ------------------------

@st.composite
def spelled_offsets(draw):
    """(n, text): an offset as a reader would type it (decimal or 0x hex; maybe negative)."""
    n = draw(st.one_of(st.integers(0, 4095), st.integers(4096, 1 << 20), st.integers(-9, -1),
                       st.sampled_from([0, 4088, 4092, 4094, 4095, 4096])))
    text = draw(st.sampled_from([str(n), hex(n), f" {n} ", hex(n).upper().replace("X", "x")]))
    return n, text


@budget(2)
@given(st.lists(st.one_of(
    st.one_of(spelled_offsets(), st.one_of(ANY_TEXT, NEAR_MISS).map(lambda t: (None, t))).map(
        lambda c: ("offset", c)),
    st.sampled_from([1, 2, 4, 8]).map(lambda s: ("size", s)),
    st.sampled_from(["pt", "pd"]).map(lambda t: ("table", t)),
    st.booleans().map(lambda b: ("unsync", b))), min_size=1, max_size=12))
def test_guest_write_explorer(fuzz_inputs, steps):
    ex = guest_write_explorer()
    for kind, arg in steps:
        fuzz_inputs.add("widgets: guest write")
        widget = getattr(ex, kind)
        value = arg[1] if kind == "offset" else arg
        if widget.value == value:
            continue
        before, before_view = ex.state.result, ex.view.value
        widget.value = value
        assert ex.debug.value == "", ex.debug.value
        text = ex.offset.value
        if ERROR in ex.status.value:  # refused: the last good result and view stay
            assert ex.state.result is before and ex.view.value == before_view
            if kind == "offset" and arg[0] is not None:
                assert not 0 <= arg[0] <= 4096 - ex.size.value, (text, ex.status.value)
            continue
        r = ex.state.result
        assert ex.status.value == "" and r is not before
        assert (r.table, r.size, r.unsync) == (ex.table.value, ex.size.value, ex.unsync.value)
        assert 0 <= r.offset <= 4096 - r.size  # accepted, never clamped into range:
        typed = arg[0] if kind == "offset" else None
        assert r.offset == typed if typed is not None else digits_spell(text, r.offset), text


# -- the whole guest: every control is a choice, each change re-runs the guest ---------

@budget(40)
@given(st.lists(st.one_of(
    st.integers(1, 8).map(lambda p: ("processes", p)),
    st.sampled_from([16, 32, 64]).map(lambda m: ("mem", m)),
    st.booleans().map(lambda b: ("large", b)),
    st.sampled_from(list(QUADRANT_RULES)).map(lambda r: ("rule", r))), min_size=1, max_size=5))
def test_whole_guest_explorer(fuzz_inputs, steps):
    ex = whole_guest_explorer(processes=1, mem_mib=16)
    for kind, value in steps:
        fuzz_inputs.add("widgets: whole guest")
        getattr(ex, kind).value = value
        assert getattr(ex, kind).value == value and ex.debug.value == "", ex.debug.value
        verdict = "smmu-mismatch" in ex.check.value
        assert verdict == (not QUADRANT_RULES[ex.rule.value].correct), ex.rule.value
