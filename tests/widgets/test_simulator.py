"""The ipywidgets simulator explorers of notebooks 07-08 without a browser (06's is in the page:
tests/states/test_fault.py, tests/browser/test_sim_fault.py): drive controls, read .value.

Expected numbers are written by hand (the golden table in kernel-facts.md).
"""

import pytest

from tables import row_named

from shadowmmu.widgets import Explorer, guest_write_explorer, whole_guest_explorer


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.mark.parametrize("build", [guest_write_explorer, whole_guest_explorer])
def test_builders_return_an_explorer_with_no_error(build):
    ex = build()
    assert isinstance(ex, Explorer) and "smmu-explorer" in ex._dom_classes
    assert ex.debug in list(walk(ex)) and ex.debug.value == ""


def test_guest_write_explorer_controls():
    ex = guest_write_explorer("pt", 0x800, 4, unsync=False)
    v = ex.view.value
    assert "zap sPTE 0 of gfn" in v and "L1 q1" in v and "skip gfn" in v
    ex.unsync.value = True
    assert 'data-action="unsync"' in ex.view.value and "STALE" in ex.view.value
    ex.table.value = "pd"
    ex.offset.value = "0x080"
    assert "zap sPTE 64" in ex.view.value and "zap sPTE 65" in ex.view.value
    ex.table.value = "pt"
    ex.unsync.value = False
    ex.size.value = 8
    ex.offset.value = "0"
    assert "misaligned" in ex.view.value and "zap whole page" in ex.view.value


def test_guest_write_explorer_bad_offset_keeps_view():
    ex = guest_write_explorer()
    before = ex.view.value
    # the one number parser (address.parse_number): "abc" is hex 0xABC, "00800" is ambiguous
    for bad in ("0x1000", "xyz", "4093", "00800"):
        ex.offset.value = bad
        assert '<div class="smmu-error" role="alert">' in ex.status.value
        assert ex.view.value == before
    ex.offset.value = "2048"
    assert ex.status.value == ""


def census_total(ex) -> int:
    return int(row_named(ex.census.value, "total")[1])


def test_whole_guest_explorer_switches():
    # By hand (scenarios.linux's layout): per process 4 page directories, and page tables
    # for code (L1 q0), heap (L1 q1, same guest PDE 32) and stack (L1 q1); one kernel page
    # table (L1 q0) shared by all; with host large pages the 64 MiB direct map is 2 MiB
    # leaves except the one 2 MiB half holding the guest's own tables (one direct page).
    ex = whole_guest_explorer(processes=3, mem_mib=64)
    assert census_total(ex) == 3 * (4 + 3) + 1 + 1  # 23
    ex.large.value = False
    assert census_total(ex) == 3 * (4 + 3) + 1 + 64 // 2  # 54: every 2 MiB half a direct page
    ex.rule.value = "halves"
    assert 'class="smmu-mismatch"' in ex.check.value
    ex.rule.value = "legacy"
    assert "agrees with the guest everywhere" in ex.check.value
    ex.processes.value = 1
    ex.large.value = True
    # 1 process: 4 roots + L1 q0 (code, kernel PT) + L1 q1 (heap, stack) + 1 direct = 9
    assert census_total(ex) == 4 + 2 + 2 + 1
    assert ex.debug.value == ""


@pytest.mark.parametrize("build,drive", [
    (guest_write_explorer, lambda ex, i: setattr(ex.offset, "value", str(4 * (i % 1024)))),
    (whole_guest_explorer, lambda ex, i: setattr(ex.processes, "value", 1 + i % 8)),
])
def test_repeated_callbacks_leave_no_error(build, drive):
    # How fast each callback is, is measured in benchmarks/bench_latency.py (a real
    # browser), never asserted here: a loaded machine would make it flaky.
    ex = build()
    shown = []
    for i in range(1, 21):
        drive(ex, i)
        shown.append(ex.view.value if hasattr(ex, "view") else ex.census.value)
    assert ex.debug.value == ""
    assert len(set(shown)) > 1, "twenty different inputs, one picture"
