"""Snapshots of a real 32-bit non-PAE Linux guest, captured under QEMU:

    >>> snap = load_snapshot(available_snapshots()[0])
    >>> snap.cr4 & CR4_PAE, snap.cr0 & CR0_PG != 0
    (0, True)

This module is a loader and nothing more. It knows the fixture format and the
few bits of CR0/CR3/CR4 it checks; it does not know addresses, roles, the
guest model or the shadow MMU, and imports from shadowmmu only
bounded_read, which reads the xz + JSON container with bounded time and
memory. A snapshot file may come from anyone: load_snapshot() refuses,
with a message naming the file, what is wrong and what was expected,
anything that is not a real capture's shape (see its docstring for the list).

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

from .bounded_read import MAX_EXPANDED_BYTES, read_xz_json, short

__all__ = [
    "CR0_PG",
    "CR4_PAE",
    "CR4_PSE",
    "FIXTURE_DIR",
    "FORMAT",
    "MAX_EXPANDED_BYTES",
    "MAX_PAGES",
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

#: The page directory and at most 1024 page tables, one per PDE.
MAX_PAGES = 1025
_FIELDS = frozenset({"format", "name", "cr0", "cr3", "cr4", "cpl", "pages", "gva2gpa",
                     "info_tlb", "info_mem", "meta"})
_PAGE_KEY = re.compile(r"0x[0-9a-fA-F]+")
_MAX_GFN = _U32 >> 12
_PAGE_B64 = 4 * ((PAGE_SIZE + 2) // 3)  # 5464 characters
_MAX_NAME = 200

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
        if not self.cr0 & CR0_PG:
            raise ValueError(f"snapshot {self.name!r}: cr0 0x{self.cr0:08x} has PG (bit 31) clear, "
                             f"so the guest was not paging; expected CR0.PG set")
        if self.cr4 & CR4_PAE:
            raise ValueError(f"snapshot {self.name!r}: cr4 0x{self.cr4:08x} has PAE (bit 5) set, a "
                             f"3-level guest; expected CR4.PAE clear (2-level, non-PAE paging)")
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
                f"(frame 0x{self.pd_gfn:x}) is not among the pages; expected it there"
            )
        pd = self.pages[self.pd_gfn]
        for index in range(1024):
            pde = int.from_bytes(pd[4 * index : 4 * index + 4], "little")
            # A present PDE points to a page table unless it maps a 4 MiB page itself.
            if pde & 1 and not (pde & 0x80 and self.cr4 & CR4_PSE) and pde >> 12 not in self.pages:
                raise ValueError(
                    f"snapshot {self.name!r}: PDE {index} (0x{pde:08x}) points to page table "
                    f"frame 0x{pde >> 12:x}, which is not among the pages; expected every "
                    f"page table the directory names"
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
        raise ValueError(f"{where}: missing field {key!r}; expected every field of {FORMAT}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: field {key!r} has the wrong type ({type(value).__name__}); "
                         f"expected {getattr(kind, '__name__', kind)}")
    return value


def _pages(obj: dict, where: str) -> dict[int, bytes]:
    """The pages field, checked before anything is decoded: count, keys, frames, text length."""
    raw = _field(obj, "pages", dict, where)
    if len(raw) > MAX_PAGES:
        raise ValueError(f"{where}: {len(raw)} pages; expected at most {MAX_PAGES} "
                         f"(the page directory and at most 1024 page tables)")
    pages: dict[int, bytes] = {}
    keys: dict[int, str] = {}
    for key, text in raw.items():
        if not _PAGE_KEY.fullmatch(key):
            raise ValueError(f"{where}: page {short(key)} is not a hex frame number with base64; "
                             f"expected a key like '0x1e73'")
        gfn = int(key, 16) if len(key) <= 12 else 1 << 64
        if gfn > _MAX_GFN:
            raise ValueError(f"{where}: page {short(key)} is outside 32-bit physical space; "
                             f"expected a frame number 0x0..0x{_MAX_GFN:x}")
        if gfn in keys:
            raise ValueError(f"{where}: pages {keys[gfn]!r} and {key!r} are both frame 0x{gfn:x}; "
                             f"expected each frame once")
        keys[gfn] = key
        if not isinstance(text, str):
            raise ValueError(f"{where}: page {key!r} is a {type(text).__name__}; expected base64 text")
        if len(text) > _PAGE_B64:
            raise ValueError(f"{where}: page 0x{gfn:x} must be {PAGE_SIZE} bytes, got more "
                             f"({len(text)} base64 characters, expected {_PAGE_B64})")
        try:
            pages[gfn] = base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error) as err:
            raise ValueError(f"{where}: page {key!r} is not a hex frame number with base64 "
                             f"of {PAGE_SIZE} bytes ({err})") from None
    return pages


def _gva2gpa(obj: dict, where: str) -> tuple:
    pairs = []
    for pair in _field(obj, "gva2gpa", list, where):
        if (not isinstance(pair, list) or len(pair) != 2
                or any(isinstance(x, bool) for x in pair)):
            raise ValueError(f"{where}: gva2gpa entry {short(pair)} is not a [va, gpa] pair; "
                             f"expected two integers, or an integer and null")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def load_snapshot(path: str | Path, *, max_bytes: int = MAX_EXPANDED_BYTES) -> Snapshot:
    """Read one ``<name>.json.xz`` snapshot and check it, with bounded time and memory:

        >>> snap = load_snapshot(available_snapshots()[0])
        >>> len(snap.page_directory)
        4096

    The file is decompressed in 64 KiB steps and refused as soon as it
    expands past ``max_bytes`` (default MAX_EXPANDED_BYTES, 4 MiB); the JSON
    must be one object of format shadowmmu-snapshot/1 with exactly the
    known fields, integers only, no key twice; then, before any page is
    decoded, at most MAX_PAGES pages, keys that are frame numbers in 32-bit
    physical space (no frame twice), each 4096 bytes of base64; and the
    Snapshot checks (CR0.PG set, CR4.PAE clear, CR3's frame and every page
    table the directory names present). Every refusal is a ValueError that
    starts with the file name, says what is wrong and what was expected.
    """
    path = Path(path)
    where = str(path)
    obj = read_xz_json(path, where, max_bytes)
    if obj.get("format") != FORMAT:
        raise ValueError(f"{where}: format is {short(obj.get('format'))}, expected {FORMAT!r}")
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise ValueError(f"{where}: unknown field{'s' if len(unknown) > 1 else ''} "
                         f"{short(unknown)}; expected only {', '.join(sorted(_FIELDS))}")
    name = _field(obj, "name", str, where)
    if len(name) > _MAX_NAME:
        raise ValueError(f"{where}: name of {len(name)} characters; expected at most {_MAX_NAME}")
    pages = _pages(obj, where)
    gva2gpa = _gva2gpa(obj, where)
    meta = obj.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError(f"{where}: field 'meta' must map names to text, got {short(meta)}")
    try:
        return Snapshot(
            name=name,
            cr0=_field(obj, "cr0", int, where),
            cr3=_field(obj, "cr3", int, where),
            cr4=_field(obj, "cr4", int, where),
            cpl=_field(obj, "cpl", int, where),
            pages=pages,
            gva2gpa=gva2gpa,
            info_tlb=_field(obj, "info_tlb", str, where),
            info_mem=_field(obj, "info_mem", str, where),
            meta=dict(meta),
        )
    except ValueError as err:
        if str(err).startswith(where):
            raise
        raise ValueError(f"{where}: {err}") from None


def available_snapshots(directory: str | Path = FIXTURE_DIR) -> list[Path]:
    """The snapshot files in directory (default shadowmmu/data/), sorted by name:

        >>> [p.name for p in available_snapshots()][:1]  # doctest: +SKIP
        ['kernel-boot.json.xz']
    """
    return sorted(Path(directory).glob("*.json.xz"))
