"""Fuzz notebook 08's in-page explorer from the kernel side: requests with any inputs.

A page (or a reader's ``x.show()``) may send anything. Each request must be answered
either with the record of valid inputs (its census total the simulator's, run here
through ``run_whole_guest``) or with one message naming the bad input, and a refused
request changes nothing the explorer shows. Expected validity is decided here from
the documented ranges (a rule name of QUADRANT_RULES, a bool, a whole number 1..8),
not by the code under test.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import count

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import ANY_TEXT, budget
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.linux import run_whole_guest

EXPLORER = whole_guest_explorer(space=[])
SERIAL = count(1)  # each request new, so the explorer sees a change every time
VALUES = st.one_of(st.sampled_from(list(QUADRANT_RULES)), ANY_TEXT, st.booleans(),
                   st.integers(-3, 12), st.floats(allow_nan=False, width=16), st.none())


@lru_cache(maxsize=None)
def total(rule, large, processes):
    return run_whole_guest(processes, 64, large, rule)[0].total_shadow_pages


def valid(inputs) -> bool:
    return (set(inputs) <= {"rule", "large", "processes"}
            and inputs.get("rule", "mainline") in QUADRANT_RULES
            and isinstance(inputs.get("large", True), bool)
            and type(inputs.get("processes", 3)) is int and 1 <= inputs.get("processes", 3) <= 8)


@budget(4)
@given(st.one_of(
    st.fixed_dictionaries({}, optional={"rule": st.sampled_from(list(QUADRANT_RULES)),
                                        "large": st.booleans(), "processes": st.integers(0, 9)}),
    st.dictionaries(st.sampled_from(["rule", "large", "processes", "mem"]), VALUES, max_size=4)))
def test_any_request_is_answered_or_named(fuzz_inputs, inputs):
    fuzz_inputs.add("frontend: whole-guest request")
    before = dict(EXPLORER.inputs)
    EXPLORER.request = {"id": f"js-{next(SERIAL)}", "inputs": inputs}
    a = EXPLORER.answer
    if valid(inputs):
        want = {"rule": "mainline", "large": True, "processes": 3, **inputs}
        assert "error" not in a, a
        assert a["inputs"] == want and EXPLORER.inputs == want
        assert a["record"]["census"]["total"] == total(want["rule"], want["large"], want["processes"])
    else:
        assert set(a) == {"id", "error"}, a
        assert any(name in a["error"] for name in ("rule", "large", "processes", "mem")), a["error"]
        assert EXPLORER.inputs == before
