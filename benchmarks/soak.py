"""A soak of the shadow MMU: thousands of random workloads, no stale translation allowed.

Per rule family (the ``roots`` of each correct rule in shadowmmu.rules:
preallocated = seed-v5, mainline; special = lai, generalised; address =
legacy), ``--workloads`` random workloads (default 1,000). Workload number
``seed`` picks everything from its seed alone, so one failure replays alone:

* the rule of its family, ``unsync`` on/off and host large pages on/off
  (the two low bits of the seed: every combination equally often);
* a guest shape: the builder's guests (two address spaces sharing the kernel
  half); a self-mapped page directory (one PDE points at the PD, as 32-bit
  Windows does); one page table linked from many PDEs of several address
  spaces; 4 MiB pages over the page-table frames, stores through either
  into the guest's own page tables; or eight processes switching CR3;
* ``--steps`` guest steps: maps and unmaps through the builder, raw PTE and
  PDE stores of 1, 2, 4 and 8 bytes, accesses (read/write, user/supervisor),
  invlpg, full flushes and CR3 loads.

What is checked (the same rule as tests/sim/test_mmu_stateful.py, through the
shared shadowmmu.sim.coherence.FlushWindow): after every step, every watched VA
translates to nothing or to a frame the guest gave it since its last flush;
after every invlpg the flushed VA gives nothing or the guest's frame; after
every full flush and CR3 load ``mmu.check(sync=False)`` finds no leaf that
disagrees with the guest walk. Any other exception is a failure too.

Run: ``python benchmarks/soak.py`` (full: 1,000 workloads per family),
``--workloads 20`` for a slice, ``--seed S --workloads 1 --family F`` to
replay the workload a failure names. Exit status 1 if anything was stale.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from shadowmmu import CORRECT_RULES, QUADRANT_RULES, FlushWindow, Guest, GuestPageFault, ShadowMMU

MIB = 1 << 20
FAMILIES = {roots: tuple(n for n in CORRECT_RULES if QUADRANT_RULES[n].roots == roots)
            for roots in ("preallocated", "special", "address")}
SHAPES = ("builder", "self-mapped PD", "shared PT", "4 MiB over tables", "eight processes")
PDES = [0, 1, 2, 255, 256, 511, 767, 768, 769, 1023]  # every PD quadrant and its edges
PTES = [0, 1, 511, 512, 1023]  # both PT quadrants and the entries either side
VAS = [p << 22 | t << 12 for p in PDES for t in PTES]
DATA_FRAMES = range(0x100, 0x110)
TABLES_4M = 0xC00000  # a 4 MiB page over frames 0xC00..0xFFF: the guest's tables (0xE00..)


@dataclass
class Tally:
    """What a run did and found."""

    workloads: int = 0
    steps: int = 0
    compared: int = 0  # (va, translation) pairs held against the flush window
    full_checks: int = 0  # mmu.check(sync=False) after a full flush or CR3 load
    stale: int = 0
    failures: list[str] = field(default_factory=list)
    configs: Counter = field(default_factory=Counter)  # (rule, unsync, host large, shape) -> workloads

    def add(self, other: "Tally") -> None:
        for name in ("workloads", "steps", "compared", "full_checks", "stale"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures += other.failures
        self.configs.update(other.configs)

    def spread(self, position: int) -> str:
        """How many workloads had each value of one config field, e.g. 'unsync True 500, ...'."""
        counts = Counter()
        for config, n in self.configs.items():
            counts[config[position]] += n
        return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=str))


class Workload:
    """One guest, one ShadowMMU, one FlushWindow, driven by one seeded generator."""

    def __init__(self, seed: int, family: str, steps: int, rules=None):
        self.seed, self.family = seed, family
        self.rng = rng = random.Random(seed)
        names = rules or FAMILIES[family]
        self.rule = names[(seed >> 2) % len(names)]
        self.unsync, self.host_large = bool(seed & 1), bool(seed & 2)
        self.shape = SHAPES[rng.randrange(len(SHAPES))]
        self.n_steps = steps
        self.tally = Tally(workloads=1)
        self.tally.configs[(self.rule, self.unsync, self.host_large, self.shape)] += 1
        self.guest = Guest(16 * MIB)
        spaces = 8 if self.shape == "eight processes" else 2
        for _ in range(spaces):
            self.guest.new_address_space()
        self.mmu = ShadowMMU(self.guest, self.rule, host_large_pages=self.host_large,
                             unsync=self.unsync, trace=False)
        self.vas = list(VAS)
        self._shape_setup()
        self.window = FlushWindow(self.guest, self.vas)
        self.mmu.load_cr3(self.guest.address_spaces[0])
        self.window.flush(self.cr3)

    @property
    def cr3(self) -> int:
        return self.mmu.cr3

    def label(self) -> str:
        return (f"--seed {self.seed} --workloads 1 --family {self.family} "
                f"[rule {self.rule}, unsync {self.unsync}, host large {self.host_large}, "
                f"{self.shape}]")

    # -- set-up of the shapes (all stores go through the guest, MMU attached) -------

    def pde_gpa(self, cr3: int, index: int) -> int:
        return (cr3 & ~0xFFF) | index << 2

    def _shape_setup(self) -> None:
        rng, g = self.rng, self.guest
        self.mapped = []  # VAs the maps touched: accesses aim at them
        self.self_vas = []  # VAs through a self-mapped PD: they reach page tables and the PD
        for cr3 in g.address_spaces:
            for _ in range(rng.randrange(4, 12)):
                self.mapped.append(rng.choice(VAS))
                g.map_4k(cr3, self.mapped[-1], rng.choice(DATA_FRAMES) << 12,
                         writable=rng.random() < 0.7, user=rng.random() < 0.5)
        if self.shape == "self-mapped PD":
            for cr3 in g.address_spaces:
                k = rng.choice([768, 1023, 511])
                self.mmu.guest_write(self.pde_gpa(cr3, k), (cr3 & ~0xFFF) | rng.choice([0x3, 0x7, 0x1]))
                self.self_vas += [k << 22 | t << 12 for t in (0, 1, 768, 1023, k)]
            self.vas += self.self_vas
        elif self.shape == "shared PT":
            g.map_4k(g.address_spaces[0], 0x00400000, 0x105000)
            pt = g.read32(self.pde_gpa(g.address_spaces[0], 1)) & ~0xFFF
            for cr3 in g.address_spaces:
                for k in rng.sample(PDES, 3):
                    self.mmu.guest_write(self.pde_gpa(cr3, k), pt | rng.choice([0x7, 0x3, 0x5]))
        elif self.shape == "4 MiB over tables":
            for cr3 in g.address_spaces:
                g.map_4m(cr3, 0x00800000, TABLES_4M, writable=True, user=rng.random() < 0.5)
            self.vas += [0x00800000 | off for off in (0x200000, 0x201000, 0x202000, 0x3FF000)]

    # -- the steps ------------------------------------------------------------------

    def run(self) -> Tally:
        steps = ("access",) * 6 + ("run",) + ("map_4k",) * 2 + ("map_4m", "unmap", "unmap") + \
                ("store_pte",) * 3 + ("store_pde",) * 2 + ("invlpg",) * 3 + ("flush", "cr3")
        if self.shape in ("4 MiB over tables", "self-mapped PD"):
            steps += ("store_via_va",) * 3
        if self.shape == "eight processes":
            steps += ("cr3",) * 3
        for i in range(self.n_steps):
            step = self.rng.choice(steps)
            try:
                getattr(self, "step_" + step)()
                self.tally.steps += 1
                self.after(step, i)
            except Exception:  # anything unexpected is a failure, with its replay line
                self.fail(i, step, traceback.format_exc(limit=4))
            if self.tally.failures:
                break
        return self.tally

    def fail(self, i: int, step: str, what: str) -> None:
        self.tally.failures.append(f"{self.label()} step {i} ({step}): {what}")

    def after(self, step: str, i: int) -> None:
        stale = self.window.stale(self.cr3, self.mmu)
        self.tally.compared += len(self.window.vas)
        if stale:
            self.tally.stale += len(stale)
            self.fail(i, step, "stale: " + ", ".join(f"va 0x{va:08x} -> 0x{gpa:x} (allowed "
                      f"{sorted(hex(a) for a in self.window.allowed[va] if a is not None)})"
                      for va, gpa in stale[:4]))

    def guest_op(self, fn, *args, **kwargs) -> None:
        """A builder call; its clear refusals (ValueError) are the builder's business, not ours."""
        try:
            fn(*args, **kwargs)
        except ValueError:
            pass

    def space(self) -> int:
        spaces = self.guest.address_spaces
        return self.cr3 if self.rng.random() < 0.6 else self.rng.choice(spaces)

    def step_access(self, va: int | None = None, write: bool | None = None) -> None:
        r = self.rng
        if va is None:
            va = (r.choice(self.mapped) if self.mapped and r.random() < 0.7 else r.choice(self.vas))
            va |= r.randrange(0x1000)
        try:
            got = self.mmu.access(va, write=r.random() < 0.4 if write is None else write,
                                  user=r.random() < 0.3)
        except GuestPageFault:
            return
        self.window.note(self.cr3)
        if not self.window.permits(va & ~0xFFF, got):
            self.tally.stale += 1
            raise AssertionError(f"access 0x{va:08x} -> 0x{got:x}: neither old nor new")

    def step_run(self) -> None:
        """The guest touches every watched address once: many faults for later writes to meet."""
        write = self.rng.random() < 0.5
        for va in self.vas:
            self.step_access(va, write)

    def step_map_4k(self) -> None:
        r = self.rng
        va = r.choice(self.vas) & ~0xFFF
        self.mapped.append(va)
        self.guest_op(self.guest.map_4k, self.space(), va,
                      r.choice([*DATA_FRAMES, 0xE00, 0xE01, 0xE02]) << 12,
                      writable=r.random() < 0.7, user=r.random() < 0.5, dirty=r.random() < 0.3)

    def step_map_4m(self) -> None:
        r = self.rng
        va = r.choice(PDES) << 22
        self.mapped += [va, va | 0x200000]
        self.guest_op(self.guest.map_4m, self.space(), va,
                      r.choice([0, 0x400000, TABLES_4M]), writable=r.random() < 0.7,
                      user=r.random() < 0.5)

    def step_unmap(self) -> None:
        self.guest_op(self.guest.unmap, self.space(), self.rng.choice(self.vas))

    def step_store_pte(self) -> None:
        r, cr3 = self.rng, self.space()
        va = r.choice(self.vas)
        pde = self.guest.read32(self.pde_gpa(cr3, va >> 22))
        if not pde & 1 or pde & 0x80:
            return
        gpa = (pde & ~0xFFF) | (va >> 10 & 0xFFC)
        value = 0 if r.random() < 0.2 else r.choice(DATA_FRAMES) << 12 | r.randrange(0x80)
        size = r.choice([4, 4, 1, 2, 8])
        if size == 8:
            gpa, value = gpa & ~7, value | value << 32
        elif size == 2:
            gpa, value = gpa + 1, value & 0xFFFF
        elif size == 1:
            value &= 0xFF
        self.mmu.guest_write(gpa, value, size)
        if r.random() < 0.3:
            self.step_invlpg(va)

    def step_store_pde(self) -> None:
        r, cr3 = self.rng, self.space()
        tables = sorted(self.guest.table_frames())
        value = r.choice([0, 0x400087, TABLES_4M | 0x83, r.choice(tables) << 12 | r.choice([7, 3, 5])])
        gpa = self.pde_gpa(cr3, r.choice(PDES))
        if r.random() < 0.2:  # two PDEs at once: misaligned for 4-byte gPTEs
            self.mmu.guest_write(gpa & ~7, value | value << 32, 8)
        else:
            self.mmu.guest_write(gpa, value)

    def step_store_via_va(self) -> None:
        """A data store through the 4 MiB page over the tables or the self-map: into a PT or PD."""
        r = self.rng
        if self.self_vas:
            va = r.choice(self.self_vas) | r.randrange(0, 0x1000, 4)
        else:
            tables = sorted(g for g in self.guest.table_frames() if 0xC00 <= g < 0x1000)
            va = 0x00800000 | (r.choice(tables) - 0xC00) << 12 | r.randrange(0, 0x1000, 4)
        value = r.choice([0, r.choice(DATA_FRAMES) << 12 | 0x67,
                          r.choice(sorted(self.guest.table_frames())) << 12 | 0x7])
        try:
            self.mmu.store(va, value)
        except GuestPageFault:
            pass

    def step_invlpg(self, va: int | None = None) -> None:
        va = self.rng.choice(self.vas) if va is None else va
        self.mmu.invlpg(va)
        self.window.flush(self.cr3, va)
        got, want = self.mmu.translate(va), self.guest.translate(self.cr3, va)
        self.tally.compared += 1
        if got is not None and got != want:
            self.tally.stale += 1
            raise AssertionError(f"after invlpg 0x{va:08x}: shadow 0x{got:x}, guest {want}")

    def full_check(self) -> None:
        self.window.flush(self.cr3)
        self.tally.full_checks += 1
        bad = self.mmu.check(sync=False)
        if bad is not None:
            self.tally.stale += 1
            raise AssertionError(f"after the flush: {bad.describe()}")

    def step_flush(self) -> None:
        self.mmu.flush_tlb()
        self.full_check()

    def step_cr3(self) -> None:
        self.mmu.load_cr3(self.rng.choice(self.guest.address_spaces))
        self.full_check()


def run(workloads: int = 1000, seed: int = 0, steps: int = 60, families=tuple(FAMILIES),
        rules=None, progress=None) -> dict[str, Tally]:
    """Run `workloads` workloads per family, seeds seed .. seed + workloads - 1; a Tally per family."""
    out = {}
    for family in families:
        tally = Tally()
        for s in range(seed, seed + workloads):
            tally.add(Workload(s, family, steps, rules).run())
        out[family] = tally
        if progress:
            progress(family, tally)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=1000, help="per family (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="first workload seed (default 0)")
    parser.add_argument("--steps", type=int, default=60, help="guest steps per workload (default 60)")
    parser.add_argument("--family", choices=list(FAMILIES), action="append",
                        help="only this family (repeatable; default all)")
    args = parser.parse_args(argv)
    if args.workloads < 1 or args.steps < 1:
        parser.error("--workloads and --steps must be at least 1")
    start = time.perf_counter()

    def progress(family, t):
        print(f"{family:>12} ({', '.join(FAMILIES[family])}): {t.workloads:,} workloads, "
              f"{t.steps:,} steps, {t.compared:,} translations compared, "
              f"{t.full_checks:,} full checks, {t.stale} stale", flush=True)

    tallies = run(args.workloads, args.seed, args.steps, tuple(args.family or FAMILIES),
                  progress=progress)
    total = Tally()
    for t in tallies.values():
        total.add(t)
    print(f"total: {total.workloads:,} workloads, {total.steps:,} steps, "
          f"{total.compared + total.full_checks:,} checks ({total.compared:,} translations "
          f"compared, {total.full_checks:,} full checks), {total.stale} stale translations, "
          f"{time.perf_counter() - start:.1f} s")
    for position, name in enumerate(("rule", "unsync", "host large pages", "shape")):
        print(f"  by {name}: {total.spread(position)}")
    for line in total.failures:
        print("FAILED, replay with:", line, file=sys.stderr)
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
