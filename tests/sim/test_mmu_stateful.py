"""Random guests, random programs: the shadow MMU stays coherent under every correct rule.

One hypothesis state machine drives identical twins: one guest and one
ShadowMMU per correct quadrant rule, all given the same steps (map, unmap,
raw PTE/PDE stores of every size, accesses, invlpg, full flushes, CR3
switches, new address spaces). What must hold:

* after the guest's own flush (invlpg of va, a full flush, a CR3 load) the
  shadow agrees with the guest walk: check(sync=False) finds nothing, and
  translate(va) after invlpg(va) is the guest's answer;
* between a write and the flush, translate() gives a translation the guest
  had at some point since the last flush of that address, never a third;
* every page hangs where its role says: the page directory in PDPT slot i
  has quadrant i, a level-1 page has quadrant = its parent sPDE index & 1,
  and every link or 2 MiB leaf in a page directory agrees with the guest PDE
  it shadows (the guest's PD stores are write-tracked, so at once), and no
  4 KiB leaf grants more than its page's role.access;
* the rules with pre-allocated roots (seed-v5, mainline, legacy) build
  bit-identical shadow state, and so do the two special-root rules (lai,
  generalised). Between those families the state differs by design -- Lai's
  PDPT page is new at every CR3 load, so its page directories are made and
  linked on demand -- so across families we check that after every flush they
  agree wherever both map.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from shadowmmu import CORRECT_RULES, FlushWindow, Guest, GuestPageFault, ShadowMMU

MIB = 1 << 20
PDES = [0, 1, 255, 256, 767, 768]  # every PD quadrant, neighbours, a quadrant's last entry
PTES = [0, 1, 512, 1023]  # both PT quadrants, two neighbours (for 8-byte stores)
VAS = [p << 22 | t << 12 for p in PDES for t in PTES]
DATA_FRAMES = st.integers(0x100, 0x10F)
TABLE_FRAMES = st.integers(0xE00, 0xE08)  # the first tables the guests will allocate
LARGE_TARGETS = [0x0, 0x400000, 0xC00000]  # the last covers the table region
#: None = the address space currently loaded, half the time: steps must meet to matter.
SPACE = st.one_of(st.none(), st.integers(0, 3))
PREALLOCATED = ("seed-v5", "mainline", "legacy")
SPECIAL = ("lai", "generalised")
assert set(PREALLOCATED + SPECIAL) == set(CORRECT_RULES)


def page_base(gpa):
    return None if gpa is None else gpa & ~0xFFF


class Twins(RuleBasedStateMachine):
    mapped = Bundle("mapped")  # VAs a map step touched: later steps aim at them

    @initialize(host_large=st.booleans(), unsync=st.booleans())
    def start(self, host_large, unsync):
        self.worlds = {}
        for i, name in enumerate(PREALLOCATED + SPECIAL):
            guest = Guest(16 * MIB)
            a = guest.new_address_space()
            guest.new_address_space()
            # one traced MMU keeps the event code honest; the rest run quiet
            mmu = ShadowMMU(guest, name, host_large_pages=host_large, unsync=unsync, trace=i == 0)
            mmu.load_cr3(a)
            self.worlds[name] = (guest, mmu)
        self.guest = self.worlds["mainline"][0]  # all guests hold the same bytes
        self.window = FlushWindow(self.guest, VAS)  # the old-or-new rule, shared with benchmarks/soak.py
        self.flushed_all()

    # -- bookkeeping -------------------------------------------------------------

    @property
    def cr3(self):
        return self.worlds["mainline"][1].cr3

    def each(self):
        return self.worlds.values()

    def guest_view(self, va):
        return page_base(self.guest.translate(self.cr3, va))

    def flushed(self, va):
        self.window.flush(self.cr3, va)

    def flushed_all(self):
        self.window.flush(self.cr3)
        for _, mmu in self.each():
            assert mmu.check(sync=False) is None, mmu.check(sync=False).describe()

    def space(self, index):
        if index is None:
            return self.cr3
        spaces = self.guest.address_spaces
        return spaces[index % len(spaces)]

    # -- guest edits (through the builder: every edit is a guest store) ----------

    @rule(target=mapped, space=SPACE, va=st.sampled_from(VAS),
          frame=st.one_of(DATA_FRAMES, TABLE_FRAMES), writable=st.booleans(),
          user=st.booleans(), dirty=st.booleans())
    def map_4k(self, space, va, frame, writable, user, dirty):
        for guest, _ in self.each():
            guest.map_4k(self.space(space), va, frame << 12, writable=writable, user=user,
                         dirty=dirty)
        return va

    @rule(target=mapped, space=SPACE, pde=st.sampled_from(PDES), half=st.integers(0, 1),
          base=st.sampled_from(LARGE_TARGETS), writable=st.booleans(), user=st.booleans())
    def map_4m(self, space, pde, half, base, writable, user):
        for guest, _ in self.each():
            guest.map_4m(self.space(space), pde << 22, base, writable=writable, user=user)
        return pde << 22 | half << 21

    @rule(space=SPACE, va=st.one_of(mapped, st.sampled_from(VAS)))
    def unmap(self, space, va):
        for guest, _ in self.each():
            guest.unmap(self.space(space), va)

    @rule(space=SPACE, va=st.one_of(mapped, st.sampled_from(VAS)),
          value=st.one_of(st.just(0), st.builds(lambda f, fl: f << 12 | fl, DATA_FRAMES,
                                                st.integers(0, 0x7F))),
          shape=st.sampled_from(["aligned", "byte", "two", "eight"]), then_invlpg=st.booleans(),
          page_table_write=st.sampled_from([True, True, False]))
    def store_pte(self, space, va, value, shape, then_invlpg, page_table_write=True):
        pde = self.guest.read32((self.space(space) & ~0xFFF) | (va >> 22) << 2)
        if not pde & 1 or pde & 0x80:
            return
        gpa = (pde & ~0xFFF) | ((va >> 10) & 0xFFC)
        if shape == "byte":
            gpa, value, size = gpa, value & 0xFF, 1
        elif shape == "two":
            gpa, value, size = gpa + 1, value & 0xFFFF, 2
        elif shape == "eight":
            gpa, value, size = gpa & ~7, value | value << 32, 8
        else:
            size = 4
        for _, mmu in self.each():  # False: rep stos and the like, the unprotect-and-retry path
            mmu.guest_write(gpa, value, size, page_table_write=page_table_write)
        if then_invlpg:  # what Linux does after changing a live PTE
            self.invlpg(va)

    @rule(space=SPACE, pde=st.sampled_from(PDES), eight=st.booleans(), data=st.data(),
          page_table_write=st.sampled_from([True, True, False]))
    def store_pde(self, space, pde, eight, data, page_table_write=True):
        pds = {c >> 12 for c in self.guest.address_spaces}
        tables = sorted(self.guest._tables - pds)  # no recursive mappings here
        choices = [0, 0x400087, 0xC00083] + [t << 12 | 0x7 for t in tables] + [t << 12 | 0x3 for t in tables]
        value = data.draw(st.sampled_from(choices))
        gpa = (self.space(space) & ~0xFFF) | pde << 2
        for _, mmu in self.each():
            if eight:  # two PDEs at once: misaligned for 4-byte gPTEs, every root is zapped
                mmu.guest_write(gpa & ~7, value | value << 32, 8, page_table_write=page_table_write)
            else:
                mmu.guest_write(gpa, value, page_table_write=page_table_write)

    @rule(data=st.data(), value=st.one_of(st.just(0), st.builds(lambda f, fl: f << 12 | fl, DATA_FRAMES,
                                                                 st.integers(0, 0x7F))),
          shape=st.sampled_from(["aligned", "aligned", "byte", "eight"]), then_invlpg=st.booleans())
    def change_live_pte(self, data, value, shape, then_invlpg):
        """The guest edits a PTE the shadow maps right now (the case that matters)."""
        live = [va for va, size, _ in self.worlds["mainline"][1].leaves() if size == 4096]
        if live:
            self.store_pte(None, data.draw(st.sampled_from(live)), value, shape, then_invlpg)

    @rule(data=st.data(), frame=DATA_FRAMES, how=st.sampled_from(["invlpg", "flush", "cr3"]))
    def remap_live_and_flush(self, data, frame, how):
        """Point a live PTE at another frame, then flush as the guest must: nothing stale may survive."""
        live = [va for va, size, _ in self.worlds["mainline"][1].leaves() if size == 4096]
        if not live:
            return
        va = data.draw(st.sampled_from(live))
        self.store_pte(None, va, frame << 12 | 0x67, "aligned", how == "invlpg")
        if how == "flush":
            self.flush_tlb()
        elif how == "cr3":
            self.load_cr3(None)

    @rule(data=st.data(), eight=st.booleans())
    def change_live_pde(self, data, eight):
        """The guest edits a PDE the shadow maps right now."""
        live = [va for va, _, _ in self.worlds["mainline"][1].leaves()]
        if live:
            self.store_pde(None, data.draw(st.sampled_from(live)) >> 22, eight, data)

    @rule()
    def new_space(self):
        if len(self.guest.address_spaces) < 4:
            for guest, _ in self.each():
                guest.new_address_space()

    # -- the guest CPU -------------------------------------------------------------

    @rule(va=st.one_of(mapped, mapped, st.sampled_from(VAS)), offset=st.integers(0, 0xFFF), write=st.booleans(),
          user=st.booleans())
    def access(self, va, offset, write, user):
        results = set()
        for _, mmu in self.each():
            try:
                results.add(mmu.access(va | offset, write=write, user=user))
            except GuestPageFault as err:
                results.add(err.reason)
        # a fresh or a stale translation, never a third (stale ones may differ between families)
        assert all(isinstance(r, str) or self.window.permits(va, r) for r in results), results

    @rule(write=st.booleans())
    def run(self, write):
        """The guest touches every address of the universe: many faults meet later writes."""
        for va in VAS:
            self.access(va, 0, write, False)

    @rule(va=st.one_of(mapped, st.sampled_from(VAS)))
    def invlpg(self, va):
        for _, mmu in self.each():
            mmu.invlpg(va)
            assert page_base(mmu.translate(va)) in (None, self.guest_view(va)), mmu.rule.name
        self.flushed(va)

    @rule()
    def flush_tlb(self):
        for _, mmu in self.each():
            mmu.flush_tlb()
        self.flushed_all()

    @rule(space=SPACE)
    def load_cr3(self, space):
        cr3 = self.space(space)
        for _, mmu in self.each():
            mmu.load_cr3(cr3)
        self.flushed_all()

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def only_old_or_new(self):
        for name, (_, mmu) in self.worlds.items():
            stale = self.window.stale(self.cr3, mmu)
            assert not stale, (name, [(hex(va), hex(gpa)) for va, gpa in stale])

    @invariant()
    def no_writable_leaf_onto_a_protected_table(self):
        # computed from the pages themselves, not with the MMU's own predicate
        for _, mmu in self.each():
            protected = {sp.gfn for sp in mmu.shadow_pages()
                         if not sp.role.direct and sp.role.level <= 2
                         and (sp.role.level == 2 or not sp.unsync)}
            for va, size, spte in mmu.leaves():
                if spte & 2:
                    first = spte >> 12 & ~(size // 4096 - 1)
                    assert not protected & set(range(first, first + size // 4096)), (mmu.rule.name, hex(va))

    @invariant()
    def links_agree_with_quadrants_and_guest_pdes(self):
        # Pages are keyed by (gfn, role), so counting pages per role proves nothing; what
        # must hold is where each page hangs. Read off sPTE addresses and guest memory:
        # * the page directory behind PDPT slot i has quadrant i;
        # * a level-1 page (with gPTEs or direct) has quadrant = parent sPDE index & 1;
        # * every sPDE (link or 2 MiB leaf) agrees with the guest PDE it was built from,
        #   at once: guest PD stores are write-tracked and zap what they change.
        for name, (guest, mmu) in self.worlds.items():
            pages = mmu.shadow_pages()
            by_hpa = {sp.hpa: sp for sp in pages}
            for i, entry in enumerate(mmu.roots.pdpte(i) for i in range(4)):
                if entry & 1:
                    assert by_hpa[entry & ~0xFFF].role.quadrant == i, (name, i)

            def guest_pde(parent, j):
                assert parent.role.level == 2 and not parent.role.direct, (name, parent.describe())
                k = parent.role.quadrant * 256 + j // 2
                return guest.read32(parent.gfn << 12 | k << 2)

            for sp in pages:
                if sp.role.level != 1:
                    continue
                for sptep in sp.parent_ptes:
                    parent, j = by_hpa[sptep & ~0xFFF], (sptep & 0xFFF) // 8
                    assert parent.spt[j] & ~0xFFF == sp.hpa, (name, sp.describe())
                    assert sp.role.quadrant == j & 1, (name, sp.describe(), j)
                    pde = guest_pde(parent, j)
                    assert pde & 1, (name, sp.describe(), hex(pde))
                    if sp.role.direct:  # one 2 MiB half of a guest 4 MiB page
                        assert pde & 0x80 and sp.gfn == (pde >> 12 & ~0x3FF) + (j & 1) * 512, (
                            name, sp.describe(), hex(pde))
                    else:  # the guest page table the guest PDE names
                        assert not pde & 0x80 and sp.gfn == pde >> 12, (name, sp.describe(), hex(pde))
            # a 4 KiB leaf never grants more than the role.access of its page
            # (the leaf's pte_access is a subset of the walker's pt_access, and of a direct
            # page's direct_access -- which lacks W while the guest 4 MiB PDE is clean)
            for spteps in mmu.cache.rmap.values():
                for sptep in spteps:
                    sp = by_hpa[sptep & ~0xFFF]
                    spte = sp.spt[(sptep & 0xFFF) // 8]
                    assert not (spte & 2 and not sp.role.access & 2), (name, sp.describe())
                    assert not (spte & 4 and not sp.role.access & 4), (name, sp.describe())
            for half, spteps in mmu.cache.large_rmap.items():
                for sptep in spteps:
                    parent, j = by_hpa[sptep & ~0xFFF], (sptep & 0xFFF) // 8
                    assert parent.spt[j] & 0x80 and parent.spt[j] >> 21 == half, name
                    pde = guest_pde(parent, j)
                    assert pde & 0x81 == 0x81 and half == (pde >> 22) * 2 + (j & 1), (name, hex(pde))

    @invariant()
    def families_are_identical(self):
        for family in (PREALLOCATED, SPECIAL):
            states = {name: self.state(self.worlds[name][1]) for name in family}
            first = states[family[0]]
            for name, state in states.items():
                assert state == first, (family[0], name)

    @invariant()
    def families_agree_where_both_map(self):
        a, b = self.worlds["mainline"][1], self.worlds["lai"][1]
        for va in VAS:
            x, y = a.translate(va), b.translate(va)
            if x is not None and y is not None and x != y:
                assert self.window.permits(va, x) and self.window.permits(va, y)

    @staticmethod
    def state(mmu):
        pages = sorted((sp.gfn, sp.role.level, sp.role.quadrant, sp.role.direct, sp.role.access,
                        sp.unsync, tuple(sp.spt) if sp.role.level == 1 else None)
                       for sp in mmu.shadow_pages() if sp.role.level <= 2)
        return list(mmu.leaves()), pages


Twins.TestCase.settings = settings(
    max_examples=250, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestTwins = Twins.TestCase
