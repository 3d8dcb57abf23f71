"""Ready-made guests and experiments for the simulator notebooks, one module per topic.

``small`` (notebook 06), ``write_lab`` (07), ``linux`` (08), ``real`` and ``qemu``
(10). Each builds guests with ``sim.Guest``, runs ``sim.ShadowMMU`` on them and
returns plain frozen records that ``views`` draws; this package is also where
widgets get their simulators from. Everything is deterministic: no randomness,
frames handed out in a fixed order, so a notebook shows the same numbers every run.
Notebooks import from the topic modules; this package re-exports their public names.

Knows: the model and the simulator. Does not know: HTML, views, widgets.
"""

from .small import (
    SMALL_KERNEL,
    SMALL_USER,
    small_guest,
    AccessResult,
    run_access,
    fresh_small_mmu,
    small_session,
    preset_faults,
)
from .write_lab import (
    LAB_MAPS,
    LAB_NEW_PTE,
    WriteLab,
    write_lab,
    WriteResult,
    write_value,
    write_experiment,
)
from .linux import (
    PROCESS_LAYOUT,
    KERNEL_4K,
    linux_like_guest,
    touch_everything,
    whole_guest_stats,
    run_whole_guest,
    bug_lab,
    cr3_switch,
)
from .real import (
    REAL_PAIR,
    ORACLE_VAS,
    real_snapshot_names,
    real_snapshot,
    RealGuest,
    real_guest,
    probed_pages,
    RealPde,
    page_directory_entries,
    PageTableHalves,
    page_table_halves,
    fault_in,
    real_guest_mmu,
    real_guest_run,
    real_guest_stats,
    SwitchRow,
    RealSwitch,
    real_cr3_switch,
)
from .qemu import (
    OracleAnswer,
    OracleTally,
    qemu_oracle,
    real_probe,
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
    "real_probe",
]
