"""shadowmmu: how KVM's shadow MMU runs a 32-bit non-PAE guest on PAE shadow page tables.

One guest page directory becomes four PAE page directories (role.quadrant 0..3,
1 GiB each); one guest page table becomes two PAE page tables (role.quadrant
0/1 = VA bit 21 = the parity of the parent PAE PDE index). The modules follow
the data, one way: the model (consts -> address -> role -> rules, writes ->
exhaustive, exercises; snapshot) -> sim (guest -> mmu and its parts) ->
scenarios -> views (HTML/SVG strings), and scenarios -> states (records) ->
frontend (the in-page explorers); tests/test_layering.py checks.
This package re-exports the model's and the simulator's public names.
"""

from ._version import __version__
from .address import AddressError, Decomposition, bits, decompose, parse_address, pd_quadrant, pt_quadrant
from .role import PageRole, RoleWarning, child_role, pae_root_roles, root_role, shadow_index, spte_index
from .rules import CORRECT_RULES, QUADRANT_RULES, Rule, get_rule
from .writes import (
    WriteEffect,
    detect_write_misaligned,
    get_level1_sp_gpa,
    get_written_sptes,
    shadowed_part,
    write_effects,
)

# the simulator (guest -> mmu)
from .sim import events
from .sim.coherence import FlushWindow
from .sim.guest import Guest
from .sim.paging32 import GuestPageFault, GuestWalk
from .sim.mmu import Mismatch, MMUStats, ShadowMMU, ShadowPage, find_misconception_example

__all__ = [
    "__version__",
    # address anatomy
    "AddressError", "Decomposition", "bits", "decompose", "parse_address",
    "pd_quadrant", "pt_quadrant",
    # roles
    "PageRole", "RoleWarning", "child_role", "pae_root_roles", "root_role", "shadow_index", "spte_index",
    # quadrant rules
    "CORRECT_RULES", "QUADRANT_RULES", "Rule", "get_rule",
    # reverse view and write path
    "WriteEffect", "detect_write_misaligned", "get_level1_sp_gpa", "get_written_sptes",
    "shadowed_part", "write_effects",
    # the simulator
    "Guest", "GuestPageFault", "GuestWalk", "MMUStats", "Mismatch", "ShadowMMU", "ShadowPage",
    "events", "find_misconception_example", "FlushWindow",
]
