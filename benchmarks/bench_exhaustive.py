"""Benchmark: every quadrant rule over all 2**20 guest pages, vectorised vs a plain loop.

Run: .venv/bin/python benchmarks/bench_exhaustive.py [--loop-runs N] [--vector-runs N]

Both evaluators run the same rule functions (shadowmmu.rules) in the same
process, side by side; we print the median of several runs of each and the
ratio. Targets (issue 3): vectorised under 100 ms for all rules together, and
at least 50x faster than the loop.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from shadowmmu import QUADRANT_RULES
from shadowmmu.exhaustive import check_all_rules, check_rule_loop


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-runs", type=int, default=3)
    parser.add_argument("--vector-runs", type=int, default=11)
    args = parser.parse_args()

    vector_result = check_all_rules()  # warm-up, and the answer both must give
    loop_result = {name: check_rule_loop(name) for name in QUADRANT_RULES}
    assert loop_result == vector_result, "the two evaluators disagree"

    vector = timed(check_all_rules, args.vector_runs)
    loop = timed(lambda: [check_rule_loop(name) for name in QUADRANT_RULES], args.loop_runs)
    v, l = statistics.median(vector), statistics.median(loop)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{len(QUADRANT_RULES)} rules x 2**20 pages")
    print(f"vectorised (numpy): median {v * 1e3:8.1f} ms over {len(vector)} runs "
          f"(min {min(vector) * 1e3:.1f}, max {max(vector) * 1e3:.1f})")
    print(f"plain Python loop : median {l * 1e3:8.1f} ms over {len(loop)} runs "
          f"(min {min(loop) * 1e3:.1f}, max {max(loop) * 1e3:.1f})")
    print(f"ratio loop/vectorised: {l / v:.0f}x")
    print(f"targets: vectorised < 100 ms: {'met' if v < 0.1 else 'MISSED'}; "
          f">= 50x: {'met' if l / v >= 50 else 'MISSED'}")
    for name, check in vector_result.items():
        verdict = "agrees on every page" if check.agrees else f"first counterexample {check.first_counterexample}"
        print(f"  {name:12s} {verdict}")


if __name__ == "__main__":
    main()
