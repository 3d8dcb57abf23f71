"""Snapshots of a real 32-bit non-PAE Linux guest, captured under QEMU:

    >>> snap = load_snapshot(available_snapshots()[0])
    >>> snap.cr4 & CR4_PAE, snap.cr0 & CR0_PG != 0
    (0, True)

This module is a loader and nothing more. It knows the fixture format and the
few bits of CR0/CR3/CR4 it checks; it does not know addresses, roles, the
guest model or the shadow MMU, and imports nothing from shadowmmu.

What a snapshot holds (tools/capture_guest.py writes them; the README in
shadowmmu/data/ says how, with package versions and command line).
The virtual CPU was stopped, then we read:

* CR0, CR3, CR4 and the CPL from QEMU's ``info registers``;
* the page directory at CR3 and every page table one of its present,
  non-PSE PDEs points to, from a dump of guest RAM (``pmemsave``), keyed by
  guest frame number; nothing else of guest memory is kept;
* QEMU's own answers: ``info tlb`` (every leaf mapping), ``info mem``
  (ranges with the combined permissions) and ``gva2gpa`` for every mapped
  4 KiB page, a sample of the 4 MiB pages and a few hundred unmapped
  addresses. Those answers are the oracle the tests hold our walk against.

The file is one xz-compressed JSON object (``<name>.json.xz``, format
``shadowmmu-snapshot/1``): integers are JSON numbers, pages are base64 under
their frame number written in hex, an unmapped ``gva2gpa`` answer is
``null``. xz rather than gzip because the verbatim ``info tlb`` text and the
thousands of gva2gpa pairs shrink to half the size (tens of KB a file), and
lzma is in the standard library too. CI reads the files and never boots QEMU.
"""

from __future__ import annotations

import base64
import binascii
import json
import lzma
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

__all__ = [
    "CR0_PG",
    "CR4_PAE",
    "CR4_PSE",
    "FIXTURE_DIR",
    "FORMAT",
    "PAGE_SIZE",
    "Snapshot",
    "available_snapshots",
    "dump_snapshot",
    "load_snapshot",
]

FORMAT = "shadowmmu-snapshot/1"
PAGE_SIZE = 4096
CR0_PG = 1 << 31  # paging enabled
CR4_PSE = 1 << 4  # 4 MiB pages allowed in a 2-level walk
CR4_PAE = 1 << 5  # set would mean 3-level paging: not the guest we model

#: The committed snapshots: package data (shadowmmu/data/), found through importlib.resources
#: so that an installed wheel finds them as well as a checkout does.
FIXTURE_DIR = Path(str(files(__package__).joinpath("data")))

_U32 = (1 << 32) - 1

# One line of `info tlb` for a 32-bit guest: "00000000c0000000: 0000000000000000 --P-DA--W"
# (QEMU 7.2 prints 16 hex digits on both sides; older versions printed 8).
_TLB_LINE = re.compile(r"^\s*([0-9a-fA-F]+):\s+([0-9a-fA-F]+)\s+(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stopped moment of the guest: control registers, its page tables, QEMU's answers:

        >>> snap = Snapshot("tiny", cr0=0x80000001, cr3=0x1000, cr4=0x10, cpl=0,
        ...                 pages={1: bytes(4096)}, gva2gpa=((0, None),),
        ...                 info_tlb="", info_mem="")
        >>> snap.pd_gfn, snap.page_directory == bytes(4096)
        (1, True)

    ``pages`` maps guest frame number to exactly 4096 bytes: the page directory
    (frame ``cr3 >> 12``) and every page table it references. ``gva2gpa`` holds
    (va, gpa) pairs, gpa None where QEMU said "Unmapped". Construction checks
    the shape and raises ValueError naming what is wrong.
    """

    name: str
    cr0: int
    cr3: int
    cr4: int
    cpl: int
    pages: dict[int, bytes]
    gva2gpa: tuple[tuple[int, int | None], ...]
    info_tlb: str
    info_mem: str
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for reg in ("cr0", "cr3", "cr4"):
            value = getattr(self, reg)
            if not isinstance(value, int) or not 0 <= value <= _U32:
                raise ValueError(f"snapshot {self.name!r}: {reg} must be a 32-bit integer, got {value!r}")
        if self.cpl not in (0, 1, 2, 3):
            raise ValueError(f"snapshot {self.name!r}: cpl must be 0..3, got {self.cpl!r}")
        for gfn, data in self.pages.items():
            if not isinstance(gfn, int) or not 0 <= gfn <= _U32 >> 12:
                raise ValueError(f"snapshot {self.name!r}: page key {gfn!r} is not a guest frame number")
            if not isinstance(data, bytes) or len(data) != PAGE_SIZE:
                size = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
                raise ValueError(
                    f"snapshot {self.name!r}: page 0x{gfn:x} must be {PAGE_SIZE} bytes, got {size}"
                )
        if self.pd_gfn not in self.pages:
            raise ValueError(
                f"snapshot {self.name!r}: the page directory at cr3=0x{self.cr3:08x} "
                f"(frame 0x{self.pd_gfn:x}) is not among the pages"
            )
        pd = self.pages[self.pd_gfn]
        for index in range(1024):
            pde = int.from_bytes(pd[4 * index : 4 * index + 4], "little")
            # A present PDE points to a page table unless it maps a 4 MiB page itself.
            if pde & 1 and not (pde & 0x80 and self.cr4 & CR4_PSE) and pde >> 12 not in self.pages:
                raise ValueError(
                    f"snapshot {self.name!r}: PDE {index} (0x{pde:08x}) points to page table "
                    f"frame 0x{pde >> 12:x}, which is not among the pages"
                )
        for pair in self.gva2gpa:
            if len(pair) != 2:
                raise ValueError(f"snapshot {self.name!r}: gva2gpa entry {pair!r} is not a (va, gpa) pair")
            va, gpa = pair
            if not isinstance(va, int) or not 0 <= va <= _U32:
                raise ValueError(f"snapshot {self.name!r}: gva2gpa va {va!r} is not a 32-bit address")
            if gpa is not None and (not isinstance(gpa, int) or gpa < 0):
                raise ValueError(
                    f"snapshot {self.name!r}: gva2gpa answer {gpa!r} for va 0x{va:08x} is not an address"
                )

    @property
    def pd_gfn(self) -> int:
        """The guest frame number of the page directory, CR3 bits 31:12."""
        return self.cr3 >> 12

    @property
    def page_directory(self) -> bytes:
        """The 4096 bytes of the page directory at CR3 (1024 little-endian 4-byte PDEs)."""
        return self.pages[self.pd_gfn]

    def tlb_entries(self) -> list[tuple[int, int, str]]:
        """QEMU's ``info tlb`` as (va, pa, flags) tuples, one per leaf, in QEMU's order:

            >>> Snapshot("t", 0x80000001, 0x1000, 0x10, 0, {1: bytes(4096)}, (),
            ...          "00000000c0000000: 0000000000000000 --PDA---W\\n", "").tlb_entries()
            [(3221225472, 0, '--PDA---W')]

        The flags are QEMU's nine letters, NX G PSE D A PCD PWT U W, '-' for
        clear. Remember QEMU's quirks: a 4 KiB leaf shows the PTE's own U/W
        (``info mem`` combines them with the PDE's), PTE bit 7 is hidden, and
        a 4 MiB frame is printed masked to 2 MiB alignment.
        """
        entries = []
        for line in self.info_tlb.splitlines():
            if not line.strip():
                continue
            m = _TLB_LINE.match(line)
            if m is None:
                raise ValueError(f"snapshot {self.name!r}: unexpected info tlb line {line!r}")
            entries.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
        return entries


def _to_json(snap: Snapshot) -> dict:
    return {
        "format": FORMAT,
        "name": snap.name,
        "cr0": snap.cr0,
        "cr3": snap.cr3,
        "cr4": snap.cr4,
        "cpl": snap.cpl,
        "pages": {
            f"0x{gfn:x}": base64.b64encode(data).decode("ascii") for gfn, data in sorted(snap.pages.items())
        },
        "gva2gpa": [[va, gpa] for va, gpa in snap.gva2gpa],
        "info_tlb": snap.info_tlb,
        "info_mem": snap.info_mem,
        "meta": dict(snap.meta),
    }


def dump_snapshot(snap: Snapshot, path: str | Path) -> Path:
    """Write snap as xz-compressed JSON; the same snapshot always gives the same bytes:

        >>> import tempfile
        >>> snap = Snapshot("tiny", 0x80000001, 0x1000, 0x10, 0, {1: bytes(4096)}, (), "", "")
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     load_snapshot(dump_snapshot(snap, Path(tmp) / "tiny.json.xz")) == snap
        True
    """
    path = Path(path)
    text = json.dumps(_to_json(snap), indent=0, separators=(",", ":"))
    path.write_bytes(lzma.compress(text.encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
    return path


def _field(obj: dict, key: str, kind: type | tuple[type, ...], where: str):
    if key not in obj:
        raise ValueError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: field {key!r} has the wrong type ({type(value).__name__})")
    return value


def load_snapshot(path: str | Path) -> Snapshot:
    """Read one ``<name>.json.xz`` snapshot and check it:

        >>> snap = load_snapshot(available_snapshots()[0])
        >>> len(snap.page_directory)
        4096

    Raises ValueError, naming the file, for a file that is not xz'd JSON of
    format shadowmmu-snapshot/1, a page that is not 4096 bytes of base64, or a
    page directory (the frame in CR3) missing from the pages.
    """
    path = Path(path)
    where = str(path)
    try:
        obj = json.loads(lzma.decompress(path.read_bytes()).decode("utf-8"))
    except (lzma.LZMAError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{where}: not an xz-compressed JSON snapshot ({err})") from err
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if obj.get("format") != FORMAT:
        raise ValueError(f"{where}: format is {obj.get('format')!r}, expected {FORMAT!r}")

    pages = {}
    for key, text in _field(obj, "pages", dict, where).items():
        try:
            gfn = int(key, 16)
            data = base64.b64decode(text, validate=True)
        except (ValueError, TypeError, binascii.Error) as err:
            raise ValueError(f"{where}: page {key!r} is not a hex frame number with base64 ({err})") from err
        pages[gfn] = data

    gva2gpa = []
    for pair in _field(obj, "gva2gpa", list, where):
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"{where}: gva2gpa entry {pair!r} is not a [va, gpa] pair")
        gva2gpa.append((pair[0], pair[1]))

    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: field 'meta' has the wrong type ({type(meta).__name__})")
    try:
        return Snapshot(
            name=_field(obj, "name", str, where),
            cr0=_field(obj, "cr0", int, where),
            cr3=_field(obj, "cr3", int, where),
            cr4=_field(obj, "cr4", int, where),
            cpl=_field(obj, "cpl", int, where),
            pages=pages,
            gva2gpa=tuple(gva2gpa),
            info_tlb=_field(obj, "info_tlb", str, where),
            info_mem=_field(obj, "info_mem", str, where),
            meta={str(k): str(v) for k, v in meta.items()},
        )
    except ValueError as err:
        if str(err).startswith(where):
            raise
        raise ValueError(f"{where}: {err}") from err


def available_snapshots(directory: str | Path = FIXTURE_DIR) -> list[Path]:
    """The snapshot files in directory (default shadowmmu/data/), sorted by name:

        >>> [p.name for p in available_snapshots()][:1]  # doctest: +SKIP
        ['kernel-boot.json.xz']
    """
    return sorted(Path(directory).glob("*.json.xz"))
