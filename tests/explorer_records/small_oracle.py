"""The independent oracle of notebook 06's fault records: ShadowMMU.access() on its own small guest.

The setup that ``before`` names is redone here from the scenario's public calls, not
taken from shadowmmu.states.fault, so a record and its oracle share only the simulator.
"""

from __future__ import annotations

from shadowmmu.scenarios.small import small_session
from shadowmmu.sim.paging32 import GuestPageFault


def before_state(va, process, before):
    """(mmu, cr3s) in the state ``before`` names: a fresh CR3 load, or after process 1 read va."""
    mmu, cr3s = small_session(0 if before == "after-p1" else process)
    if before == "after-p1":
        try:
            mmu.access(va)
        except GuestPageFault:
            pass
        if process == 1:
            mmu.load_cr3(cr3s[1])
    return mmu, cr3s


def simulator_run(va, write, process, before):
    """(gpa or None, #PF message or None, shadow pages before the access, after, guest PT gfn or None)."""
    mmu, cr3s = before_state(va, process, before)
    pages_before = len(mmu.shadow_pages())
    try:
        gpa, fault = mmu.access(va, write=write), None
    except GuestPageFault as err:
        gpa, fault = None, str(err)
    try:
        walk = mmu.guest.walk(cr3s[process], va)
        pt_gfn = None if walk.pte_gpa is None else walk.pte_gpa >> 12
    except GuestPageFault:
        pt_gfn = None
    return gpa, fault, pages_before, len(mmu.shadow_pages()), pt_gfn
