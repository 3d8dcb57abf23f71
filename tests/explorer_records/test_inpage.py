"""states.inpage: what the page's own Python runs gives what the kernel's widget gives."""

import json

import pytest

from shadowmmu.frontend.fault_explorer import FaultExplorer
from shadowmmu.frontend.real_guest_explorer import Cr3SwitchExplorer, RealGuestExplorer
from shadowmmu.frontend.whole_guest_explorer import WholeGuestExplorer
from shadowmmu.frontend.writes_explorer import WriteExplorer
from shadowmmu.states.fault import fault_record, normalise_inputs
from shadowmmu.states.inpage import answer_json, function_name, resolve
from shadowmmu.states.space import canonical_json

EXPLORERS = (FaultExplorer, WriteExplorer, WholeGuestExplorer, RealGuestExplorer, Cr3SwitchExplorer)


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_every_simulator_explorer_names_its_states_functions(cls):
    spec = cls.python_spec()
    assert resolve(spec["check"]) is cls.check_inputs and resolve(spec["record"]) is cls.make_record
    assert spec["check"].startswith("shadowmmu.states.") and spec["record"].startswith("shadowmmu.states.")


def test_the_answer_is_the_record_the_kernel_computes():
    req = {"key_fields": list(FaultExplorer.key_fields), "check": function_name(normalise_inputs),
           "record": function_name(fault_record), "inputs": {"va": "0x12345678", "write": True}}
    out = json.loads(answer_json(json.dumps(req)))
    inputs = {"va": 0x12345678, "write": True, "process": 0, "before": "fresh"}
    assert out["inputs"] == inputs
    assert out["key"] == f"{0x12345678}|1|0|fresh"
    assert canonical_json(out["record"]) == canonical_json(fault_record(inputs))


def test_a_bad_input_is_named():
    req = {"key_fields": ["va"], "check": "shadowmmu.states.fault:normalise_inputs",
           "record": "shadowmmu.states.fault:fault_record", "inputs": {"va": "0x1_0000_0000"}}
    err = json.loads(answer_json(json.dumps(req)))["error"]
    assert "0x1_0000_0000" in err or "0x100000000" in err


@pytest.mark.parametrize("name", ["os:system", "shadowmmu.sim.mmu:ShadowMMU", "shadowmmu.states.fault:nope",
                                  "shadowmmu.states.fault:__import__('os')"])
def test_only_functions_of_states_can_be_named(name):
    with pytest.raises(ValueError):
        resolve(name)


def test_exercise_sets_are_make_exercise_and_checked():
    from shadowmmu.exercises import make_exercise
    from shadowmmu.frontend.explorers import exercise
    from shadowmmu.states.exercises import exercise_inputs, exercise_set
    got = exercise_set({"seed": 7, "count": 3})["exercises"]
    assert [(r["seed"], r["number"], r["question"]) for r in got] == [
        (7, n, make_exercise(7, n).question) for n in range(3)]
    for bad in ({"seed": -1}, {"seed": 2**32}, {"seed": "x"}, {"seed": True}, {"seed": 1, "count": 0}):
        with pytest.raises(ValueError, match="must be a whole number"):
            exercise_inputs(bad)
    x = exercise(seed=2024, count=4, number=2)
    x.seed = 7                      # what the page sends a kernel
    assert x.exercises == exercise_set({"seed": 7, "count": 4})["exercises"] and x.number == 0
    assert x.address == x.exercises[0]["va"]
