"""The simulator explorers of notebooks 06 and 07 without a browser: drive controls, read .value.

Expected numbers are written by hand (the golden table in kernel-facts.md).
"""

import re

import pytest

from shadowmmu.widgets import Explorer, page_fault_explorer


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def shown(html: str) -> dict[str, str]:
    """The first value of each data-field in the summary line."""
    summary = html.split('<div class="smmu-step-card"', 1)[0]
    return dict(re.findall(r'<span class="smmu-v" data-field="([a-z_]+)">([^<]*)</span>', summary))


@pytest.mark.parametrize("build", [page_fault_explorer])
def test_builders_return_an_explorer_with_no_error(build):
    ex = build()
    assert isinstance(ex, Explorer) and "smmu-explorer" in ex._dom_classes
    assert ex.debug in list(walk(ex)) and ex.debug.value == ""


def test_page_fault_explorer_dom_and_first_view():
    ex = page_fault_explorer()
    assert "smmu-address" in ex.address._dom_classes and ex.address.continuous_update is False
    assert ex.address in list(walk(ex)) and ex.view in list(walk(ex))
    assert shown(ex.view.value) == {"va": "0xDEADBEEF", "pdpte_index": "3", "pd_quadrant": "3",
                                    "shadow_pde_index": "245",
                                    "guest_pde_index": "890", "guest_pte_index": "731",
                                    "pt_quadrant": "1", "shadow_pte_index": "219"}
    assert ex.step.value == 0 and ex.step.max == 10 and "Step 1 of 11" in ex.view.value


def test_step_buttons_and_slider():
    ex = page_fault_explorer()
    ex.next.click()
    ex.next.click()
    assert ex.step.value == 2 and "Step 3 of 11" in ex.view.value
    assert 'data-step="2" style="background:#eef' in ex.view.value
    ex.prev.click()
    assert ex.step.value == 1 and "Step 2 of 11" in ex.view.value
    ex.step.value = 10
    assert "Step 11 of 11" in ex.view.value and "install sPTE" in ex.view.value
    ex.next.click()  # at the end: stays
    assert ex.step.value == 10
    for _ in range(10):
        ex.prev.click()
    assert ex.step.value == 0
    assert ex.play.max == ex.step.max


def test_second_address_reuses_and_same_address_is_a_hit():
    ex = page_fault_explorer()
    ex.address.value = "0xDEAD0123"   # same PAE PDE 245: the level-1 page exists already
    assert shown(ex.view.value)["shadow_pte_index"] == "208"
    assert "shadow pages created: none" in ex.view.value
    ex.address.value = "0xdeadbeef"   # already mapped: no fault
    assert "no fault: the shadow tables already map it" in ex.view.value


def test_bad_address_keeps_the_last_view():
    ex = page_fault_explorer()
    before = ex.view.value
    for bad in ("zz", "0x100000000", "-1"):
        ex.address.value = bad
        assert '<div class="smmu-error" role="alert">' in ex.status.value
        assert ex.view.value == before
    ex.address.value = "0xC0200000"
    assert ex.status.value == "" and "a 2 MiB leaf" in ex.view.value


def test_guest_fault_is_shown_not_raised():
    ex = page_fault_explorer()
    ex.address.value = "0x00000000"
    assert "#PF injected" in ex.view.value and ex.debug.value == ""


def test_callback_errors_are_shown_not_swallowed(monkeypatch):
    ex = page_fault_explorer()

    def boom(*_args):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr("shadowmmu.widgets.fault.render_fault_step", boom)
    ex.address.value = "0x00200000"
    assert "RuntimeError: drawing failed" in ex.debug.value
    assert 'class="smmu-debug"' in ex.debug.value


def test_process_switch_and_reset():
    ex = page_fault_explorer()
    ex.process.value = 1
    assert "found in the cache: L1 q1" in ex.view.value
    ex.reset.click()
    assert "shadow pages created: L1 q1" in ex.view.value and ex.debug.value == ""


def test_write_access_sets_dirty_and_writable():
    ex = page_fault_explorer()
    ex.write.value = True
    ex.address.value = "0x08048000"
    assert "write of" in ex.view.value and "writable" in ex.view.value




@pytest.mark.parametrize("build,drive", [
    (page_fault_explorer, lambda ex, i: setattr(ex.address, "value", f"0x{0xDEAD0000 + i * 0x1000:08X}")),
])
def test_repeated_callbacks_leave_no_error(build, drive):
    # How fast each callback is, is measured in benchmarks/bench_latency.py (a real
    # browser), never asserted here: a loaded machine would make it flaky.
    ex = build()
    shown = []
    for i in range(1, 21):
        drive(ex, i)
        shown.append(ex.view.value)
    assert ex.debug.value == ""
    assert len(set(shown)) > 1, "twenty different inputs, one picture"
