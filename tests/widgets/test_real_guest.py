"""Notebook 10's explorer (shadowmmu.widgets.real_guest_explorer), driven from plain pytest.

Expected gpas are QEMU's own gva2gpa answers from the snapshot files, never computed
by the code under test.
"""

import re

import pytest

from shadowmmu.snapshot import available_snapshots, load_snapshot
from shadowmmu.widgets import real_guest_explorer


@pytest.fixture(scope="module")
def qemu():
    """{snapshot name: {va: QEMU's first answer}}."""
    out = {}
    for path in available_snapshots():
        snap = load_snapshot(path)
        out[snap.name] = dict(reversed(snap.gva2gpa))
    return out


def test_dom_classes_and_parts():
    ex = real_guest_explorer()
    assert "smmu-explorer" in ex._dom_classes
    assert "smmu-address" in ex.address._dom_classes and ex.address.continuous_update is False
    assert "smmu-snapshot" in ex.snapshot._dom_classes
    assert ex.snapshot.options == ("kernel-boot", "user-1", "user-2")


def test_busybox_first_page_agrees_with_qemu(qemu):
    ex = real_guest_explorer("user-1", 0x08048000)
    gpa = qemu["user-1"][0x08048000]
    assert f"0x{gpa:X}" in ex.view.value
    assert 'data-agree="yes"' in ex.view.value and "all three agree" in ex.view.value
    assert 'pae_root[<span class="smmu-v" data-field="pdpte_index">0</span>]' in ex.view.value  # quadrant 0: bits 31:30 of 0x08048000
    assert ex.state.result.gpa == gpa
    assert 'class="smmu-step"' in ex.trace.value


def test_typing_an_address_and_switching_snapshot(qemu):
    ex = real_guest_explorer("user-1", 0x08048000)
    ex.address.value = "0xC0400000"  # a 4 MiB page: a 2 MiB leaf sPTE
    assert f"0x{qemu['user-1'][0xC0400000]:X}" in ex.view.value
    assert "a 2 MiB leaf sPTE" in ex.view.value and "4 MiB page" in ex.view.value
    ex.snapshot.value = "user-2"
    assert "snapshot user-2, VA 0xC0400000" in ex.view.value
    assert f"0x{qemu['user-2'][0xC0400000]:X}" in ex.view.value
    assert ex.debug.value == ""


def test_an_unmapped_address_is_a_guest_fault_in_all_three(qemu):
    ex = real_guest_explorer("user-1", 0x00000000)
    assert qemu["user-1"][0x00000000] is None
    assert "unmapped" in ex.view.value and "#PF" in ex.view.value
    assert 'data-agree="yes"' in ex.view.value


def test_an_address_qemu_was_not_asked(qemu):
    va = 0x08048123
    assert va not in qemu["user-1"]
    ex = real_guest_explorer("user-1", va)
    assert "not asked during the capture" in ex.view.value and "data-agree" not in ex.view.value


def test_the_second_page_behind_a_page_table_reuses_its_shadow_page():
    ex = real_guest_explorer("user-1", 0x08048000)
    assert "created: L1 q0" in ex.view.value
    ex.address.value = "0x08049000"  # same guest PT, same half: the PAE PDE already links it
    assert re.search(r"shadow pages created: none; found in the cache: none", ex.view.value)
    assert re.search(r'leaf sPTE <span class="smmu-v" data-field="shadow_pte_index">73</span>',
                     ex.view.value)


def test_bad_input_keeps_the_last_view():
    ex = real_guest_explorer("user-1", 0x08048000)
    before = ex.view.value
    ex.address.value = "0x1_0000_0000"
    assert '<div class="smmu-error" role="alert">' in ex.status.value
    assert ex.view.value == before
    ex.address.value = "0xC0000000"
    assert ex.status.value == "" and ex.view.value != before
