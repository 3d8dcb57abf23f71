"""Notebook 10's explorer names only the guest entries a walk really reads (issue 13, point 6).

A 4 MiB page is mapped by its guest PDE alone; there is no guest PTE to name. Indices are
worked by hand: 0xC0400000 >> 22 = 0x301 = 769; 0x08048000 >> 22 = 0x20 = 32 and
(0x08048000 >> 12) & 0x3FF = 0x48 = 72.
"""

from shadowmmu.widgets import real_guest_explorer


def span(field, value):
    return f'<span class="smmu-v" data-field="{field}">{value}</span>'


def test_a_4_mib_page_names_its_pde_and_no_pte():
    ex = real_guest_explorer("user-1", 0xC0400000)
    assert "guest PDE " + span("guest_pde_index", 769) in ex.view.value
    assert "4 MiB page" in ex.view.value
    assert "guest PTE" not in ex.view.value


def test_a_4_kib_page_names_both():
    ex = real_guest_explorer("user-1", 0x08048000)
    assert "guest PDE " + span("guest_pde_index", 32) in ex.view.value
    assert "guest PTE " + span("guest_pte_index", 72) in ex.view.value
