"""Benchmark: import a captured Linux guest and fault in every page it maps.

Run: .venv/bin/python benchmarks/bench_realguest.py [--runs N]

For each snapshot in shadowmmu/data/ we time, separately and as the
median of several runs: loading the fixture (xz + JSON + base64), building
the Guest from its pages, and faulting in every mapped 4 KiB page (each page
of a 4 MiB mapping too) through ShadowMMU.access() with tracing off, once
with host large pages and once without. Issue 7 sets no target; the figures
go in the closing note.
"""

from __future__ import annotations

import argparse
import statistics
import time

from shadowmmu import Guest, ShadowMMU
from shadowmmu.snapshot import available_snapshots, load_snapshot


def pages_of(guest: Guest, cr3: int) -> list[int]:
    vas = []
    for va, size, _, _ in guest.mappings(cr3):
        vas.extend(range(va, va + size, 4096))
    return vas


def fault_in(guest: Guest, cr3: int, vas: list[int], large: bool) -> ShadowMMU:
    mmu = ShadowMMU(guest, "mainline", host_large_pages=large, trace=False)
    mmu.load_cr3(cr3)
    for va in vas:
        mmu.access(va)
    return mmu


def median_ms(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"median of {args.runs} runs each; mainline rule, tracing off")
    print(f"{'snapshot':12s} {'load':>8s} {'Guest':>8s} {'pages':>7s} "
          f"{'fault-in 2M host':>17s} {'faults':>7s} {'sps':>4s} "
          f"{'fault-in 4K host':>17s} {'faults':>7s} {'sps':>4s}")
    for path in available_snapshots():
        t_load, snap = median_ms(lambda: load_snapshot(path), args.runs)
        t_guest, guest = median_ms(
            lambda: Guest.from_pages(snap.pages, cr3=snap.cr3, cr4=snap.cr4), args.runs)
        vas = pages_of(guest, snap.cr3)
        cells = []
        for large in (True, False):
            t, mmu = median_ms(
                lambda: fault_in(Guest.from_pages(snap.pages, cr3=snap.cr3, cr4=snap.cr4),
                                 snap.cr3, vas, large), args.runs)
            stats = mmu.stats()
            cells.append(f"{t:14.1f} ms {stats.faults:7d} {stats.total_shadow_pages:4d}")
        print(f"{snap.name:12s} {t_load:5.1f} ms {t_guest:5.1f} ms {len(vas):7d} {cells[0]} {cells[1]}")


if __name__ == "__main__":
    main()
