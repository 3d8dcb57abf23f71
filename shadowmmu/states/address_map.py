"""Notebook 10's address map as a plain record: each address space's mapped VA ranges.

``address_map_record(spaces, title)`` takes ``sim.records.address_spaces()``
(frozen records of a guest's mappings) and gives the record
``frontend/address_map.js`` draws: a title and one row for the kernel half
every process shares (read from the first space), then one row per address
space's own half below the kernel base, each a list of ``[first VA, end VA)``
ranges, touching ranges joined. Data only: every position is the page's.

    >>> from shadowmmu.sim.records import AddressSpace
    >>> s = AddressSpace("p", 0x1000, 0xC0000000, ((0x1000, 0x1000, 0, 0), (0x2000, 0x1000, 0, 0),
    ...                                            (0xC0000000, 0x400000, 0, 0)))
    >>> address_map_record([s], "t")["rows"]
    [{'label': 'kernel (shared)', 'ranges': [[3221225472, 3225419776]]}, {'label': 'p', 'ranges': [[4096, 12288]]}]

Knows: the ``AddressSpace`` record's fields. Does not know HTML, SVG or widgets.
"""

from __future__ import annotations

VA_SPAN = 1 << 32


def _joined(ranges) -> list[list[int]]:
    """(va, size) pairs as sorted [first, end) ranges, overlapping or touching ones joined."""
    out: list[list[int]] = []
    for va, size in sorted(ranges):
        if out and va <= out[-1][1]:
            out[-1][1] = max(out[-1][1], va + size)
        else:
            out.append([va, va + size])
    return out


def address_map_record(spaces, title: str) -> dict:
    """The map's record (module docstring); ``spaces`` must hold at least one address space."""
    spaces = list(spaces)
    if not spaces:
        raise ValueError("address_map_record needs at least one address space (sim.records.address_spaces())")
    kernel_base = spaces[0].kernel_base if spaces[0].kernel_base is not None else VA_SPAN
    rows = [{"label": "kernel (shared)",
             "ranges": _joined((va, size) for va, size, _, _ in spaces[0].mappings if va >= kernel_base)}]
    rows += [{"label": s.name, "ranges": _joined((va, size) for va, size, _, _ in s.mappings if va < kernel_base)}
             for s in spaces]
    return {"title": str(title), "rows": rows}
