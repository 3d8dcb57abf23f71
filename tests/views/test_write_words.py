"""Notebook 07's write view says what KVM does, not a setting KVM lacks (issue 13, point 5).

KVM has no switch for unsync: an ordinary page table goes unsync at its first write fault,
and a write-tracked one has every store emulated. The simulator's `unsync=False` stands for
the second case, and the view must say so.
"""

from shadowmmu.scenarios import write_experiment
from shadowmmu.views import render_write_result


def test_unsync_is_not_called_a_kvm_default():
    for unsync in (True, False):
        assert "KVM default" not in render_write_result(write_experiment("pt", 0x000, 4, unsync=unsync))


def test_the_emulated_case_is_called_write_tracked():
    assert "write-tracked" in render_write_result(write_experiment("pt", 0x000, 4, unsync=False))
    assert "may go unsync" in render_write_result(write_experiment("pt", 0x000, 4, unsync=True))
