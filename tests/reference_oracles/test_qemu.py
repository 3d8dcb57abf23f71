"""The guest walker and the shadow MMU against QEMU's own answers for a real Linux guest.

The oracle is QEMU 7.2 (TCG) translating addresses of a Debian 6.1 686
(non-PAE) kernel and busybox userland, recorded by tools/capture_guest.py in
shadowmmu/data/: ``gva2gpa`` for every mapped page (and a sample of
4 MiB pages and of unmapped addresses) and ``info tlb``. Nobody here wrote
that translation, which is what makes it worth comparing against.
"""

import pytest

from reference_oracles.qemu import mini_walk, qemu_answers, qemu_tlb
from shadowmmu import CORRECT_RULES, Guest, GuestPageFault, ShadowMMU
from shadowmmu.snapshot import available_snapshots, load_snapshot

SNAPSHOTS = available_snapshots()
IDS = [p.name.split(".")[0] for p in SNAPSHOTS]


@pytest.fixture(scope="module", params=SNAPSHOTS, ids=IDS)
def snap(request):
    return load_snapshot(request.param)


def _guest(snap):
    return Guest.from_pages(snap.pages, cr3=snap.cr3, cr4=snap.cr4)


def test_there_are_kernel_and_user_snapshots():
    snaps = [load_snapshot(p) for p in SNAPSHOTS]
    assert {s.cpl for s in snaps} == {0, 3}
    assert len(snaps) >= 3


def test_walker_agrees_with_every_gva2gpa_answer(snap):
    guest = _guest(snap)
    mapped = unmapped = 0
    for va, gpa in qemu_answers(snap):
        assert mini_walk(snap, va) == gpa, hex(va)  # the two oracles agree first
        assert guest.translate(snap.cr3, va) == gpa, hex(va)
        if gpa is None:
            with pytest.raises(GuestPageFault):
                guest.walk(snap.cr3, va)
            unmapped += 1
        else:
            assert guest.walk(snap.cr3, va).gpa == gpa, hex(va)
            mapped += 1
    assert mapped > 1000 and unmapped > 100


def _qemu_flags(entry, large):
    """QEMU's info tlb flag letters for a 32-bit leaf, written from its monitor's format:
    NX (never, in 32-bit paging), G, PS (4 MiB leaves only; bit 7 of a PTE is PAT
    and not shown), D, A, PCD, PWT, U, W."""
    bit = lambda n, c: c if entry >> n & 1 else "-"
    return "-" + bit(8, "G") + ("P" if large else "-") + bit(6, "D") + bit(5, "A") + \
        bit(4, "C") + bit(3, "T") + bit(2, "U") + bit(1, "W")


def test_walker_reproduces_info_tlb(snap):
    guest = _guest(snap)
    ours = []
    for va, size, gpa, entry in guest.mappings(snap.cr3):
        large = size == 4 << 20
        # QEMU prints a 4 MiB frame masked to 2 MiB alignment: the same for an
        # aligned frame, so no special case is needed beyond the mask.
        ours.append((va, gpa & ~((1 << 21) - 1) if large else gpa, _qemu_flags(entry, large)))
    assert ours == qemu_tlb(snap)


@pytest.mark.parametrize("rule", CORRECT_RULES)
@pytest.mark.parametrize("host_large_pages", [True, False], ids=["host-2M", "host-4K"])
def test_shadow_mmu_agrees_with_qemu(snap, rule, host_large_pages):
    guest = _guest(snap)
    mmu = ShadowMMU(guest, rule, host_large_pages=host_large_pages, trace=False)
    mmu.load_cr3(snap.cr3)
    for va, gpa in qemu_answers(snap):
        if gpa is None:
            with pytest.raises(GuestPageFault):
                mmu.access(va)
            assert mmu.translate(va) is None
        else:
            assert mmu.access(va) == gpa, hex(va)
            assert mmu.translate(va) == gpa, hex(va)
    assert mmu.check() is None
    stats = mmu.stats()
    assert stats.faults > 0


def test_the_misconception_mistranslates_the_real_guest():
    """With "top/bottom halves", some real address comes out wrong: every user
    snapshot has a page table whose two halves are both in use below 0x40000000."""
    caught = 0
    for path in SNAPSHOTS:
        snap = load_snapshot(path)
        guest = _guest(snap)
        mmu = ShadowMMU(guest, "halves", trace=False)
        mmu.load_cr3(snap.cr3)
        wrong = 0
        for va, gpa in qemu_answers(snap):
            if gpa is not None and mmu.access(va) != gpa:
                wrong += 1
        caught += wrong > 0 or mmu.check() is not None
    assert caught >= 1
