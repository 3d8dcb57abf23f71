"""Fuzz the ipywidgets explorers' Python callbacks (notebook 06), headless.

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
from shadowmmu.widgets import page_fault_explorer

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


def fault_control(ex, kind, arg):
    if kind == "write":
        ex.write.value = arg
    elif kind == "process":
        ex.process.value = arg
        assert ex.state.mmu.cr3 == ex.state.cr3s[arg]
    elif kind == "reset":
        ex.reset.click()
    elif kind == "step":
        ex.step.value = min(arg, ex.step.max)
        assert ex.step.value == min(arg, ex.step.max)
    elif kind == "prev":
        ex.prev.click()
    else:
        ex.next.click()
    assert ex.state.result.va == ex.state.va


@budget(4)
@given(address_steps([st.booleans().map(lambda b: ("write", b)),
                      st.integers(0, 1).map(lambda i: ("process", i)),
                      st.just(("reset", None)), st.just(("prev", None)), st.just(("next", None)),
                      st.integers(0, 40).map(lambda i: ("step", i))]))
def test_page_fault_explorer(fuzz_inputs, steps):
    run_address_steps(page_fault_explorer(), steps, fuzz_inputs, "widgets: page fault",
                      fault_control)



