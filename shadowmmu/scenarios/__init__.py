"""Ready-made guests and experiments for the simulator notebooks, one module per topic.

``small`` (notebook 06), ``write_lab`` (07), ``linux`` (08), ``real`` and ``qemu``
(10). Each builds guests with ``sim.Guest``, runs ``sim.ShadowMMU`` on them and
returns the simulator's results, or plain frozen records of them: ``views`` draws
the notebooks' static tables from them, and ``states`` turns them into the records
the in-page explorers draw. Everything is deterministic: no randomness, frames
handed out in a fixed order, so a notebook shows the same numbers every run.
Notebooks import from the topic modules; this package re-exports their public names.

Knows: the model and the simulator. Does not know: HTML, views, states, widgets.
"""

from .linux import (
    KERNEL_4K,
    PROCESS_LAYOUT,
    bug_lab,
    cr3_switch,
    linux_like_guest,
    run_whole_guest,
    touch_everything,
    whole_guest_stats,
)
from .qemu import (
    OracleAnswer,
    OracleTally,
    qemu_oracle,
)
from .real import (
    ORACLE_VAS,
    REAL_PAIR,
    PageTableHalves,
    RealGuest,
    RealPde,
    RealSwitch,
    SwitchRow,
    fault_in,
    page_directory_entries,
    page_table_halves,
    probed_pages,
    real_cr3_switch,
    real_guest,
    real_guest_mmu,
    real_guest_run,
    real_guest_stats,
    real_snapshot,
    real_snapshot_names,
)
from .small import (
    SMALL_KERNEL,
    SMALL_USER,
    AccessResult,
    fresh_small_mmu,
    preset_faults,
    run_access,
    small_guest,
    small_session,
)
from .write_lab import (
    LAB_MAPS,
    LAB_NEW_PTE,
    WriteLab,
    WriteResult,
    write_experiment,
    write_lab,
    write_value,
)

__all__ = [
    "SMALL_KERNEL",
    "SMALL_USER",
    "small_guest",
    "AccessResult",
    "run_access",
    "fresh_small_mmu",
    "small_session",
    "preset_faults",
    "LAB_MAPS",
    "LAB_NEW_PTE",
    "WriteLab",
    "write_lab",
    "WriteResult",
    "write_value",
    "write_experiment",
    "PROCESS_LAYOUT",
    "KERNEL_4K",
    "linux_like_guest",
    "touch_everything",
    "whole_guest_stats",
    "run_whole_guest",
    "bug_lab",
    "cr3_switch",
    "REAL_PAIR",
    "ORACLE_VAS",
    "real_snapshot_names",
    "real_snapshot",
    "RealGuest",
    "real_guest",
    "probed_pages",
    "RealPde",
    "page_directory_entries",
    "PageTableHalves",
    "page_table_halves",
    "fault_in",
    "real_guest_mmu",
    "real_guest_run",
    "real_guest_stats",
    "SwitchRow",
    "RealSwitch",
    "real_cr3_switch",
    "OracleAnswer",
    "OracleTally",
    "qemu_oracle",
]
