"""Benchmark: what notebook 10's in-page explorers add to `make site`, and a live answer's cost.

Run: .venv/bin/python benchmarks/bench_real_states.py [--runs N]

Times, as medians of N runs: building ``real_guest_explorer()`` and
``cr3_switch_explorer()`` with their full default spaces (the first run, which
also reads the snapshots, is reported apart), the static SVG node draws for
each, and one live record for an address off the presets (what a kernel does
for a request). Sizes: ``json.dumps`` of each explorer's ``states`` and
``spec``, the widget state a static page stores. No target: the figures go in
the report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.states.real_guest import real_probe_record


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1e3, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"runs: {args.runs} (median; the first run reads the snapshot files too)")
    for name, build in (("real_guest_explorer()", real_guest_explorer),
                        ("cr3_switch_explorer()", cr3_switch_explorer)):
        first, x = timed(build)
        rest = [timed(build)[0] for _ in range(args.runs)]
        draw = statistics.median(timed(x.static_svg)[0] for _ in range(args.runs))
        states, spec = len(json.dumps(x.states)), len(json.dumps(x.spec))
        print(f"{name:22s} {len(x.states):3d} states  build: first {first:7.1f} ms, "
              f"median {statistics.median(rest):7.1f} ms  static SVG (node) {draw:6.1f} ms  "
              f"json: states {states / 1024:6.1f} KiB, spec {spec / 1024:5.1f} KiB")
    live = [timed(lambda: real_probe_record({"snapshot": "user-2", "va": 0x08049123}))[0]
            for _ in range(args.runs)]
    print(f"one live probe record (user-2, 0x08049123): median {statistics.median(live):.1f} ms")


if __name__ == "__main__":
    main()
