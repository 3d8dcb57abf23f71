"""A slice of benchmarks/soak.py in every CI run, and proof that the soak can fail.

The full soak (1,000 workloads per rule family) is a benchmark; here a few
workloads per family run from a seed that changes every run (set
SHADOWMMU_SOAK_SEED to fix it), so CI covers new workloads each time, and a
failure message carries the command line that replays it.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

SOAK_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"
_spec = importlib.util.spec_from_file_location("shadowmmu_soak", SOAK_PATH)
soak = sys.modules["shadowmmu_soak"] = importlib.util.module_from_spec(_spec)  # dataclasses need it
_spec.loader.exec_module(soak)

SEED = int(os.environ.get("SHADOWMMU_SOAK_SEED", random.randrange(1 << 20)))


def test_a_slice_of_the_soak_finds_nothing_stale():
    tallies = soak.run(workloads=16, seed=SEED, steps=40)
    assert set(tallies) == {"preallocated", "special", "address"}
    for family, t in tallies.items():
        assert t.failures == [], "\n".join(t.failures)
        assert (t.workloads, t.steps, t.stale) == (16, 16 * 40, 0), (family, SEED)
        assert t.full_checks > 0 and t.compared > 16 * 40 * len(soak.VAS)


def test_the_soak_catches_the_halves_misconception_and_replays_it():
    # "halves" (spte_index >= 256) gives the two PAE PTs of a guest PT the wrong
    # quadrants: guest PTEs 0 and 512 alias one shadow page, so some workload
    # must see another frame than the guest maps.
    t = soak.run(workloads=20, seed=0, steps=40, families=("preallocated",),
                 rules=("halves",))["preallocated"]
    assert t.stale > 0 and t.failures
    line = t.failures[0]
    seed = int(line.split()[1])
    again = soak.Workload(seed, "preallocated", 40, rules=("halves",)).run()
    assert again.failures == [line]


def test_command_line_prints_the_figures():
    proc = subprocess.run([sys.executable, str(SOAK_PATH), "--workloads", "2", "--steps", "5",
                           "--seed", str(SEED)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    total = next(line for line in proc.stdout.splitlines() if line.startswith("total: "))
    assert total.startswith("total: 6 workloads, 30 steps, ") and "0 stale translations" in total
    assert "  by unsync: False 3, True 3" in proc.stdout  # seeds cycle unsync with their low bit
