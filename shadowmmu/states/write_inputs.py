"""Notebook 07's write explorer: its inputs, checked and made canonical, and their vocabulary.

A store is named by its table ("pt", "pd", or "freed_pd": the page directory of an
exited process, cleared by a rep stos, not a page-table write), byte offset, size (1/2/4/8 bytes),
whether page tables may go unsync, and how many identical stores run (1..3: three
reach write flooding). ``normalise_inputs`` refuses anything else with a message
naming the input and what is valid; the page's parser follows the same words.

Knows: ``address.parse_number``, the table size. Does not know the simulator.
"""

from __future__ import annotations

from ..address import parse_number
from ..consts import PAGE_SIZE

TABLES = ("pt", "pd", "freed_pd")
SIZES = (1, 2, 4, 8)
STOS_SIZES = (1, 2, 4)  # stosb, stosw, stosd: no stosq outside 64-bit mode
MAX_STORES = 3
KEY_FIELDS = ("table", "offset", "size", "unsync", "stores")
TABLE_NAMES = {"pt": "guest page table", "pd": "guest page directory",
               "freed_pd": "freed guest page directory"}
#: The store's instruction per table: clear_page()'s rep stos into the freed directory,
#: a page-table write (mov) everywhere else.
PAGE_TABLE_WRITE = {"pt": True, "pd": True, "freed_pd": False}
ACTIONS = {"emulate": "emulated (write-tracked)", "unsync": "unsync: the store goes through",
           "store": "lands untrapped", "unprotect": "not a page-table write: unprotect and retry"}


def offset_limit(size: int) -> int:
    """The last byte offset a size-byte store may start at inside one 4 KiB table."""
    return PAGE_SIZE - size


def valid_offsets(size: int) -> str:
    """The range parse_number names for a size-byte store's offset (what the page's message says)."""
    top = offset_limit(size)
    return f"0x{0:0{len(f'{top:X}')}X}..0x{top:X}"


def normalise_inputs(inputs: dict) -> dict:
    """The inputs checked and canonical; ValueError names the input and what is valid:

        >>> normalise_inputs({"table": "pd", "offset": "0x080", "size": 4})
        {'table': 'pd', 'offset': 128, 'size': 4, 'unsync': True, 'stores': 1}

    The offset goes through ``address.parse_number`` with the range a store of
    this size allows (0..4096 - size), so the page's parser, which follows it,
    refuses the same offsets with the same words.
    """
    table = inputs.get("table", "pt")
    if table not in TABLES:
        raise ValueError(f"table {table!r} must be 'pt' (the guest page table), 'pd' (the guest page "
                         "directory) or 'freed_pd' (a freed page directory, cleared by rep stos)")
    size = inputs.get("size", 4)
    if isinstance(size, bool) or size not in SIZES:
        raise ValueError(f"size {size!r} must be 1, 2, 4 or 8 bytes")
    if not PAGE_TABLE_WRITE[table] and size not in STOS_SIZES:
        raise ValueError(f"size {size!r} cannot be a rep stos store into the {TABLE_NAMES[table]}: "
                         "a 32-bit guest's stos stores 1, 2 or 4 bytes")
    offset = parse_number(inputs.get("offset", 0x800), name="byte offset",
                          maximum=offset_limit(size), example="0x800")
    unsync = inputs.get("unsync", True)
    if not isinstance(unsync, bool):
        raise ValueError(f"unsync {unsync!r} must be true or false")
    stores = inputs.get("stores", 1)
    if isinstance(stores, bool) or not isinstance(stores, int) or not 1 <= stores <= MAX_STORES:
        raise ValueError(f"stores {stores!r} must be a whole number of identical stores in 1..{MAX_STORES}")
    return {"table": table, "offset": offset, "size": size, "unsync": unsync, "stores": stores}
