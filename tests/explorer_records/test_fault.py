"""Notebook 06's fault records against the simulator, independently of how the record is built.

Oracles: the gpa or #PF of ShadowMMU.access() on its own fresh small guest (the same
setup redone in small_oracle.py, not the record's), the legacy pre-6.0 quadrant formula of
shadowmmu.rules for every root and level-1 quadrant the record names, Guest.walk()
for the guest PT gfn, and len(mmu.shadow_pages()) before and after the access for the
page counts. check() is the whole comparison; a planted wrong record must fail it.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowmmu.frontend.fault_explorer import DEFAULT_ADDRESSES, FaultExplorer, default_space, page_fault_explorer
from shadowmmu.role import PageRole
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.sim.events import ShadowPageZapped
from shadowmmu.states.fault import fault_record
from shadowmmu.states.space import canonical_json
from shadowmmu.states.trees import apply_event

from explorer_records.small_oracle import simulator_run

LEGACY = QUADRANT_RULES["legacy"]
SPACE = default_space()


def oracle(inputs):
    return simulator_run(inputs["va"], inputs["write"], inputs["process"], inputs["before"])


def check(record, inputs):
    """Every number of the record that an oracle can say, against the oracle."""
    gpa, fault, before, after, pt_gfn = oracle(inputs)
    va, steps = inputs["va"], record["steps"]
    assert record["gpa"] == gpa and record["fault"] == fault
    assert steps[-1]["gpa"] == gpa and steps[-1]["fault"] == fault
    assert steps[0]["shadow_pages"] == before and steps[-1]["shadow_pages"] == after
    assert steps[0]["kind"] == "start" and steps[0]["gpa"] is None
    leaf = [n for n, s in enumerate(steps) if s["kind"] == "leaf"]
    for n, s in enumerate(steps[:-1]):   # data-gpa only once the leaf is installed
        assert (s["gpa"] is not None) == bool(leaf and n >= leaf[0]), (n, s["kind"])
    answers = [s["predict"]["answer"] for s in steps if "predict" in s]
    assert answers[0] == LEGACY.pd_quadrant(va)          # the root: pae_root[VA bits 31:30]
    l1 = [s for s in steps if s["kind"] in ("created", "found")]
    if l1:
        assert answers[1:] == [LEGACY.pt_quadrant(va)] and len(l1) == 1
        assert f"gfn 0x{pt_gfn:X}" in l1[0]["text"]
    else:
        assert len(answers) == 1
    pages = record["trees"][steps[-1]["tree"]]["shadow"]["pages"]
    for p in pages:
        if p["level"] == 1 and not p["direct"] and pt_gfn == p["gfn"] and gpa is not None:
            assert p["quadrant"] == LEGACY.pt_quadrant(va)


@pytest.mark.parametrize("inputs", SPACE, ids=lambda i: f"{i['va']:08X}-{int(i['write'])}-{i['process']}-{i['before']}")
def test_every_default_record_agrees_with_the_simulator(inputs):
    check(fault_record(inputs), inputs)


def test_a_planted_wrong_record_fails_the_check():
    inputs = {"va": 0xDEADBEEF, "write": False, "process": 1, "before": "after-p1"}
    good = fault_record(inputs)
    check(good, inputs)
    plants = []
    for path, value in ((("gpa",), 0x123EEE), (("steps", 1, "predict", "answer"), 2),
                        (("steps", -1, "shadow_pages"), 8), (("steps", 8, "text"), "found gfn 0xE03 L1 q1")):
        bad = copy.deepcopy(good)
        obj = bad
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
        plants.append(bad)
    for bad in plants:
        with pytest.raises(AssertionError):
            check(bad, inputs)


def test_deadbeef_by_hand():
    # 0xDEADBEEF = 11 011110101 011011011 111011101111: pae_root[3], PAE PDE 245, PAE PTE 219;
    # small_guest() maps its page at gpa 0x00123000.
    r = fault_record({"va": 0xDEADBEEF, "write": False, "process": 0, "before": "fresh"})
    assert [s["kind"] for s in r["steps"]] == [
        "start", "walk", "walk", "exit", "guest-walk", "guest-walk", "walk", "walk", "created",
        "link", "walk", "leaf", "done"]
    assert [s["title"] for s in r["steps"] if s["kind"] == "walk"] == [
        "pae_root[3]", "PAE PDE 245", "pae_root[3]", "PAE PDE 245", "PAE PTE 219"]
    assert r["gpa"] == 0x00123EEF and r["outcome"] == "mapped"
    assert [s["shadow_pages"] for s in r["steps"]] == [4] * 8 + [5] * 5


def test_the_second_process_finds_the_shared_kernel_page():
    r = fault_record({"va": 0xDEADBEEF, "write": False, "process": 1, "before": "after-p1"})
    kinds = [s["kind"] for s in r["steps"]]
    assert "found" in kinds and "created" not in kinds
    # 4 PDs of process 1 + the shared L1 page + 4 PDs of process 2; the access adds none
    assert r["steps"][0]["shadow_pages"] == r["steps"][-1]["shadow_pages"] == 9


def test_a_guest_fault_is_injected_not_mapped():
    r = fault_record({"va": 0x00000000, "write": False, "process": 0, "before": "fresh"})
    assert r["outcome"] == "guest-fault" and r["gpa"] is None
    assert r["steps"][-1]["fault"] == "#PF at 0x00000000 (read, supervisor): PTE not present"
    assert [s["kind"] for s in r["steps"]][-2:] == ["inject", "done"]


def test_precomputed_states_equal_a_live_compute_byte_for_byte():
    x = page_fault_explorer()
    assert len(x.states) == len(DEFAULT_ADDRESSES) * 8
    through_json = json.loads(json.dumps(x.states))   # what the page receives
    for inputs in SPACE:
        key = f"{inputs['va']}|{int(inputs['write'])}|{inputs['process']}|{inputs['before']}"
        live = canonical_json(fault_record(dict(inputs)))
        assert canonical_json(x.states[key]) == live == canonical_json(through_json[key])


def test_bad_inputs_are_refused_with_what_is_valid():
    x = page_fault_explorer(space=[])
    for bad, words in (({"va": 0x100000000}, "0x00000000..0xFFFFFFFF"), ({"va": "zz"}, "not a number"),
                       ({"va": 1, "write": 1}, "write 1 must be True or False"),
                       ({"va": 1, "process": 2}, "process 2 must be 0 or 1"),
                       ({"va": 1, "before": "later"}, "before 'later' must be one of fresh, after-p1")):
        x.request = {"id": "js-1", "inputs": bad}
        assert words in x.answer["error"], (bad, x.answer)
    assert x.inputs["va"] == 0xDEADBEEF


def test_a_kernel_request_for_another_address_is_computed():
    x = page_fault_explorer(space=[])
    x.request = {"id": "js-2", "inputs": {"va": 0xDEAD0123, "write": True, "process": 0, "before": "fresh"}}
    assert x.answer["record"]["gpa"] == oracle(x.answer["inputs"])[0] == 0x00124123


def test_the_tree_refuses_an_event_it_cannot_follow():
    r = fault_record({"va": 0xDEADBEEF, "write": False, "process": 0, "before": "fresh"})
    tree = r["trees"][-1]
    page = tree["shadow"]["pages"][-1]
    ev = ShadowPageZapped(page["gfn"], PageRole(level=1, has_4_byte_gpte=True, quadrant=1), "test")
    with pytest.raises(ValueError, match="cannot follow a ShadowPageZapped"):
        apply_event(tree, ev)


def test_the_explorer_class_names_its_parts():
    assert FaultExplorer.key_fields == ("va", "write", "process", "before")
    assert FaultExplorer.draw_function == "drawFault"


@settings(max_examples=60, deadline=None)
@given(va=st.one_of(st.integers(0, 0xFFFFFFFF), st.sampled_from(DEFAULT_ADDRESSES).map(lambda v: v ^ 0x123)),
       write=st.booleans(), process=st.sampled_from((0, 1)), before=st.sampled_from(("fresh", "after-p1")))
def test_any_address_agrees_with_the_simulator(va, write, process, before):
    # fault_record() itself refuses a record whose moved tree differs from the MMU's at the end
    inputs = {"va": va, "write": write, "process": process, "before": before}
    check(fault_record(inputs), inputs)


@settings(max_examples=60, deadline=None)
@given(bad=st.one_of(st.text(max_size=12), st.floats(allow_nan=True), st.integers(-5, -1),
                     st.integers(0x100000000, 2**40), st.none(), st.lists(st.integers(), max_size=2)))
def test_any_bad_va_gets_a_message_naming_it(bad):
    x = page_fault_explorer(space=[])
    x.request = {"id": "js-f", "inputs": {"va": bad, "write": False, "process": 0, "before": "fresh"}}
    if "error" in x.answer:
        assert "address" in x.answer["error"] or "va" in x.answer["error"], x.answer
        assert x.inputs["va"] == 0xDEADBEEF
    else:                                   # a string that parses: the record is that address's
        assert isinstance(bad, str) and x.answer["record"]["inputs"]["va"] == x.inputs["va"]


def test_an_identical_leaf_is_not_rewritten_but_spurious():
    """Issue 20 point 8: process 2 faulting 0xDEADBEEF after process 1 finds PAE PTE 219 of the
    shared level-1 page already holding the value mmu_set_spte() computes; KVM writes nothing
    and returns RET_PF_SPURIOUS (mmu.c at 56ea38e436ea, v6.10)."""
    rec = fault_record({"va": 0xDEADBEEF, "write": False, "process": 1, "before": "after-p1"})
    leaf = [s for s in rec["steps"] if s["kind"] == "leaf"]
    assert len(leaf) == 1 and "RET_PF_SPURIOUS" in leaf[0]["text"] and "writes nothing" in leaf[0]["text"]
    fresh = fault_record({"va": 0xDEADBEEF, "write": False, "process": 1, "before": "fresh"})
    assert "RET_PF_SPURIOUS" not in " ".join(s["text"] for s in fresh["steps"])


def test_a_clean_writable_gpte_is_flagged_at_its_leaf():
    """Issue 20 point 16: 0x08048000's guest PTE 0x00201027 is writable (bit 1) but clean
    (bit 6 clear), so a read installs a read-only leaf; the leaf step says why."""
    rec = fault_record({"va": 0x08048000, "write": False, "process": 0, "before": "fresh"})
    leaf = next(s for s in rec["steps"] if s["kind"] == "leaf")
    assert "(P U A)" in leaf["text"] and "0x00201027" in leaf["text"] and "dirty bit" in leaf["text"]
    written = fault_record({"va": 0x08048000, "write": True, "process": 0, "before": "fresh"})
    assert "dirty bit" not in next(s for s in written["steps"] if s["kind"] == "leaf")["text"]
