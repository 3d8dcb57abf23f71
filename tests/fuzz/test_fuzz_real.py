"""Fuzz notebook 10's in-page explorers from the kernel side: requests as a page could send them.

Each example sends a list of fuzzed requests ({snapshot, va, host_large_pages}
for the real-guest explorer; {first, host_large_pages, rule} for the CR3
switch). After every one:

* a refused request is answered with an error naming the input, and the
  explorer keeps the inputs it showed (no traceback, nothing clamped);
* an accepted one is answered with the record of exactly those inputs: the
  typed address's value (the spelling oracle of fuzz_support), and the gpa
  ShadowMMU gives on a fresh guest (tests/frontend/real_oracle.py).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from frontend.real_oracle import shadow_gpa
from fuzz_support import ANY_TEXT, NEAR_MISS, VA_MAX, budget, digits_spell, spelled_numbers
from shadowmmu import QUADRANT_RULES
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer

NAMES = ("kernel-boot", "user-1", "user-2")
SNAPSHOT = st.one_of(st.sampled_from(NAMES), ANY_TEXT, st.integers(), st.none())
FLAG = st.one_of(st.booleans(), st.integers(0, 1), st.text(max_size=3))
VA = st.one_of(spelled_numbers(), st.one_of(ANY_TEXT, NEAR_MISS).map(lambda t: (None, t)),
               st.integers(-(1 << 40), 1 << 40).map(lambda n: (n, n)))

_PROBE = real_guest_explorer(space=[])
_SWITCH = cr3_switch_explorer(space=[])


@budget(4)
@given(st.lists(st.tuples(SNAPSHOT, VA, FLAG), min_size=1, max_size=4))
def test_probe_requests(fuzz_inputs, steps):
    x = _PROBE
    for n, (snapshot, (want, typed), large) in enumerate(steps):
        fuzz_inputs.add("frontend: real guest")
        before = dict(x.inputs)
        x.request = {"id": f"f{n}", "inputs": {"snapshot": snapshot, "va": typed,
                                               "host_large_pages": large}}
        a = x.answer
        assert a["id"] == f"f{n}"
        good_va = (0 <= typed <= VA_MAX) if isinstance(typed, int) else \
            (False if want is not None and want > VA_MAX else None)  # None: text, judged below
        good = snapshot in NAMES and isinstance(large, bool) and good_va
        if "error" in a:
            assert x.inputs == before and "Traceback" not in a["error"]
            assert good is not True, a["error"]
            continue
        assert good is not False, f"accepted {snapshot!r} {typed!r} {large!r}"
        rec = a["record"]
        assert rec["snapshot"] == snapshot and rec["host_large_pages"] is large
        assert rec["va"] == typed if isinstance(typed, int) else digits_spell(typed, rec["va"])
        assert rec["gpa"] == shadow_gpa(snapshot, rec["va"], large)[0]


@budget(8)
@given(st.lists(st.tuples(st.one_of(st.sampled_from(("user-1", "user-2")), ANY_TEXT), FLAG,
                          st.one_of(st.sampled_from(list(QUADRANT_RULES)), ANY_TEXT)),
                min_size=1, max_size=3))
def test_switch_requests(fuzz_inputs, steps):
    x = _SWITCH
    for n, (first, large, rule) in enumerate(steps):
        fuzz_inputs.add("frontend: cr3 switch")
        before = dict(x.inputs)
        x.request = {"id": f"s{n}", "inputs": {"first": first, "host_large_pages": large,
                                               "rule": rule}}
        a = x.answer
        ok = first in ("user-1", "user-2") and isinstance(large, bool) and rule in QUADRANT_RULES
        assert ("error" not in a) == ok, a
        if not ok:
            assert x.inputs == before
            continue
        assert (a["record"]["first"], a["record"]["rule"]) == (first, rule)
