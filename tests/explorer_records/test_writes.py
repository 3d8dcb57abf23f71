"""Notebook 07's write records (states.writes) against the simulator, run independently.

The oracle (write_oracle.run) drives ShadowMMU itself and compares shadow pages before
and after; the quadrant skip is checked against writes.shadowed_part() and against the
hand formula (PT quadrant = byte >> 11, PD quadrant = byte >> 10); a PDE write against
"PDE k is PAE PDEs 2(k mod 256), +1 in PD quadrant k div 256" (kernel-facts.md's golden
table: k = 32 gives L2 q0 sPTEs 64 and 65).
"""

from __future__ import annotations

import copy

import pytest

from shadowmmu.frontend.writes_explorer import default_space, guest_write_explorer
from shadowmmu.role import PageRole
from shadowmmu.states.space import canonical_json, state_key
from shadowmmu.states.write_inputs import KEY_FIELDS, normalise_inputs
from shadowmmu.states.writes import write_record
from shadowmmu.writes import detect_write_misaligned, shadowed_part

from .write_oracle import hand_quadrant, run

SPACE = default_space()
ONE_STORE = [i for i in SPACE if i["stores"] == 1]


def step_named(record, start: str) -> dict:
    return next(s for s in record["steps"] if s["title"].startswith(start))


def mismatches(record, i) -> list[str]:
    """Where a one-store record disagrees with the independent run (empty: none)."""
    o = run(i["table"], i["offset"], i["size"], i["unsync"])
    after = step_named(record, "after the store")
    bad = []
    if after["zapped"] != o["zapped"]:
        bad.append(f"zapped by the store {after['zapped']} != {o['zapped']}")
    if record["steps"][-1]["zapped"] != o["zapped"] + o["invlpg_dropped"]:
        bad.append(f"zapped in all {record['steps'][-1]['zapped']} != {o['zapped'] + o['invlpg_dropped']}")
    tr = after["state"]["translation"]
    if (tr["before"], tr["shadow"], tr["guest"]) != (o["before"], o["shadow"], o["guest"]):
        bad.append(f"translation {tr} != {o}")
    stale = o["shadow"] is not None and o["shadow"] != o["guest"]
    if bool(after["stale"]) != stale:
        bad.append(f"stale {after['stale']} but the shadow gives {o['shadow']}, the guest {o['guest']}")
    unsynced = sorted(p["id"] for p in after["state"]["pages"] if p["unsync"])
    if unsynced != o["unsynced"]:
        bad.append(f"unsync {unsynced} != {o['unsynced']}")
    gone = [p["id"] for p in after["state"]["pages"] if p["gone"]]
    if sorted(gone) != sorted(o["gone"]):
        bad.append(f"zapped whole {gone} != {o['gone']}")
    return bad


@pytest.mark.parametrize("i", ONE_STORE, ids=lambda i: "{table}-{offset:03X}-{size}-{unsync}".format(**i))
def test_a_record_is_what_the_simulator_did(i):
    assert mismatches(write_record(i), i) == []


def test_a_planted_wrong_record_is_caught():
    i = {"table": "pd", "offset": 0x080, "size": 4, "unsync": True, "stores": 1}
    good = write_record(i)
    for plant in ("zap", "skip-stale", "translation"):
        bad = copy.deepcopy(good)
        after = step_named(bad, "after the store")
        if plant == "zap":
            after["zapped"] = ["L2q1:64", "L2q1:65"]  # the no-quadrant-skip guess
        elif plant == "skip-stale":
            after["stale"] = {"va": 0, "shadow": 0, "guest": 0, "permitted": True}
        else:
            after["state"]["translation"]["shadow"] = 0x100000
        assert mismatches(bad, i), plant


@pytest.mark.parametrize("i", [i for i in ONE_STORE if i["table"] != "freed_pd" and (not i["unsync"] or i["table"] == "pd")],
                         ids=lambda i: "{table}-{offset:03X}-{size}".format(**i))
def test_quadrant_skips_by_two_oracles(i):
    rec = write_record(i)
    after = step_named(rec, "after the store")
    pages = [p["id"] for p in rec["steps"][0]["state"]["pages"]]
    if detect_write_misaligned(i["offset"], i["size"]):
        assert after["skipped"] == [] and after["visited"] == pages  # all zapped whole
        return
    q = hand_quadrant(i["table"], i["offset"])
    level = 1 if i["table"] == "pt" else 2
    by_part = [p for p in pages if not shadowed_part(PageRole(level=level, has_4_byte_gpte=True,
                                                              quadrant=int(p[-1]))).byte_lo
               <= i["offset"] <= shadowed_part(PageRole(level=level, has_4_byte_gpte=True,
                                                        quadrant=int(p[-1]))).byte_hi]
    assert after["skipped"] == by_part == [p for p in pages if p != f"L{level}q{q}"]
    assert after["visited"] == pages


def test_a_pde_write_zaps_two_sptes_in_one_root():
    for k in (32, 300, 768, 1023):
        rec = write_record({"table": "pd", "offset": 4 * k, "size": 4})
        want = [f"L2q{k // 256}:{2 * (k % 256)}", f"L2q{k // 256}:{2 * (k % 256) + 1}"]
        zapping = [s for s in rec["steps"] if s["title"] == f"L2q{k // 256} applies the store"]
        assert zapping and zapping[0]["focus"][1:] == want
        if k == 32:  # the only PDE write_lab() faulted in: present, so zapped
            assert step_named(rec, "after the store")["zapped"] == want


@pytest.mark.parametrize("size", [1, 2, 4])
def test_clearing_a_freed_page_directory_unprotects_all_four_pages(size):
    # By hand: the freed directory keeps its four L2 pages, q0..q3; the process touched
    # 0xC0000000 and 0xC0200000, PD quadrant 3 (bits 31:30), PAE PDEs 0 and 1 (bits 29:21).
    rec = write_record({"table": "freed_pd", "offset": 0x000, "size": size})
    assert rec["action"] == "unprotect" and rec["page_table_write"] is False
    titles = [s["title"] for s in rec["steps"]]
    assert titles[1:7] == ["the store: not a page-table write: unprotect and retry"] + [
        f"L2q{q} zapped whole (kvm_mmu_unprotect_page())" for q in range(4)] + [
        "the guest re-runs the store"]
    assert not any("roots reloaded" in t for t in titles)  # none was a root in use
    before = rec["steps"][0]["state"]["pages"]
    assert [(p["id"], p["root"], [x["index"] for x in p["sptes"]]) for p in before] == [
        ("L2q0", False, []), ("L2q1", False, []), ("L2q2", False, []), ("L2q3", False, [0, 1])]
    assert rec["summary"]["zapped"] == ["L2q3:0", "L2q3:1"]
    assert rec["summary"]["visited"] == ["L2q0", "L2q1", "L2q2", "L2q3"] and rec["summary"]["skipped"] == []
    rerun = step_named(rec, "the guest re-runs")
    assert rerun["events"] == ["unprotect gfn 0xe00: 4 shadow page(s) zapped, the guest re-runs the instruction",
                               f"guest writes 0x0 ({size} bytes) at gpa 0xe00000: store"]
    assert [p["gone"] for p in rerun["state"]["pages"]] == ["kvm_mmu_unprotect_page()"] * 4
    assert rec["steps"][1]["predict"]["answer"] == "unprotect"
    assert rec["steps"][2]["predict"]["answer"] == "every shadow page of the frame, whole: L2q0, L2q1, L2q2, L2q3"


def test_flooding_zaps_every_root_on_the_third_store():
    rec = write_record({"table": "pd", "offset": 0x080, "size": 4, "unsync": True, "stores": 3})
    third = [s for s in rec["steps"] if s["title"].startswith("store 3 of 3: ")]
    assert [s["title"] for s in third[1:5]] == [f"store 3 of 3: L2q{q} zapped whole (write flooding)"
                                                for q in range(4)]
    second = [s for s in rec["steps"] if s["title"].startswith("store 2 of 3: ")]
    assert [s["title"].split(": ")[1] for s in second[1:]] == [
        "L2q0 applies the store", "L2q1 skipped for quadrant", "L2q2 skipped for quadrant",
        "L2q3 skipped for quadrant"]
    assert third[-1]["title"] == "store 3 of 3: roots reloaded" and third[-1]["focus"] == [
        "L2q0+", "L2q1+", "L2q2+", "L2q3+"]
    # page tables never flood: three emulated PTE stores zap, then find nothing
    pt = write_record({"table": "pt", "offset": 0x000, "size": 4, "unsync": False, "stores": 3})
    assert not any("flooding" in s["title"] for s in pt["steps"])


def test_unsync_store_is_stale_until_invlpg():
    rec = write_record({"table": "pt", "offset": 0x000, "size": 4, "unsync": True})
    after, inv = step_named(rec, "after the store"), step_named(rec, "the guest's invlpg")
    assert after["stale"] == {"va": 0x08000000, "shadow": 0x100000, "guest": 0x1F0000, "permitted": True}
    assert inv["stale"] is None and inv["zapped"] == ["L1q0:0"]
    assert rec["incoherent"] == []


def test_questions_have_their_answer_among_the_choices():
    for i in SPACE:
        rec = write_record(i)
        for s in rec["steps"]:
            p = s.get("predict")
            if p:
                assert p["answer"] in [c["value"] for c in p["choices"]], (i, p)
    rec = write_record({"table": "pd", "offset": 0x080, "size": 4})
    asked = [s["predict"] for s in rec["steps"] if "predict" in s]
    assert [p["answer"] for p in asked] == [
        "emulate", "sPTEs L2q0:64, L2q0:65", "L2q1 skips it: the bytes belong to another quadrant",
        "nothing: the next access faults (no sPTE)"]


def test_precomputed_states_are_byte_identical_to_a_live_compute():
    x = guest_write_explorer()
    assert len(x.states) == len(SPACE)  # the default store (pt, 0x800, 4) is in the space
    for i in SPACE:
        assert canonical_json(x.states[state_key(KEY_FIELDS, i)]) == canonical_json(write_record(dict(i)))


@pytest.mark.parametrize("inputs, message", [
    ({"offset": "0x1000"}, "byte offset '0x1000' is outside 0x000..0xFFC"),
    ({"offset": "0xFFE", "size": 4}, "byte offset '0xFFE' is outside 0x000..0xFFC"),
    ({"offset": "00800"}, "byte offset '00800' is ambiguous"),
    ({"offset": "xyz"}, "byte offset 'xyz' is not a number; give hex like 0x800"),
    ({"table": "pdpt"}, "table 'pdpt' must be 'pt'"),
    ({"size": 3}, "size 3 must be 1, 2, 4 or 8"),
    ({"stores": 4}, "stores 4 must be a whole number"),
    ({"unsync": "yes"}, "unsync 'yes' must be true or false"),
    ({"table": "freed_pd", "size": 8}, "size 8 cannot be a rep stos store into the freed guest page directory"),
])
def test_bad_inputs_are_refused_with_the_reason(inputs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        normalise_inputs(inputs)


def test_a_request_for_another_offset_is_computed_and_a_bad_one_refused():
    x = guest_write_explorer(space=[])
    x.request = {"id": "js-1", "inputs": {"table": "pt", "offset": 0x404, "size": 4, "unsync": False,
                                          "stores": 1}}
    assert x.answer["key"] == "pt|1028|4|0|1"
    after = step_named(x.answer["record"], "after the store")  # gPTE 257: quadrant 0, sPTE 257, not present
    assert after["zapped"] == [] and after["skipped"] == ["L1q1"]
    assert step_named(x.answer["record"], "L1q0 applies")["focus"] == ["L1q0", "L1q0:257"]
    x.request = {"id": "js-2", "inputs": {"table": "pt", "offset": 4096, "size": 4}}
    assert x.answer == {"id": "js-2", "error": "byte offset 4096 is outside 0x000..0xFFC"}
