"""Benchmark: notebook 07's precomputed write states, their build time and their size.

Run: .venv/bin/python benchmarks/bench_write_states.py [--runs N]

What ``make site`` pays for the static page's write explorer: the time to compute
every record of ``writes_explorer.default_space()`` (states.writes.write_record), the
time to construct the explorer with that space (records + widget), and the size of
``json.dumps(x.states)``, the state space the static page carries. Medians of N runs,
the records and the widget side by side. No target is asserted (the lead's brief asks
for the figures; keep the static page small).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from shadowmmu.frontend.writes_explorer import default_space, guest_write_explorer
from shadowmmu.states.writes import write_record


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    space = default_space()
    guest_write_explorer(space=[])  # warm-up: imports, node-free widget set-up
    records, _ = timed(lambda: [write_record(i) for i in space], args.runs)
    built, x = timed(guest_write_explorer, args.runs)
    size = len(json.dumps(x.states))
    print(f"python {platform.python_version()} on {platform.machine()}; {args.runs} runs, medians")
    print(f"states in the default space      {len(x.states):>10}")
    print(f"compute every record             {statistics.median(records) * 1e3:>10.1f} ms")
    print(f"construct the explorer (all)     {statistics.median(built) * 1e3:>10.1f} ms")
    print(f"json.dumps(x.states)             {size / 1024:>10.1f} KiB ({size} bytes)")
    print(f"per state                        {size / len(x.states) / 1024:>10.1f} KiB")


if __name__ == "__main__":
    main()
