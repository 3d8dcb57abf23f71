"""python -m shadowmmu ADDRESS...: both splits and both quadrants of each address, as a table or JSON.

Parses, calls ``decompose()``, prints; no arithmetic lives here. A bad
address gets a one-line message on stderr, the others are still reported, and
the exit status is 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from ._version import __version__
from .address import AddressError, decompose

#: Table columns: (header, Decomposition field, format).
COLUMNS = (
    ("address", "va", "0x{:08X}"),
    ("gPDE 31:22", "guest_pde_index", "{}"),
    ("gPTE 21:12", "guest_pte_index", "{}"),
    ("offset 11:0", "page_offset", "0x{:03X}"),
    ("PDPTE 31:30", "pdpte_index", "{}"),
    ("sPDE 29:21", "shadow_pde_index", "{}"),
    ("sPTE 20:12", "shadow_pte_index", "{}"),
    ("PD quadrant", "pd_quadrant", "{}"),
    ("PT quadrant", "pt_quadrant", "{}"),
)


def format_table(rows) -> str:
    """An aligned text table of Decompositions, one line each, right-aligned numbers."""
    cells = [[h for h, _, _ in COLUMNS]]
    cells += [[fmt.format(getattr(d, name)) for _, name, fmt in COLUMNS] for d in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="shadowmmu",
        description="Split 32-bit guest virtual addresses the way a non-PAE guest and "
                    "KVM's PAE shadow do, and name both role.quadrant values.",
        epilog="Addresses: hex (0xC0200000, c0200000, 0xC020_0000) or decimal (3221225472).",
    )
    parser.add_argument("--version", action="version", version=f"shadowmmu {__version__}")
    parser.add_argument("addresses", nargs="+", metavar="ADDRESS")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    rows, failed = [], False
    for text in args.addresses:
        try:
            rows.append(decompose(text))
        except AddressError as err:
            print(f"shadowmmu: {err}", file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps([{"address": f"0x{d.va:08X}", **asdict(d)} for d in rows], indent=2))
    elif rows:
        print(format_table(rows))
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
