"""How fast the shadow-MMU simulator faults a guest in, and how much memory it needs.

Two scenarios, each run in its own subprocess so that peak RSS
(resource.getrusage ru_maxrss) belongs to that scenario alone:

* ``linux``: a Linux-like guest with the 3G/1G split -- a kernel direct map of
  128 MiB in 4 MiB PSE pages at 0xC0000000, and four processes, each with code,
  heap, libraries and stack in 4 KiB pages. We switch to each process (CR3
  load) and touch every mapped page: its own pages from user mode (writes to
  heap and stack), and the whole direct map from kernel mode. Run with host
  large pages (2 MiB leaves) and without (direct level-1 pages). Target: under
  1 s. Median of several runs.
* ``full``: one address space mapping all 4 GiB with 4 KiB pages, identity,
  and one read of each page: 2**20 faults. Target: under 20 s and 2 GiB.

Tracing is off (trace=False): the events are for notebooks, not for 2**20
faults. Run: ``python benchmarks/bench_simulator.py`` (``--runs N`` for the
Linux-like medians; ``--profile full`` prints where the time goes).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from shadowmmu import Guest, ShadowMMU
from shadowmmu.sim.guest import KERNEL_BASE

MIB = 1 << 20
DIRECT_MAP = 128 * MIB
#: (start VA, pages, written) of each region of a process, like a small ELF program.
PROCESS_LAYOUT = ((0x08048000, 64, False),   # text
                  (0x09000000, 256, True),   # heap
                  (0xB7000000, 128, False),  # shared libraries
                  (0xBFFE0000, 32, True))    # stack
PROCESSES = 4


def build_linux(host_large_pages: bool):
    guest = Guest(512 * MIB)
    spaces = [guest.new_address_space() for _ in range(PROCESSES)]
    for offset in range(0, DIRECT_MAP, 4 * MIB):  # shared by all: the kernel half
        guest.map_4m(spaces[0], KERNEL_BASE + offset, offset, user=False, global_=True)
    next_frame = DIRECT_MAP
    for cr3 in spaces:
        for start, pages, _ in PROCESS_LAYOUT:
            for i in range(pages):
                guest.map_4k(cr3, start + i * 4096, next_frame)
                next_frame += 4096
    return guest, spaces, ShadowMMU(guest, host_large_pages=host_large_pages, trace=False)


def run_linux(host_large_pages: bool) -> dict:
    t0 = time.perf_counter()
    guest, spaces, mmu = build_linux(host_large_pages)
    t1 = time.perf_counter()
    for cr3 in spaces:
        mmu.load_cr3(cr3)
        for start, pages, written in PROCESS_LAYOUT:
            for i in range(pages):
                mmu.access(start + i * 4096, write=written, user=True)
        for va in range(KERNEL_BASE, KERNEL_BASE + DIRECT_MAP, 4096):
            mmu.access(va)
    t2 = time.perf_counter()
    assert mmu.check(sync=False) is None
    return _result(mmu, build=t1 - t0, fault=t2 - t1)


def run_full() -> dict:
    t0 = time.perf_counter()
    guest = Guest(1 << 32)
    cr3 = guest.new_address_space()
    for va in range(0, 1 << 32, 4096):
        guest.map_4k(cr3, va, va)
    mmu = ShadowMMU(guest, trace=False)
    mmu.load_cr3(cr3)
    t1 = time.perf_counter()
    access = mmu.access
    for va in range(0, 1 << 32, 4096):
        access(va)
    t2 = time.perf_counter()
    assert mmu.faults == 1 << 20
    return _result(mmu, build=t1 - t0, fault=t2 - t1)


def _result(mmu: ShadowMMU, *, build: float, fault: float) -> dict:
    st = mmu.stats()
    return {"build_s": build, "fault_s": fault, "total_s": build + fault,
            "accesses": mmu.accesses, "faults": mmu.faults,
            "faults_per_s": mmu.faults / fault if fault else 0.0,
            "shadow_pages": st.total_shadow_pages, "shadow_mib": st.shadow_bytes / MIB,
            "guest_table_mib": st.guest_table_bytes / MIB,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


SCENARIOS = {"linux-large": lambda: run_linux(True), "linux-small": lambda: run_linux(False),
             "full": run_full}


def in_subprocess(name: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", name], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def report(name: str, results: list[dict], target_s: float, target_mib: float | None) -> None:
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    ok = med["total_s"] < target_s and (target_mib is None or med["peak_rss_mib"] < target_mib)
    print(f"{name:12} runs={len(results)}  faults={med['faults']:,.0f}  accesses={med['accesses']:,.0f}  "
          f"build {med['build_s']:.3f} s + faults {med['fault_s']:.3f} s = {med['total_s']:.3f} s  "
          f"({med['faults_per_s']:,.0f} faults/s)  shadow {med['shadow_pages']:,.0f} pages "
          f"= {med['shadow_mib']:.1f} MiB vs guest tables {med['guest_table_mib']:.1f} MiB  "
          f"peak RSS {med['peak_rss_mib']:.0f} MiB  [{'OK' if ok else 'MISSED'}: "
          f"< {target_s} s{'' if target_mib is None else f', < {target_mib} MiB'}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=5, help="runs of each Linux-like scenario")
    parser.add_argument("--profile", choices=SCENARIOS, help="cProfile one scenario in-process")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(SCENARIOS[args.one]()))
        return
    if args.profile:
        import cProfile
        import pstats
        cProfile.runctx("SCENARIOS[args.profile]()", globals(), {"args": args}, "/tmp/bench.prof")
        pstats.Stats("/tmp/bench.prof").sort_stats("tottime").print_stats(12)
        return
    for name in ("linux-large", "linux-small"):
        report(name, [in_subprocess(name) for _ in range(args.runs)], 1.0, None)
    report("full", [in_subprocess("full")], 20.0, 2048.0)


if __name__ == "__main__":
    main()
