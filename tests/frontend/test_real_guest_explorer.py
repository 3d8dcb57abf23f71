"""Notebook 10's explorers: records against the simulator and QEMU, the static states, the drawing.

Expected values come from tests/frontend/real_oracle.py (a guest built from the
snapshot files, ShadowMMU driven directly, QEMU's recorded answers, the SDM
walk of tests/reference_oracles/qemu.py) or by hand (PDE indices and frames read in the
fixture README and the notebook's prose), never from shadowmmu.states.
"""

from __future__ import annotations

import copy
import html
import re

import pytest

from frontend.real_oracle import pd_by_hand, probe_errors, qemu_said, shadow_gpa, switch_errors
from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.states.real_guest import (PROBE_PRESETS, cr3_switch_record, real_pd_record,
                                         real_probe_record)
from shadowmmu.states.space import canonical_json, state_key


@pytest.fixture(scope="module")
def probe():
    return real_guest_explorer()


@pytest.fixture(scope="module")
def switch():
    return cr3_switch_explorer()


def test_the_space_is_every_snapshot_preset_and_setting(probe, switch):
    assert len(probe.states) == 3 * len(PROBE_PRESETS) * 2
    assert {k.split("|")[0] for k in probe.states} == {"kernel-boot", "user-1", "user-2"}
    assert len(switch.states) == 2 * 2 * len(QUADRANT_RULES)


def test_every_probe_state_is_the_simulators_and_qemus(probe):
    errors = [e for rec in probe.states.values() for e in probe_errors(rec)]
    assert errors == []
    # QEMU was asked about most presets and every answer it gave agrees
    asked = [r for r in probe.states.values() if r["qemu"]["asked"] != "no"]
    assert len(asked) >= len(probe.states) // 2 and all(r["agree"] for r in asked)


def test_hand_checked_probes():
    # user-1's PDE 32 = 0x02C99067 (a page table at frame 0x2C99), VA 0x08048000: bit 21 clear
    r = real_probe_record({"snapshot": "user-1", "va": 0x08048000})
    assert [(p["how"], p["gfn"], p["quadrant"]) for p in r["pages"]] == [("root", 0x2C9A, 0),
                                                                        ("created", 0x2C99, 0)]
    # 0xC0200000: PDE 768 = page table 0x1EE6; VA bit 21 set: PT quadrant 1, root q3
    r = real_probe_record({"snapshot": "user-2", "va": 0xC0200000})
    assert [(p["how"], p["gfn"], p["quadrant"]) for p in r["pages"]][1:] == [("created", 0x1EE6, 1)]
    assert r["gpa"] == 0x00200000 == qemu_said("user-2", 0xC0200000)[1]
    # a 4 MiB page with host large pages on is a 2 MiB leaf in the root: no page below it
    r = real_probe_record({"snapshot": "user-1", "va": 0xC0400000})
    assert [p["how"] for p in r["pages"]] == ["root"] and r["leaf"]["what"] == "leaf 2M"
    # off: a direct page (gfn = the 2 MiB frame's first gfn, 0x400)
    r = real_probe_record({"snapshot": "user-1", "va": 0xC0400000, "host_large_pages": False})
    assert [(p["how"], p["gfn"], p["direct"]) for p in r["pages"]][1:] == [("created", 0x400, True)]
    # NULL is unmapped in every snapshot: no gpa, the guest's #PF
    r = real_probe_record({"snapshot": "kernel-boot", "va": 0})
    assert r["gpa"] is None and r["walk"]["gpa"] is None and "PDE not present" in r["fault"]


def test_an_address_off_the_presets_is_computed_like_the_simulator(probe):
    for name, va in (("user-2", 0x08049123), ("user-1", 0xC0BFFFFF), ("kernel-boot", 0xFFFFB80E)):
        probe.request = {"id": f"t-{va}", "inputs": {"snapshot": name, "va": va}}
        rec = probe.answer["record"]
        assert probe.answer["key"] == state_key(("snapshot", "va", "host_large_pages"),
                                                {"snapshot": name, "va": va, "host_large_pages": True})
        assert rec["gpa"] == shadow_gpa(name, va)[0] and probe_errors(rec) == []


def test_bad_inputs_are_refused_by_name(probe):
    for inputs, words in (({"snapshot": "user-3", "va": 0}, "snapshot 'user-3' is not one of"),
                          ({"snapshot": "user-1", "va": 1 << 32}, "0x00000000..0xFFFFFFFF"),
                          ({"snapshot": "user-1", "va": 0, "host_large_pages": "yes"},
                           "host_large_pages must be true or false")):
        probe.request = {"id": "bad", "inputs": inputs}
        assert words in probe.answer["error"]
    with pytest.raises(ValueError, match="rule 'nope'"):
        cr3_switch_explorer(rule="nope")


def test_every_switch_state_is_the_traces(switch):
    assert [e for rec in switch.states.values() for e in switch_errors(rec)] == []
    # The notebook's reading, by hand: user-2's page directory is another frame, so under a
    # correct rule every level-2 page is created (at least for the used quarters 0, 2 and 3; the
    # special-root rules make none for the empty quarter 1) and every kernel-half L1 page found.
    for rec in switch.states.values():
        if rec["rule_correct"] and rec["first"] == "user-1":
            level2 = [r for r in rec["rows"] if r["level"] == 2]
            assert {r["pd_quadrant"] for r in level2 if r["created"]} >= {0, 2, 3}
            assert sum(r["found"] for r in level2) == 0
            kernel = [r for r in rec["rows"] if r["level"] == 1 and r["pd_quadrant"] == 3]
            assert kernel and all(r["created"] == 0 for r in kernel)


def test_planted_wrong_records_fail():
    rec = real_probe_record({"snapshot": "user-1", "va": 0x08048000})
    for path, value in ((("gpa",), rec["gpa"] + 0x1000), (("agree",), False),
                        (("pages", 1, "quadrant"), 1), (("qemu", "asked"), "no")):
        bad = copy.deepcopy(rec)
        target = bad
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = value
        assert probe_errors(bad), f"planting {path}={value!r} went unnoticed"
    sw = cr3_switch_record({"first": "user-1"})
    bad = copy.deepcopy(sw)
    bad["found"] += 1
    assert switch_errors(bad)
    bad = copy.deepcopy(sw)
    bad["pages"][-1]["found"] = not bad["pages"][-1]["found"]
    assert switch_errors(bad)


def test_precomputed_states_are_byte_identical_to_live_ones(probe, switch):
    for x, compute in ((probe, real_probe_record), (switch, cr3_switch_record)):
        for inputs in x.spec["presets"]:
            key = state_key(x.key_fields, inputs)
            assert canonical_json(x.states[key]) == canonical_json(compute(dict(inputs))), key


def test_the_page_directory_record_is_the_raw_bytes():
    for name in ("kernel-boot", "user-1", "user-2"):
        pd = real_pd_record(name)
        assert [(p["index"], p["kind"], p["pd_quadrant"], *p["pae_pdes"]) for p in pd["pdes"]] == \
            pd_by_hand(name)
    # the fixture README's counts for a user process: 26 present, 12 x 4 MiB, 14 page tables
    pd = real_pd_record("user-1")
    assert [(q["present"], q["large"]) for q in pd["quadrants"]] == [(2, 0), (0, 0), (2, 0), (22, 12)]


# ---- the drawing, run by node as the static picture is

_TEXT = re.compile(r'<text x="([-\d.]+)" y="([-\d.]+)" font-size="(\d+)" font-weight="\w+" '
                   r'text-anchor="(\w+)"[^>]*>(.*?)</text>')
_WIDTH = re.compile(r'<svg [^>]*width="(\d+)" height="(\d+)"')


def text_overflows(svg: str, em: float = 0.6) -> list[str]:
    """Each text whose monospace extent (em x size per character) leaves 0..width of its SVG."""
    width = int(_WIDTH.search(svg).group(1))
    bad = []
    for x, _, size, anchor, body in _TEXT.findall(svg):
        n, x, w = len(html.unescape(body)), float(x), len(html.unescape(body)) * em * int(size)
        left = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        if left < 0 or left + w > width:
            bad.append(f"{body!r} spans {left:.0f}..{left + w:.0f} of {width} ({n} characters)")
    return bad


def draw_all(x, node):
    calls = [[x.tables, x.spec, rec, {}] for rec in x.states.values()]
    return dict(zip(x.states, node_call(x.bundle, x.draw_function, calls)))


def test_every_probe_picture_fits_and_shows_its_record(probe, node):
    for key, svg in draw_all(probe, node).items():
        rec = probe.states[key]
        assert _WIDTH.search(svg).group(1) == "960"
        assert text_overflows(svg) == [], key
        pd = probe.spec["pds"][rec["snapshot"]]
        # every present PDE drawn once in the strip, once in its PAE PD, once in the list
        for cls in ("smmu-real-pde", "smmu-real-pae-pde"):
            assert len(re.findall(f'class="{cls}"', svg)) == len(pd["pdes"]), (key, cls)
        assert sorted(int(i) for i in re.findall(r'class="smmu-real-pde-row" data-index="(\d+)"', svg)) \
            == [p["index"] for p in pd["pdes"]]
        if rec["gpa"] is not None:
            assert f"0x{rec['gpa']:08X}" in svg
        assert f'data-agree="{int(rec["agree"])}"' in svg


def test_every_switch_picture_fits_and_counts_its_pages(switch, node):
    for key, svg in draw_all(switch, node).items():
        rec = switch.states[key]
        assert text_overflows(svg) == [], key
        assert svg.count('class="smmu-real-switch-page" data-found="1"') == rec["found"]
        assert svg.count('class="smmu-real-switch-page" data-found="0"') == rec["created"]


def test_the_overflow_check_can_fail():
    svg = ('<svg xmlns="x" width="960" height="20"><text x="900" y="10" font-size="12" '
           'font-weight="normal" text-anchor="start">twelve chars</text></svg>')
    assert text_overflows(svg)
