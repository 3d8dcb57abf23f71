"""Benchmark: notebook 08's explorer state space: one record, the whole space, its JSON size.

Run: .venv/bin/python benchmarks/bench_whole_guest_space.py [--runs N]

Side by side, in one process: the bare simulator run the old ipywidgets explorer made
per toggle (``run_whole_guest``), one record (``whole_guest_record``: the same run plus
the map and the CR3-switch reuse) for 1 and for the largest process count offered, and
``whole_guest_explorer()`` with its default space (every rule x host large pages x
process count: what ``make site`` stores). Medians of N runs; sizes of
``json.dumps(x.states)`` (what the page carries) and per state. Budget (issue 12's
helper brief): the whole space in at most ~30 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.scenarios.linux import run_whole_guest
from shadowmmu.states.whole_guest import MEM_MIB, PROCESS_COUNTS, whole_guest_record


def median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}; medians of {args.runs} runs")
    for n in (1, max(PROCESS_COUNTS)):
        sim = median_s(lambda: run_whole_guest(n, MEM_MIB, True, "mainline"), args.runs)
        rec = median_s(lambda: whole_guest_record({"rule": "mainline", "large": True, "processes": n}),
                       args.runs)
        size = len(json.dumps(whole_guest_record({"rule": "mainline", "large": False, "processes": n})))
        print(f"{n} process(es): run_whole_guest {sim * 1e3:7.1f} ms   whole_guest_record "
              f"{rec * 1e3:7.1f} ms ({rec / sim:.2f}x)   record (large off) {size / 1024:6.1f} KiB")
    build = median_s(whole_guest_explorer, max(1, args.runs // 2))
    x = whole_guest_explorer()
    size = len(json.dumps(x.states))
    print(f"whole space: {len(x.states)} states, built in {build:.2f} s (median), "
          f"json.dumps(states) {size / 1024:.0f} KiB ({size / len(x.states) / 1024:.1f} KiB per state)")


if __name__ == "__main__":
    main()
