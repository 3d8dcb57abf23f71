"""Trace events: what the simulator did, one plain record per step (notebooks 06-08).

This module knows roles and nothing else. It does not know guest memory, the
walk or the shadow MMU: ``guest`` and ``mmu`` create these records, ``views``
renders them. Every event is a frozen, slotted dataclass of ints, strings and
roles, so a trace can be compared, pickled or turned into a table, and each
has a one-line ``describe()`` for a step-by-step listing:

    >>> from shadowmmu.role import PageRole
    >>> ShadowPageCreated(gfn=0x3FF, role=PageRole(level=1, has_4_byte_gpte=True, quadrant=1),
    ...                   hpa=0x100003000).describe()
    'create shadow page gfn 0x3ff L1 q1 at hpa 0x100003000'

A fault's events come in the order the hardware and KVM take the steps: the
CPU's walk of the shadow tables (``ShadowWalkStep``, walker "cpu"; no KVM
code), its miss (``ShadowPageFault``), FNAME(page_fault)'s walk of the
guest's tables (``GuestWalkStep``, FNAME(walk_addr)), then FNAME(fetch)'s
walk of the shadow tables from the root (``ShadowWalkStep``, walker "fetch",
shadow_walk_init_using_root()) with the pages it finds or creates and the
sPTEs it installs. Other names follow the kernel step they stand for:
``SpteInstalled`` is mmu_set_spte(), ``SpteZapped`` mmu_page_zap_pte(),
``QuadrantSkip`` the NULL return of get_written_sptes().
"""

from __future__ import annotations

from dataclasses import dataclass

from ..role import PageRole


def _role(role: PageRole) -> str:
    return role.describe()


@dataclass(frozen=True, slots=True)
class GuestWalkStep:
    """One level of the guest's own walk: the entry read and what it said:

        >>> GuestWalkStep(level=2, table_gfn=0x3FF, index=768, entry_gpa=0x3FFC00,
        ...               entry=0x3FE027).describe()
        'guest PDE 768 at gpa 0x3ffc00 = 0x003fe027'
    """

    level: int
    table_gfn: int
    index: int
    entry_gpa: int
    entry: int

    def describe(self) -> str:
        name = "PDE" if self.level == 2 else "PTE"
        return f"guest {name} {self.index} at gpa 0x{self.entry_gpa:x} = 0x{self.entry:08x}"


@dataclass(frozen=True, slots=True)
class GuestFaultInjected:
    """The guest's tables do not allow the access; KVM injects #PF into the guest:

        >>> GuestFaultInjected(va=0x1000, reason="pte not present").describe()
        'inject #PF at 0x00001000: pte not present'
    """

    va: int
    reason: str

    def describe(self) -> str:
        return f"inject #PF at 0x{self.va:08x}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ShadowWalkStep:
    """One step of a walk of the shadow tables: the sPTE read at level `level` (3 = pae_root).

    ``walker`` says who walks: "cpu", the hardware's own walk on a guest
    access (no KVM code runs), or "fetch", FNAME(fetch) walking from the root
    (shadow_walk_init_using_root()) after the guest walk:

        >>> ShadowWalkStep(level=3, index=3, spte=0x100000001).describe()
        'CPU walks shadow L3 entry 3 = 0x0000000100000001'
        >>> ShadowWalkStep(level=2, index=1, spte=0, walker="fetch").describe()
        'FNAME(fetch) reads shadow L2 entry 1 = 0x0000000000000000'
    """

    level: int
    index: int
    spte: int
    walker: str = "cpu"  # "cpu" or "fetch"

    def describe(self) -> str:
        who = "CPU walks" if self.walker == "cpu" else "FNAME(fetch) reads"
        return f"{who} shadow L{self.level} entry {self.index} = 0x{self.spte:016x}"


@dataclass(frozen=True, slots=True)
class ShadowPageFault:
    """The CPU's walk of the shadow tables failed: a #PF that exits to KVM (kvm_mmu_page_fault()).

    ``error_code`` is the hardware's: bit 0 the sPTE was present (a permission
    failure), bit 1 a write, bit 2 a user access:

        >>> ShadowPageFault(va=0xC0200000, error_code=0b010).describe()
        'shadow #PF at 0xc0200000 (error code 0x2): exit to KVM, FNAME(page_fault)'
    """

    va: int
    error_code: int

    def describe(self) -> str:
        return (f"shadow #PF at 0x{self.va:08x} (error code 0x{self.error_code:x}): "
                f"exit to KVM, FNAME(page_fault)")


@dataclass(frozen=True, slots=True)
class ShadowPageFound:
    """kvm_mmu_find_shadow_page() found (gfn, role) in the cache: no new page.

        >>> ShadowPageFound(gfn=5, role=PageRole(level=2, has_4_byte_gpte=True), hpa=0x100000000).describe()
        'found shadow page gfn 0x5 L2 q0 at hpa 0x100000000'
    """

    gfn: int
    role: PageRole
    hpa: int

    def describe(self) -> str:
        return f"found shadow page gfn 0x{self.gfn:x} {_role(self.role)} at hpa 0x{self.hpa:x}"


@dataclass(frozen=True, slots=True)
class ShadowPageCreated:
    """kvm_mmu_alloc_shadow_page(): a new page for (gfn, role) (example in the module doc)."""

    gfn: int
    role: PageRole
    hpa: int

    def describe(self) -> str:
        return f"create shadow page gfn 0x{self.gfn:x} {_role(self.role)} at hpa 0x{self.hpa:x}"


@dataclass(frozen=True, slots=True)
class SpteInstalled:
    """An sPTE written in the page (gfn, role) at index: a leaf or a link to a child:

        >>> SpteInstalled(gfn=7, role=PageRole(level=1, has_4_byte_gpte=True), index=219,
        ...               spte=0xB6007, what="leaf").describe()
        'install leaf sPTE 219 in gfn 0x7 L1 q0 = 0x00000000000b6007'
    """

    gfn: int
    role: PageRole
    index: int
    spte: int
    what: str  # "leaf", "leaf 2M", "link"

    def describe(self) -> str:
        return (f"install {self.what} sPTE {self.index} in gfn 0x{self.gfn:x} "
                f"{_role(self.role)} = 0x{self.spte:016x}")


@dataclass(frozen=True, slots=True)
class SpteZapped:
    """An sPTE cleared (mmu_page_zap_pte()), and why:

        >>> SpteZapped(gfn=7, role=PageRole(level=2, has_4_byte_gpte=True, quadrant=3),
        ...            index=245, old=0x100001007, reason="guest write").describe()
        'zap sPTE 245 of gfn 0x7 L2 q3 (was 0x0000000100001007): guest write'
    """

    gfn: int
    role: PageRole
    index: int
    old: int
    reason: str

    def describe(self) -> str:
        return (f"zap sPTE {self.index} of gfn 0x{self.gfn:x} {_role(self.role)} "
                f"(was 0x{self.old:016x}): {self.reason}")


@dataclass(frozen=True, slots=True)
class ShadowPageZapped:
    """A whole shadow page dropped from the cache (kvm_mmu_prepare_zap_page()):

        >>> ShadowPageZapped(gfn=7, role=PageRole(level=1, has_4_byte_gpte=True),
        ...                  reason="misaligned write").describe()
        'zap shadow page gfn 0x7 L1 q0: misaligned write'
    """

    gfn: int
    role: PageRole
    reason: str

    def describe(self) -> str:
        return f"zap shadow page gfn 0x{self.gfn:x} {_role(self.role)}: {self.reason}"


@dataclass(frozen=True, slots=True)
class QuadrantSkip:
    """get_written_sptes() returned NULL: the written bytes belong to another quadrant:

        >>> QuadrantSkip(gfn=7, role=PageRole(level=2, has_4_byte_gpte=True, quadrant=0),
        ...              offset=0xC00).describe()
        'skip gfn 0x7 L2 q0: byte 0xc00 is another quadrant'
    """

    gfn: int
    role: PageRole
    offset: int

    def describe(self) -> str:
        return f"skip gfn 0x{self.gfn:x} {_role(self.role)}: byte 0x{self.offset:x} is another quadrant"


@dataclass(frozen=True, slots=True)
class GuestWrite:
    """A guest store to guest-physical memory and how it was handled:

        >>> GuestWrite(gpa=0x3FFC00, size=4, value=0, action="emulate").describe()
        'guest writes 0x0 (4 bytes) at gpa 0x3ffc00: emulate'

    ``action``: "store" (not a shadowed table, or an unsync one: it simply
    lands), "unsync" (first write to a write-protected page table: its shadow
    pages go unsync and the write goes through), "emulate" (write-tracked or
    kept protected: KVM emulates it and zaps what it changed), "unprotect"
    (it would be emulated, but the instruction is not one KVM treats as a
    page-table write: KVM zaps every shadow page of the gfn instead and the
    guest re-runs it; the re-run store then lands, a second GuestWrite "store").
    """

    gpa: int
    size: int
    value: int
    action: str

    def describe(self) -> str:
        return f"guest writes 0x{self.value:x} ({self.size} bytes) at gpa 0x{self.gpa:x}: {self.action}"


@dataclass(frozen=True, slots=True)
class PageUnprotected:
    """kvm_mmu_unprotect_page() (Linux 6.10): every shadow page of gfn zapped, so the guest may re-run its store:

        >>> PageUnprotected(gfn=0x3FF, pages=4).describe()
        'unprotect gfn 0x3ff: 4 shadow page(s) zapped, the guest re-runs the instruction'

    ``pages``: how many were zapped (the kernel returns only whether any were).
    """

    gfn: int
    pages: int

    def describe(self) -> str:
        return (f"unprotect gfn 0x{self.gfn:x}: {self.pages} shadow page(s) zapped, "
                "the guest re-runs the instruction")


@dataclass(frozen=True, slots=True)
class PageUnsync:
    """kvm_unsync_page(): a level-1 page may now disagree with its guest page table:

        >>> PageUnsync(gfn=7, role=PageRole(level=1, has_4_byte_gpte=True, quadrant=1)).describe()
        'unsync gfn 0x7 L1 q1'
    """

    gfn: int
    role: PageRole

    def describe(self) -> str:
        return f"unsync gfn 0x{self.gfn:x} {_role(self.role)}"


@dataclass(frozen=True, slots=True)
class PageSynced:
    """kvm_sync_page() (or, for one entry, kvm_sync_spte() as in Linux 6.6): gPTEs re-read, changed ones dropped:

        >>> PageSynced(gfn=7, role=PageRole(level=1, has_4_byte_gpte=True), zapped=2, whole=True).describe()
        'sync gfn 0x7 L1 q0: 2 sPTE(s) dropped'
        >>> PageSynced(7, PageRole(level=1, has_4_byte_gpte=True), 0, True, still_unsync=True).describe()
        'sync gfn 0x7 L1 q0: 0 sPTE(s) dropped; still unsync'

    The model drops every sPTE whose gPTE changed; KVM rewrites in place one
    whose gPTE still names the same frame. ``still_unsync``: the page keeps its
    unsync mark and its frame stays writable, as after the resync that
    kvm_mmu_find_shadow_page() does when a fault finds the page in the cache
    (an invlpg's one-entry sync leaves it unsync too); only the guest's flush
    (mmu_sync_children()) write-protects the frame and marks the page synced.
    """

    gfn: int
    role: PageRole
    zapped: int
    whole: bool  # False: only the one entry of an invlpg
    still_unsync: bool = False

    def describe(self) -> str:
        what = "sync" if self.whole else "sync one entry of"
        tail = "; still unsync" if self.still_unsync else ""
        return f"{what} gfn 0x{self.gfn:x} {_role(self.role)}: {self.zapped} sPTE(s) dropped{tail}"


@dataclass(frozen=True, slots=True)
class WriteProtect:
    """A guest table frame became write-protected; this many leaf sPTEs lost W:

        >>> WriteProtect(gfn=7, sptes=1).describe()
        'write-protect gfn 0x7 (1 sPTE made read-only)'
    """

    gfn: int
    sptes: int

    def describe(self) -> str:
        return f"write-protect gfn 0x{self.gfn:x} ({self.sptes} sPTE made read-only)"


@dataclass(frozen=True, slots=True)
class RootsLoaded:
    """mmu_alloc_shadow_roots() for a CR3: the four pae_root entries now in use:

        >>> RootsLoaded(cr3=0x3FF000, roots=(0x100000000, 0, 0, 0)).describe()
        'load CR3 0x003ff000: pae_root = 0x100000000, 0x0, 0x0, 0x0'
    """

    cr3: int
    roots: tuple[int, ...]

    def describe(self) -> str:
        return f"load CR3 0x{self.cr3:08x}: pae_root = " + ", ".join(hex(r) for r in self.roots)


@dataclass(frozen=True, slots=True)
class RootObsolete:
    """A root in use was zapped: KVM marks it invalid (role.invalid, obsolete) and asks every vCPU
    to drop it (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS); pae_root still points at the empty page:

        >>> RootObsolete(gfn=7, role=PageRole(level=2, has_4_byte_gpte=True, quadrant=3)).describe()
        'root gfn 0x7 L2 q3 zapped while in use: obsolete, KVM_REQ_MMU_FREE_OBSOLETE_ROOTS'
    """

    gfn: int
    role: PageRole

    def describe(self) -> str:
        return (f"root gfn 0x{self.gfn:x} {_role(self.role)} zapped while in use: obsolete, "
                f"KVM_REQ_MMU_FREE_OBSOLETE_ROOTS")


@dataclass(frozen=True, slots=True)
class RootsFreed:
    """At the next guest entry, kvm_mmu_free_obsolete_roots() frees the current roots (all four:
    pae_root has no shadow page of its own, so it counts as obsolete); kvm_mmu_reload() then
    allocates new ones (a RootsLoaded follows):

        >>> RootsFreed(freed=4, obsolete=1).describe()
        'next entry: free 4 roots (1 obsolete), then kvm_mmu_reload()'
    """

    freed: int
    obsolete: int

    def describe(self) -> str:
        return f"next entry: free {self.freed} roots ({self.obsolete} obsolete), then kvm_mmu_reload()"


@dataclass(frozen=True, slots=True)
class TlbFlush:
    """A guest flush: "invlpg" of one address, "cr3" load, or "full":

        >>> TlbFlush(kind="invlpg", va=0xC0200000).describe()
        'guest flush: invlpg 0xc0200000'
    """

    kind: str
    va: int | None = None

    def describe(self) -> str:
        return f"guest flush: {self.kind}" + (f" 0x{self.va:08x}" if self.va is not None else "")
