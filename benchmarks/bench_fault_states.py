"""What notebook 06's page-fault explorer adds to a page: its precomputed states, in time and bytes.

The explorer carries the record of every input of its default space (the preset
addresses plus the two the notebook names, x read/write x two processes x two
"before" states), computed when it is constructed: in a kernel at the cell's run,
and at ``make site`` time for the static page, whose whole state space it is. We
measure, side by side:

* constructing ``page_fault_explorer()`` with its full space (median of --runs),
  and, for the ratio, with an empty space (one record: the shown one);
* ``len(json.dumps(x.states))`` (what the widget state stores), its gzip size, the
  number of records, and the largest record;
* the static SVG drawn by node for the notebook output (median).

Run: ``python benchmarks/bench_fault_states.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time

from shadowmmu.frontend.fault_explorer import page_fault_explorer


def timed(f, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    full = timed(lambda: page_fault_explorer(), args.runs)
    one = timed(lambda: page_fault_explorer(space=[]), args.runs)
    x = page_fault_explorer()
    text = json.dumps(x.states)
    biggest = max(len(json.dumps(r)) for r in x.states.values())
    svg = timed(x.static_svg, max(3, args.runs // 3))
    print(f"records                      {len(x.states)}")
    print(f"construct, full space        {full * 1000:.0f} ms (median of {args.runs})")
    print(f"construct, one record        {one * 1000:.1f} ms  (ratio {full / one:.0f}x)")
    print(f"json.dumps(states)           {len(text)} bytes ({len(text) / 1024:.0f} KiB), "
          f"gzip {len(gzip.compress(text.encode())) / 1024:.0f} KiB")
    print(f"largest record               {biggest} bytes")
    print(f"static SVG by node           {svg * 1000:.0f} ms (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
