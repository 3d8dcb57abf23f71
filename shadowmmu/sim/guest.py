"""The guest: guest-physical memory holding real 32-bit page tables, and the builder of its address spaces (notebook 06).

This module knows guest-physical memory and how a guest lays out page tables
in it: address spaces (CR3s), a shared kernel half, mappings made and
removed. The paging format and the CPU's walk over it (``walk()``,
``GuestWalk``, ``GuestPageFault``) are ``sim.paging32``'s; ``Guest``'s walk
methods hand their memory to it. It does not know roles, quadrants, shadow
pages or the shadow MMU: a shadow MMU *attaches* as an observer and is told
about guest stores; the guest never asks it anything.

Memory is sparse: a dict from guest frame number (gfn) to a 4 KiB bytearray,
created on the first non-zero write. A frame never written reads as zeros, so
a 4 GiB guest-physical space costs nothing until it is used.

The builder hands out page-table frames from a reserved region at the top of
guest memory (``table_base_gfn`` up to the end; by default the top eighth, at
most 16 MiB), bumping upward and skipping frames already in use; frames are
never freed (unmapping clears entries only). Mappings take explicit
guest-physical targets. Address spaces share a kernel half, as a 32-bit Linux
guest with the 3G/1G split does: PDEs at or above ``kernel_base`` are the same
in every page directory, so kernel page tables are shared, and a kernel
mapping made through any CR3 is written into every page directory. The CPU
state the guest holds is CR4 (only its PSE bit matters, default on); CR0.PG
and CR0.WP are taken as set, CR4.PAE as clear.
"""

from __future__ import annotations

import struct
from typing import Iterable, Iterator, Mapping, Protocol

from ..address import check_va
from ..consts import CR4_PSE, PAGE_SHIFT, PAGE_SIZE, PT_PAGE_SIZE_MASK, PT_PRESENT_MASK, VA_MAX
from . import paging32
from .paging32 import (LARGE_PAGE_SHIFT, LARGE_PAGE_SIZE, PT32_ENTRIES, TABLE_PDE_FLAGS, GuestPageFault,
                       GuestWalk, WalkEntries, is_large, leaf_flags, pte_gpa_of)

#: The top eighth of memory, at most this many frames (16 MiB), holds tables.
DEFAULT_MAX_TABLE_PAGES = 4096
GUEST_PHYS_MAX = 1 << 32
KERNEL_BASE = 0xC0000000  # Linux's PAGE_OFFSET with the 3G/1G split

_U32 = struct.Struct("<I")
_WRITE_SIZES = (1, 2, 4, 8)


class StoreObserver(Protocol):
    """What an attached shadow MMU must offer: to be told about every guest store."""

    def track_store(self, gpa: int, size: int, value: int) -> None: ...


class Guest:
    """A 32-bit non-PAE guest: sparse guest-physical memory, page tables in it, and their walk:

        >>> g = Guest(64 << 20)
        >>> cr3 = g.new_address_space()
        >>> g.map_4m(cr3, 0xC0000000, 0x0)          # kernel direct map, 4 MiB page
        >>> g.map_4k(cr3, 0x08048000, 0x123000, writable=False)
        >>> hex(g.walk(cr3, 0xC0123456).gpa), hex(g.walk(cr3, 0x08048010).gpa)
        ('0x123456', '0x123010')
        >>> other = g.new_address_space()           # shares the kernel half
        >>> hex(g.walk(other, 0xC0123456).gpa)
        '0x123456'

    ``mem_size`` bytes of guest-physical memory (a multiple of 4 KiB, at most
    4 GiB); the top ``table_pages`` frames are the page-table region.
    ``kernel_base`` (None for no sharing) is where the shared kernel half
    starts; it must be 4 MiB aligned.
    """

    def __init__(self, mem_size: int = 64 << 20, *, cr4: int = CR4_PSE,
                 kernel_base: int | None = KERNEL_BASE, table_pages: int | None = None):
        if (isinstance(mem_size, bool) or not isinstance(mem_size, int)
                or not PAGE_SIZE <= mem_size <= GUEST_PHYS_MAX or mem_size % PAGE_SIZE):
            raise ValueError(f"mem_size {mem_size!r} must be a multiple of 4096 in 4 KiB..4 GiB")
        if kernel_base is not None and (check_va(kernel_base, "kernel_base") % LARGE_PAGE_SIZE):
            raise ValueError(f"kernel_base 0x{kernel_base:08x} must be 4 MiB aligned")
        frames = mem_size >> PAGE_SHIFT
        if table_pages is None:
            table_pages = max(1, min(frames // 8, DEFAULT_MAX_TABLE_PAGES))
        if not 1 <= table_pages <= frames:
            raise ValueError(f"table_pages {table_pages} must be in 1..{frames}")
        self.mem_size = mem_size
        self.cr4 = cr4
        self.kernel_base = kernel_base
        self.table_base_gfn = frames - table_pages
        self._next_table_gfn = self.table_base_gfn
        self._frames: dict[int, bytearray] = {}
        self._tables: set[int] = set()  # frames the builder allocated as tables
        self._address_spaces: list[int] = []  # CR3 values, in creation order
        self._kernel_pd: int | None = None  # the reference kernel half (swapper_pg_dir)
        self._observers: list[StoreObserver] = []

    # -- construction from a dump ----------------------------------------------------

    @classmethod
    def from_pages(cls, pages: Mapping[int, bytes], *, cr3: int, cr4: int,
                   mem_size: int = GUEST_PHYS_MAX, kernel_base: int | None = KERNEL_BASE) -> "Guest":
        """A guest whose memory is the given frames (gfn -> 4096 bytes), the rest zero:

            >>> pd = bytearray(4096); pd[4 * 768:4 * 769] = (0xC00000E7).to_bytes(4, "little")
            >>> g = Guest.from_pages({0x10: bytes(pd)}, cr3=0x10000, cr4=0x10)
            >>> hex(g.walk(0x10000, 0xC0001234).gpa), g.address_spaces
            ('0xc0001234', (65536,))
            >>> Guest.from_pages({0x10: bytes(pd)}, cr3=0x10000, cr4=0).walk(0x10000, 0xC0001234)
            Traceback (most recent call last):
            ...
            shadowmmu.sim.paging32.GuestPageFault: #PF at 0xc0001234 (read, supervisor): PTE not present

        With CR4.PSE clear the same PDE points at a page table at frame
        0xC0000 (which reads as zeros), as on the CPU. ``cr3`` becomes the
        first address space and the reference kernel half for
        new_address_space(). A real dump (shadowmmu.snapshot) fits directly:
        ``Guest.from_pages(snap.pages, cr3=snap.cr3, cr4=snap.cr4)``.
        """
        guest = cls(mem_size, cr4=cr4, kernel_base=kernel_base)
        cls._load_pages(guest, pages, cr3)
        return guest

    def _load_pages(self, pages: Mapping[int, bytes], cr3: int) -> None:
        mem_size = self.mem_size
        for gfn, data in pages.items():
            if isinstance(gfn, bool) or not isinstance(gfn, int) or not 0 <= gfn < mem_size >> PAGE_SHIFT:
                raise ValueError(f"page key {gfn!r} is not a guest frame number below 0x{mem_size >> PAGE_SHIFT:x}")
            if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) != PAGE_SIZE:
                raise ValueError(f"page 0x{gfn:x} must be {PAGE_SIZE} bytes")
            if any(data):
                self._frames[gfn] = bytearray(data)
        self._adopt_cr3(cr3)

    def adopt_address_space(self, cr3: int) -> int:
        """Take a page directory already in guest memory as one more address space:

            >>> pd = bytearray(4096); pd[4 * 768:4 * 769] = (0xC00000E7).to_bytes(4, "little")
            >>> g = Guest.from_pages({0x10: bytes(pd), 0x11: bytes(pd)}, cr3=0x10000, cr4=0x10)
            >>> g.adopt_address_space(0x11000) in g.address_spaces
            True

        For dumps of several processes of one guest (two CR3s, one memory):
        nothing is copied, the directory is used as it is.
        """
        if cr3 in self._address_spaces:
            return cr3
        return self._adopt_cr3(cr3)

    def _adopt_cr3(self, cr3: int) -> int:
        pd_gfn = self.cr3_gfn(cr3, known=False)
        self._address_spaces.append(cr3)
        if self._kernel_pd is None:
            self._kernel_pd = pd_gfn
        return cr3

    # -- physical memory -------------------------------------------------------------

    def _check_access(self, gpa: int, size: int) -> None:
        if size not in _WRITE_SIZES:
            raise ValueError(f"size {size!r} must be one of 1, 2, 4, 8")
        if isinstance(gpa, bool) or not isinstance(gpa, int) or not 0 <= gpa <= self.mem_size - size:
            raise ValueError(f"gpa {gpa!r} is outside guest memory (0..0x{self.mem_size - 1:x})")
        if (gpa & (PAGE_SIZE - 1)) + size > PAGE_SIZE:
            raise ValueError(f"a {size}-byte access at gpa 0x{gpa:x} crosses a 4 KiB page boundary")

    def read(self, gpa: int, size: int = 4) -> int:
        """The little-endian value of size bytes at gpa (zero where never written):

            >>> g = Guest(1 << 20); g.write(0x1000, 0x11223344); hex(g.read(0x1002, 2))
            '0x1122'
        """
        self._check_access(gpa, size)
        frame = self._frames.get(gpa >> PAGE_SHIFT)
        if frame is None:
            return 0
        off = gpa & (PAGE_SIZE - 1)
        return int.from_bytes(frame[off:off + size], "little")

    def read32(self, gpa: int) -> int:
        """A 4-byte entry at gpa, unchecked: the fast path of the walks."""
        frame = self._frames.get(gpa >> PAGE_SHIFT)
        return 0 if frame is None else _U32.unpack_from(frame, gpa & 0xFFF)[0]

    def write(self, gpa: int, value: int, size: int = 4) -> None:
        """Store value at gpa *as the hypervisor does*: raw, nobody is told.

        Use store() for a write by the guest CPU, which an attached shadow MMU
        must see.
        """
        self._check_access(gpa, size)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << (8 * size):
            raise ValueError(f"value {value!r} does not fit in {size} byte(s)")
        self._raw_write(gpa, value, size)

    def update_entry(self, gpa: int, value: int) -> None:
        """An unchecked 4-byte write by the hypervisor, for the A/D bits KVM sets in guest entries."""
        self._raw_write(gpa, value, 4)

    def _raw_write(self, gpa: int, value: int, size: int) -> None:
        gfn = gpa >> PAGE_SHIFT
        frame = self._frames.get(gfn)
        if frame is None:
            if not value:
                return
            frame = self._frames[gfn] = bytearray(PAGE_SIZE)
        off = gpa & (PAGE_SIZE - 1)
        frame[off:off + size] = value.to_bytes(size, "little")

    def store(self, gpa: int, value: int, size: int = 4) -> None:
        """A guest CPU store: the bytes land, then every attached observer is told.

        The order is the emulator's: memory is written first, then the write
        is reported (kvm_page_track_write(), Linux 6.6+).
        """
        self.write(gpa, value, size)
        for observer in self._observers:
            observer.track_store(gpa, size, value)

    def attach(self, observer: StoreObserver) -> None:
        """Tell observer (a shadow MMU) about every later store() and builder edit."""
        if observer not in self._observers:
            self._observers.append(observer)

    def detach(self, observer: StoreObserver) -> None:
        if observer in self._observers:
            self._observers.remove(observer)

    # -- the page-table builder ------------------------------------------------------

    def alloc_table(self) -> int:
        """A fresh, zeroed frame from the page-table region; returns its gfn."""
        end = self.mem_size >> PAGE_SHIFT
        gfn = self._next_table_gfn
        while gfn < end and (gfn in self._frames or gfn in self._tables):
            gfn += 1
        if gfn >= end:
            raise ValueError(
                f"out of page-table frames: the region 0x{self.table_base_gfn:x}..0x{end - 1:x} is full"
            )
        self._next_table_gfn = gfn + 1
        self._tables.add(gfn)
        return gfn

    def new_address_space(self) -> int:
        """A new page directory, its kernel half copied from the first one; returns its CR3."""
        pd_gfn = self.alloc_table()
        cr3 = pd_gfn << PAGE_SHIFT
        if self._kernel_pd is not None and self.kernel_base is not None:
            for index in range(self.kernel_base >> LARGE_PAGE_SHIFT, PT32_ENTRIES):
                pde = self.read32((self._kernel_pd << PAGE_SHIFT) | index << 2)
                if pde:
                    self._set_entry((pd_gfn << PAGE_SHIFT) | index << 2, pde)
        return self._adopt_cr3(cr3)

    @property
    def address_spaces(self) -> tuple[int, ...]:
        """The CR3 values created (or adopted by from_pages), oldest first."""
        return tuple(self._address_spaces)

    def cr3_gfn(self, cr3: int, *, known: bool = True) -> int:
        """The page-directory frame of cr3, checked: a 32-bit value inside guest memory and,
        when known, one of this guest's address spaces; ValueError otherwise."""
        if isinstance(cr3, bool) or not isinstance(cr3, int) or not 0 <= cr3 <= VA_MAX:
            raise ValueError(f"cr3 {cr3!r} is not a 32-bit value")
        gfn = cr3 >> PAGE_SHIFT
        if gfn >= self.mem_size >> PAGE_SHIFT:
            raise ValueError(f"cr3 0x{cr3:08x} points outside guest memory")
        if known and cr3 not in self._address_spaces:
            raise ValueError(f"cr3 0x{cr3:08x} is not an address space of this guest "
                             f"(known: {', '.join(hex(c) for c in self._address_spaces) or 'none'})")
        return gfn

    def _set_entry(self, gpa: int, value: int) -> None:
        # Builder edits are guest stores: an attached shadow MMU must see them.
        if self._observers:
            self.store(gpa, value, 4)
        else:
            self._raw_write(gpa, value, 4)

    def _pde_gpas(self, cr3: int, va: int) -> list[int]:
        """Where the PDE for va lives: in every page directory for a kernel address."""
        index = va >> LARGE_PAGE_SHIFT
        if self.kernel_base is not None and va >= self.kernel_base:
            return [((c >> PAGE_SHIFT) << PAGE_SHIFT) | index << 2 for c in self._address_spaces]
        return [((cr3 >> PAGE_SHIFT) << PAGE_SHIFT) | index << 2]

    def _check_target(self, gpa: int, align: int) -> None:
        if isinstance(gpa, bool) or not isinstance(gpa, int) or not 0 <= gpa < self.mem_size:
            raise ValueError(f"gpa {gpa!r} is outside guest memory (0..0x{self.mem_size - 1:x})")
        if gpa % align:
            raise ValueError(f"gpa 0x{gpa:x} is not {'4 MiB' if align == LARGE_PAGE_SIZE else '4 KiB'} aligned")

    def map_4k(self, cr3: int, va: int, gpa: int, *, writable: bool = True, user: bool = True,
               global_: bool = False, accessed: bool = False, dirty: bool = False) -> None:
        """Map the 4 KiB page at va to gpa, allocating a page table if the PDE has none:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space()
            >>> g.map_4k(cr3, 0x00200000, 0x7000, user=False)
            >>> hex(g.read(g.walk(cr3, 0x00200000).pte_gpa))    # PTE 512: frame 7, W P
            '0x7003'

        A PDE that mapped a 4 MiB page is replaced by a new page table (the
        guest splits its large page; the other 1023 entries start empty).
        """
        check_va(va)
        if va % PAGE_SIZE:
            raise ValueError(f"va 0x{va:08x} is not 4 KiB aligned")
        self._check_target(gpa, PAGE_SIZE)
        pd_gfn = self.cr3_gfn(cr3)
        pde = self.read32((pd_gfn << PAGE_SHIFT) | (va >> LARGE_PAGE_SHIFT) << 2)
        if not pde & PT_PRESENT_MASK or is_large(pde, self.cr4):
            pt_gfn = self.alloc_table()
            pde = (pt_gfn << PAGE_SHIFT) | TABLE_PDE_FLAGS
            for pde_gpa in self._pde_gpas(cr3, va):
                self._set_entry(pde_gpa, pde)
        pte_gpa = pte_gpa_of(pde, va)
        self._set_entry(pte_gpa, gpa | leaf_flags(writable, user, global_, accessed, dirty))

    def map_4m(self, cr3: int, va: int, gpa: int, *, writable: bool = True, user: bool = True,
               global_: bool = False, accessed: bool = False, dirty: bool = False) -> None:
        """Map the 4 MiB PSE page at va to gpa (both 4 MiB aligned; needs CR4.PSE):

            >>> g = Guest(16 << 20); cr3 = g.new_address_space()
            >>> g.map_4m(cr3, 0x00400000, 0x800000, user=False)
            >>> hex(g.read(g.walk(cr3, 0x00400000).pde_gpa))     # PDE 1: PS W P
            '0x800083'

        A PDE that pointed at a page table is replaced; the table is left as it is.
        """
        check_va(va)
        if not self.cr4 & CR4_PSE:
            raise ValueError("4 MiB pages need CR4.PSE, which this guest has clear")
        if va % LARGE_PAGE_SIZE:
            raise ValueError(f"va 0x{va:08x} is not 4 MiB aligned")
        self._check_target(gpa, LARGE_PAGE_SIZE)
        self.cr3_gfn(cr3)
        pde = gpa | PT_PAGE_SIZE_MASK | leaf_flags(writable, user, global_, accessed, dirty)
        for pde_gpa in self._pde_gpas(cr3, va):
            self._set_entry(pde_gpa, pde)

    def unmap(self, cr3: int, va: int) -> bool:
        """Clear the entry that maps va (the PTE, or the PDE of a 4 MiB page); False if none did:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space(); g.map_4k(cr3, 0x1000, 0x2000)
            >>> g.unmap(cr3, 0x1000), g.unmap(cr3, 0x1000)
            (True, False)

        Page tables are not freed, even when they become empty.
        """
        check_va(va)
        pd_gfn = self.cr3_gfn(cr3)
        pde = self.read32((pd_gfn << PAGE_SHIFT) | (va >> LARGE_PAGE_SHIFT) << 2)
        if not pde & PT_PRESENT_MASK:
            return False
        if is_large(pde, self.cr4):
            for pde_gpa in self._pde_gpas(cr3, va):
                self._set_entry(pde_gpa, 0)
            return True
        pte_gpa = pte_gpa_of(pde, va)
        if not self.read32(pte_gpa) & PT_PRESENT_MASK:
            return False
        self._set_entry(pte_gpa, 0)
        return True

    # -- the walk (sim.paging32) -----------------------------------------------------

    def walk_entries(self, pd_gfn: int, va: int, write: bool = False, user: bool = False) -> WalkEntries:
        """The walk as a paging32.WalkEntries (gpa, level, pde_gpa, pde, pte_gpa, pte, writable, user):

        the fast form the shadow MMU's fault path calls, 2**20 times in the
        benchmark (paging32.walk_entries() over this memory). Raises
        GuestPageFault like walk(); does not check its input.
        """
        return paging32.walk_entries(self.read32, self.mem_size, self.cr4, pd_gfn, va, write, user)

    def walk(self, cr3: int, va: int, *, write: bool = False, user: bool = False) -> GuestWalk:
        """What the CPU's 2-level walk gives for (CR3, va, access), or GuestPageFault:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space()
            >>> g.map_4k(cr3, 0x1000, 0x2000, writable=False)
            >>> g.walk(cr3, 0x1000, write=True)
            Traceback (most recent call last):
            ...
            shadowmmu.sim.paging32.GuestPageFault: #PF at 0x00001000 (write, supervisor): write to a read-only page

        Pure: accessed and dirty bits are left alone (see the module doc).
        """
        check_va(va)
        pd_gfn = self.cr3_gfn(cr3, known=False)
        return GuestWalk(va, *self.walk_entries(pd_gfn, va, write, user))

    def translate(self, cr3: int, va: int) -> int | None:
        """The guest-physical address va maps to, ignoring permissions; None if not mapped."""
        try:
            return self.walk(cr3, va).gpa
        except GuestPageFault:
            return None

    # -- inspection ------------------------------------------------------------------

    def mappings(self, cr3: int) -> Iterator[tuple[int, int, int, int]]:
        """Every present leaf of an address space as (va, size, gpa, entry), by address:

            >>> g = Guest(16 << 20); cr3 = g.new_address_space(); g.map_4k(cr3, 0xC0000000, 0x3000)
            >>> [(hex(va), size, hex(gpa)) for va, size, gpa, _ in g.mappings(cr3)]
            [('0xc0000000', 4096, '0x3000')]
        """
        pd_gfn = self.cr3_gfn(cr3, known=False)
        return paging32.leaves(self.read32, self._frames.get, self.cr4, pd_gfn)

    def table_frames(self, cr3s: Iterable[int] | None = None) -> set[int]:
        """The gfns of the page directories and page tables reachable from the address spaces."""
        out: set[int] = set()
        for cr3 in self._address_spaces if cr3s is None else cr3s:
            out |= paging32.table_gfns(self.read32, self.cr4, self.cr3_gfn(cr3, known=False))
        return out
