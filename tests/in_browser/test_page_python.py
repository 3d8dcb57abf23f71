"""The static site's own Python answers every simulator explorer's off-preset inputs.

One page (tests/in_browser/page_python.py) holds the five simulator explorers (06's fault,
07's write, 08's whole guest, 10's real address and CR3 switch), each built with no
precomputed states but its first, and 09's exercises (whose seed the reader may change),
so every other input is computed in the page: by the
built site's Pyodide worker and wheel, started once for the whole module, with every
request that would leave the machine aborted (none expected). Each drawn record is
compared with the same record computed by CPython here, from the explorer class's own
check and record functions (canonical JSON equal), and the drawn key with the key
CPython gives. 07 is driven through every control combination.
"""

from __future__ import annotations

import pytest

from in_browser.page_python import drawn_record, expected, page_dir
from in_browser.static_site import NetworkGuard, serve
from in_browser.test_static_site import site_dir  # noqa: F401 (fixture)
from shadowmmu.frontend.explorers import exercise
from shadowmmu.frontend.fault_explorer import FaultExplorer, page_fault_explorer
from shadowmmu.frontend.real_guest_explorer import (Cr3SwitchExplorer, RealGuestExplorer,
                                                    cr3_switch_explorer, real_guest_explorer)
from shadowmmu.frontend.whole_guest_explorer import WholeGuestExplorer, whole_guest_explorer
from shadowmmu.frontend.writes_explorer import WriteExplorer, guest_write_explorer
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.states.exercises import exercise_set
from shadowmmu.states.space import canonical_json

FIRST_MS = 180_000   # the first answer waits for Pyodide to start (10-20 s here, loaded)
LATER_MS = 60_000

FAULT = '.smmu-explorer[data-explorer="page-fault"]'
WRITE = '.smmu-explorer[data-explorer="guest-write"]'
GUEST = '.smmu-explorer[data-explorer="whole-guest"]'
PROBE = '.smmu-explorer[data-explorer="real-guest"]'
SWITCH = '.smmu-explorer[data-explorer="cr3-switch"]'
EXERCISE = '.smmu-explorer[data-explorer="exercise"]'


@pytest.fixture(scope="module")
def page(site_dir, chromium_context, tmp_path_factory):  # noqa: F811
    explorers = [page_fault_explorer(0xDEADBEEF, space=[]),
                 guest_write_explorer("pt", 0x800, 4, unsync=True, space=[]),
                 whole_guest_explorer(3, "mainline", True, space=[]),
                 real_guest_explorer("user-1", 0x08048000, space=[]),
                 cr3_switch_explorer("user-1", True, "mainline", space=[]),
                 exercise(seed=2024)]
    d = page_dir(site_dir, tmp_path_factory.mktemp("page-python"), explorers)
    with serve(d) as base:
        pg = chromium_context.new_page()
        pg.set_viewport_size({"width": 1000, "height": 1400})
        guard = NetworkGuard().install(pg)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(f"{base}/python.html")
        pg.wait_for_function("window.smmuRendered === 6", timeout=60_000)
        # the first off-preset input starts Python (unless the page warmed it already) and says so
        box = pg.locator(f"{FAULT} input.smmu-address")
        box.fill("0x12345678")
        box.press("Enter")
        status = pg.locator(f"{FAULT} .smmu-status").inner_text()
        assert "Python in your browser" in status, status
        key, want = expected(FaultExplorer, {"va": 0x12345678, "write": False, "process": 0, "before": "fresh"})
        assert drawn_record(pg, FAULT, 0, key, FIRST_MS) == want
        yield pg
        pg.close()
        assert guard.aborted == [], f"requests left the machine: {guard.aborted}"
        assert errors == [], errors


def data(pg, selector):
    return pg.eval_on_selector(selector, "e => ({...e.dataset})")


def drawn_after_each(page, root, explorer, inputs, controls, steps):
    """For each step (field, value[, text]): work the field's control, controls[field] =
    (how, selector), how "type" (text, else 0x%08X, then Enter), "click" or "select" (text,
    else str(value)); then the record drawn must be the one CPython computes for the inputs."""
    for field, value, *text in steps:
        how, selector = controls[field]
        control = page.locator(f"{root} {selector}")
        said = text[0] if text else (f"0x{value:08X}" if how == "type" else str(value))
        if how == "type":
            control.fill(said)
            control.press("Enter")
        elif how == "click":
            control.click()
        else:
            control.select_option(said)
        inputs = inputs | {field: value}
        key, want = expected(explorer, inputs)
        assert drawn_record(page, root, 0, key, LATER_MS) == want, inputs


def test_06_typed_addresses_and_toggles(page):
    inputs = {"va": 0x12345678, "write": False, "process": 0, "before": "fresh"}
    steps = [("va", 0x1000, "0x0000_1000"), ("va", 0xC0000000, "3221225472"), ("write", True),
             ("process", 1, "1"), ("before", "after-p1", "after-p1"), ("va", 0xFFFFF123, "0xfffff123")]
    controls = {"va": ("type", "input.smmu-address"), "write": ("click", "input.smmu-write-access"),
                "process": ("select", "select.smmu-process"), "before": ("select", "select.smmu-before")}
    drawn_after_each(page, FAULT, FaultExplorer, inputs, controls, steps)


def test_07_every_control_combination(page):
    ex = page.locator(WRITE)
    box = ex.locator("input.smmu-offset")
    box.fill("0x408")                       # gPTE/gPDE 258: not a preset
    box.press("Enter")
    inputs = {"table": "pt", "offset": 0x408, "size": 4, "unsync": True, "stores": 1}
    seen = set()

    def check():
        key, want = expected(WriteExplorer, inputs)
        assert drawn_record(page, WRITE, 0, key, LATER_MS) == want, inputs
        seen.add(key)

    check()
    for table in ("pt", "pd"):
        ex.locator(f'button[data-table="{table}"]').click()
        inputs["table"] = table
        check()
        for unsync in (True, False):
            if ex.locator("input.smmu-unsync").is_checked() != unsync:
                ex.locator("input.smmu-unsync").click()
            inputs["unsync"] = unsync
            check()
            for stores in (1, 3):           # the page's two store buttons: 1 and spec.max_stores
                ex.locator(f'button[data-stores="{stores}"]').click()
                inputs["stores"] = stores
                check()
                for size in (1, 2, 4, 8):
                    ex.locator(f'button[data-size="{size}"]').click()
                    inputs["size"] = size
                    check()
    assert len(seen) == 2 * 2 * 2 * 4


def test_08_rules_large_pages_and_processes(page):
    inputs = {"rule": "mainline", "large": True, "processes": 3}
    actions = [("rule", r) for r in QUADRANT_RULES if r != "mainline"]
    actions += [("large", False), ("processes", 1), ("processes", 4), ("rule", "halves"), ("large", True)]
    controls = {"large": ("click", "input.smmu-large"), "rule": ("select", "select.smmu-rule"),
                "processes": ("select", "select.smmu-processes")}
    drawn_after_each(page, GUEST, WholeGuestExplorer, inputs, controls, actions)


def test_10_typed_addresses_of_real_snapshots(page):
    inputs = {"snapshot": "user-1", "va": 0x08048000, "host_large_pages": True}
    steps = [("va", 0x0804A123), ("snapshot", "kernel-boot"), ("va", 0xC1000010),
             ("host_large_pages", False), ("va", 0xBFFFF000)]
    controls = {"va": ("type", "input.smmu-address"), "snapshot": ("select", "select.smmu-snapshot"),
                "host_large_pages": ("click", "input.smmu-large-pages")}
    drawn_after_each(page, PROBE, RealGuestExplorer, inputs, controls, steps)


def test_10_cr3_switch(page):
    inputs = {"first": "user-1", "host_large_pages": True, "rule": "mainline"}
    actions = [("rule", r) for r in QUADRANT_RULES if r != "mainline"] + [("first", "user-2"), ("host_large_pages", False)]
    controls = {"host_large_pages": ("click", "input.smmu-large-pages"),
                "first": ("select", "select.smmu-switch-first"), "rule": ("select", "select.smmu-rule")}
    drawn_after_each(page, SWITCH, Cr3SwitchExplorer, inputs, controls, actions)


def test_one_python_for_the_page(page):
    """Six explorers, each its own module: one worker client on globalThis, started once."""
    log = page.evaluate("({...globalThis.__shadowmmuPython.log, answers: globalThis.__shadowmmuPython.log.answers.length})")
    assert log["readyAt"] is not None and log["startAt"] is not None and log["answers"] >= 1


def test_09_another_seed(page):
    ex = page.locator(EXERCISE)
    box = ex.locator("input.smmu-seed")
    box.fill("7")
    box.press("Enter")
    assert drawn_record(page, EXERCISE, 0, "7|12", LATER_MS) == canonical_json(exercise_set({"seed": 7, "count": 12}))
    first = exercise_set({"seed": 7, "count": 12})["exercises"][0]
    assert first["question"] in ex.locator(".smmu-question").inner_text()
    assert ex.get_attribute("data-address") == f"0x{first['va']:08X}"
    box.fill("seven")
    box.press("Enter")
    assert "must be a whole number" in ex.locator(".smmu-error").inner_text()
    assert ex.get_attribute("data-state-key") == "7|12"
