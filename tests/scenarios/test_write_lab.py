"""write_experiment() when a misaligned store points the entry outside guest memory.

Derived by hand: write_lab()'s PTE 0 maps 0x08000000 to frame 0x00100 (little
endian bytes f0 00 10 00, f0 = its flag byte). A 4-byte store of 0x001F0067 at
byte 1 writes bytes 1..4 = 67 00 1F 00, so PTE 0 becomes bytes f0 67 00 1F,
i.e. 0x1F0067f0 with frame 0x1F006: gpa 0x1F006000 for VA 0x08000000, past the
lab's 16 MiB. KVM would treat that access as MMIO; the model says so instead of
a gpa, and the store's other effects (the whole shadow page zapped, as the
store is misaligned) are still reported.
"""

from shadowmmu.scenarios.write_lab import LAB_NEW_PTE, write_experiment
from shadowmmu.views.writes import render_write_result


def test_a_misaligned_store_that_points_outside_memory_is_named_not_raised():
    assert LAB_NEW_PTE == 0x001F0067  # the value the derivation above uses
    r = write_experiment("pt", 1, 4)
    assert r.guest_after_write == 0x1F006000
    assert r.access_after == "gpa 0x1F006000: outside guest memory (KVM: MMIO)"
    assert "outside guest memory (KVM: MMIO)" in render_write_result(r)


def test_an_aligned_store_still_gives_the_new_frame():
    r = write_experiment("pt", 0, 4)
    assert r.access_after == 0x1F0000
