"""Notebook 07's in-page explorer: a guest store into its page table or directory, step by step.

``guest_write_explorer()`` returns a ``WriteExplorer``: the record of
``states.writes.write_record`` for the reader's store (table, byte offset,
size, unsync switch, number of identical stores; the "freed_pd" table is a freed
page directory cleared by rep stos, the unprotect-and-retry path), drawn by ``writes.js`` on
the guest table and the shadow pages of its gfn, revealed one step at a time
with "predict, then see" questions. Its default ``space`` holds the records
for notebook 07's preset stores, in every size, with unsync on and off, and
three stores in a row for the page directory (flooding); any other store
needs the live notebook (a kernel).

Knows: ``SimExplorer``, ``states.writes``. Does not know the simulator.
"""

from __future__ import annotations

from itertools import product

from ..states.write_inputs import (
    KEY_FIELDS,
    MAX_STORES,
    PAGE_TABLE_WRITE,
    SIZES,
    STOS_SIZES,
    TABLE_NAMES,
    normalise_inputs,
    offset_limit,
    valid_offsets,
)
from ..states.writes import write_record
from .simexplorer import SimExplorer

#: Notebook 07's stores: (label, table, byte offset, size, stores). The byte offsets
#: follow notebooks 03 and 04: 0x000 is gPTE 0 (PT quadrant 0), 0x800 gPTE 512
#: (quadrant 1), PD byte 0x080 guest PDE 32 (PD quadrant 0), 0xC00 PDE 768 (quadrant 3).
#: The last clears the directory of an exited process with rep stos: the unprotect path.
PRESETS = (
    ("PTE write", "pt", 0x000, 4, 1),
    ("PTE write, upper half", "pt", 0x800, 4, 1),
    ("1-byte PTE store", "pt", 0x000, 1, 1),
    ("misaligned 2-byte store", "pt", 0x002, 2, 1),
    ("8-byte PTE store", "pt", 0x000, 8, 1),
    ("PDE write", "pd", 0x080, 4, 1),
    ("8-byte PDE store", "pd", 0x080, 8, 1),
    ("PDE write, quadrant 3", "pd", 0xC00, 4, 1),
    ("write flooding: 3 PDE stores", "pd", 0x080, 4, 3),
    ("the guest clears a freed page directory", "freed_pd", 0x000, 4, 1),
)


def default_space() -> list[dict]:
    """Every preset's table and offset, in every size that fits, unsync on and off; for the
    page directory (the one that can flood) also three stores in a row; for the freed
    directory only the sizes a rep stos has (1, 2, 4)."""
    places = dict.fromkeys((table, offset) for _, table, offset, _, _ in PRESETS)
    return [{"table": table, "offset": offset, "size": size, "unsync": unsync, "stores": stores}
            for (table, offset), size, unsync, stores in product(places, SIZES, (True, False), (1, MAX_STORES))
            if offset <= offset_limit(size) and (stores == 1 or table == "pd")
            and (PAGE_TABLE_WRITE[table] or size in STOS_SIZES)]


class WriteExplorer(SimExplorer):
    """Notebook 07: store into the guest's PT or PD and watch, step by step, what KVM zaps or skips."""

    bundle = "writes"
    draw_function = "drawWrite"
    key_fields = KEY_FIELDS
    static_note = ("This is a static page with no Python kernel: the write explorer answers from the "
                   "stores the simulator ran when the site was built (the presets' tables and offsets, "
                   "every size a store there can have, unsync on and off, and three stores in a row for "
                   "the page directory).")

    explorer_kind = "guest-write"
    record_kind = "write"
    check_inputs = staticmethod(normalise_inputs)
    make_record = staticmethod(write_record)

    def extra_spec(self) -> dict:
        return {"write_presets": [
            {"label": label, "table": table, "offset": offset, "size": size, "stores": stores}
            for label, table, offset, size, stores in PRESETS],
            "sizes": list(SIZES), "max_stores": MAX_STORES, "tables": dict(TABLE_NAMES),
            "offsets": {str(size): {"max": offset_limit(size), "valid_range": valid_offsets(size)}
                        for size in SIZES}}


def guest_write_explorer(table: str = "pt", offset: int | str = 0x800, size: int = 4,
                         unsync: bool = True, stores: int = 1, space=None) -> WriteExplorer:
    """Notebook 07's write explorer, showing this store first; ``space`` defaults to default_space():

        >>> x = guest_write_explorer("pd", 0x080, 4)
        >>> x.kind, x.key, len(x.states) == len(default_space())
        ('guest-write', 'pd|128|4|1|1', True)
    """
    return WriteExplorer({"table": table, "offset": offset, "size": size, "unsync": unsync,
                          "stores": stores}, space=default_space() if space is None else space)
