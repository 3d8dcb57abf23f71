"""What the simulator explorers (issue 12) carry: their precomputed states, in time and bytes.

    $ .venv/bin/python benchmarks/bench_states.py [--runs N]

Each simulator explorer computes, when it is built, the record of every input of its
default space: in a kernel when the cell runs, and at ``make site`` time for the static
page, whose whole state space that is. For each explorer of notebooks 06, 07, 08 and 10,
side by side in one process (medians of N runs; the first build of 10's explorers also
reads the snapshot files, so it is reported apart):

* records in the default space; building the explorer with it, and with ``space=[]``
  (one record, the shown one) for the ratio;
* ``len(json.dumps(x.states))``, what the widget state stores, and its gzip size (what a
  compressing web server would send), the largest record, and the ``spec`` (data sent
  once per explorer, e.g. 10's page directories);
* one live record off the space (what the kernel computes for a new input);
* the static SVG drawn by node for the notebook output.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import time

from shadowmmu.frontend.fault_explorer import page_fault_explorer
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.frontend.writes_explorer import guest_write_explorer

#: name -> (builder, one input off the default space for the live figure)
EXPLORERS = {
    "06 page_fault_explorer": (page_fault_explorer, {"va": 0xDEAD0123}),
    "07 guest_write_explorer": (guest_write_explorer, {"offset": 0x404}),
    "08 whole_guest_explorer": (whole_guest_explorer, {"processes": 6}),
    "10 real_guest_explorer": (real_guest_explorer, {"va": 0x08049123}),
    "10 cr3_switch_explorer": (cr3_switch_explorer, None),
}


def median_ms(fn, runs: int) -> tuple[float, float]:
    """(first, median of the rest) of fn's wall time, in ms."""
    out = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1e3)
    return out[0], statistics.median(out[1:])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}; medians of {args.runs} runs")
    head = (f"{'explorer':25} {'states':>6} {'build':>9} {'(first)':>9} {'one':>8} {'json':>9} "
            f"{'gzip':>8} {'largest':>8} {'spec':>8} {'live':>8} {'svg':>7}")
    print(head)
    total = total_gz = 0
    for name, (build, off) in EXPLORERS.items():
        first, full = median_ms(build, args.runs)
        _, one = median_ms(lambda: build(space=[]), args.runs)
        x = build()
        text = json.dumps(x.states)
        gz = len(gzip.compress(text.encode()))
        total, total_gz = total + len(text), total_gz + gz
        largest = max(len(json.dumps(r)) for r in x.states.values())
        spec = len(json.dumps(x.spec))
        live = "-"
        if off is not None:
            x2 = build(space=[])
            _, ms = median_ms(lambda: x2._extra.clear() or x2.record_for({**x2.inputs, **off}), args.runs)
            live = f"{ms:.1f}ms"
        _, svg = median_ms(x.static_svg, max(1, args.runs // 2))
        print(f"{name:25} {len(x.states):6d} {full:7.0f}ms {first:7.0f}ms {one:6.1f}ms "
              f"{len(text) / 1024:7.0f}KiB {gz / 1024:6.0f}KiB {largest / 1024:6.1f}KiB "
              f"{spec / 1024:6.1f}KiB {live:>8} {svg:5.0f}ms")
    print(f"{'all five':25} {'':6} {'':9} {'':9} {'':8} {total / 1024:7.0f}KiB {total_gz / 1024:6.0f}KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
