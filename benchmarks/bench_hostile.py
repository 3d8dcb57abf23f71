"""Benchmark: how long, and how much memory, load_snapshot() takes to refuse a hostile file.

Run: .venv/bin/python benchmarks/bench_hostile.py [--runs N] [--bomb-gib G]

Issue 14 bounds every refusal at 5 s and 256 MiB. We build each hostile
file once in a temporary directory (the xz bomb is G GiB of zeros, default
3, like the 468 KB file of the issue; building it is not timed), then run
every case N times (default 3), each time in a fresh process, and report
the median wall time and the largest peak RSS. The peak RSS of one run is
its process's ru_maxrss, read with resource.getrusage(RUSAGE_CHILDREN) by
a small middle process that starts it and waits for it, so no run can see
another's peak. "baseline" imports shadowmmu.snapshot and loads nothing:
the interpreter's own share. Wall time includes interpreter start-up
(baseline shows how much). The tests in tests/model/test_snapshot_hostile.py
check the messages; this file measures only.
"""

from __future__ import annotations

import argparse
import base64
import json
import lzma
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shadowmmu.snapshot import MAX_EXPANDED_BYTES, available_snapshots

LIMIT_S, LIMIT_MIB = 5.0, 256
PAGE_B64 = base64.b64encode(bytes(4096)).decode()


def _valid() -> dict:
    return {"format": "shadowmmu-snapshot/1", "name": "b", "cr0": 0x8000_0011, "cr3": 0x3000,
            "cr4": 0x10, "cpl": 3, "pages": {"0x3": PAGE_B64}, "gva2gpa": [], "info_tlb": "",
            "info_mem": "", "meta": {}}


def _xz(path: Path, data: bytes) -> Path:
    path.write_bytes(lzma.compress(data, preset=1))
    return path


def _obj(path: Path, **changes) -> Path:
    obj = _valid()
    obj.update(changes)
    return _xz(path, json.dumps(obj).encode())


def _fill(unit: str, head: str = "[", tail: str = "]") -> bytes:
    """Just under MAX_EXPANDED_BYTES of JSON repeating unit: the most objects the cap lets in."""
    count = (MAX_EXPANDED_BYTES - len(head) - len(tail)) // (len(unit) + 1)
    return (head + ",".join([unit] * count) + tail).encode()


def build_cases(tmp: Path, bomb_gib: int) -> dict[str, Path | None]:
    real = available_snapshots()[-1]
    cases: dict[str, Path | None] = {"baseline": None, f"real snapshot ({real.name})": real}
    (tmp / "truncated").write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    cases["truncated xz"] = tmp / "truncated"
    (tmp / "random").write_bytes(random.Random(0).randbytes(1 << 20))
    cases["random bytes (1 MiB)"] = tmp / "random"
    comp = lzma.LZMACompressor(preset=1)
    with (tmp / "bomb").open("wb") as out:
        for _ in range(bomb_gib * 16):
            out.write(comp.compress(bytes(1 << 26)))
        out.write(comp.flush())
    cases[f"xz bomb ({bomb_gib} GiB of zeros, {(tmp / 'bomb').stat().st_size // 1000} KB)"] = tmp / "bomb"
    cases["xz of invalid JSON"] = _xz(tmp / "badjson", b'{"format": "shadowmmu-snapshot/1", "pa')
    cases["JSON of the wrong shape"] = _xz(tmp / "shape", b'{"format": "shadowmmu-snapshot/1"}')
    cases["JSON of the wrong types"] = _obj(tmp / "types", cr3="0x3000", pages=[])
    cases["a page of the wrong length"] = _obj(tmp / "len", pages={"0x3": "A" * 5460})
    cases["huge frame number"] = _obj(tmp / "huge", pages={"0x" + "f" * 4000: PAGE_B64})
    cases["negative frame number"] = _obj(tmp / "neg", pages={"-0x10": PAGE_B64})
    cases["thousands of pages (3000)"] = _obj(tmp / "many", pages={f"0x{g:x}": "" for g in range(3000)})
    cases["CR3 outside the pages"] = _obj(tmp / "cr3", cr3=0x7000)
    cases["deeply nested JSON (1M levels)"] = _xz(tmp / "deep", b"[" * (1 << 20) + b"]" * (1 << 20))
    cases["4 MiB of [{\"a\":[]},...] (most objects)"] = _xz(tmp / "objs", _fill('{"a":[]}'))
    cases["4 MiB of [[],...] (most lists)"] = _xz(tmp / "lists", _fill("[]"))
    cases["4 MiB of [0,0,...] (most integers)"] = _xz(tmp / "ints", _fill("0"))
    head, tail = json.dumps(_valid()).split('"gva2gpa": []')
    cases["4 MiB of gva2gpa pairs (valid: loads)"] = _xz(
        tmp / "pairs", _fill("[0,null]", head=head + '"gva2gpa": [', tail="]" + tail))
    return cases


def run_case(path: str) -> None:
    """The innermost process: load one file, print what happened."""
    from shadowmmu.snapshot import load_snapshot

    if not path:
        print("ok: nothing loaded")
        return
    try:
        snap = load_snapshot(path)
    except ValueError as err:
        print("refused:", str(err)[len(path) + 2:][:100])
    else:
        print(f"loaded: {len(snap.pages)} pages")


def measure_case(path: str) -> None:
    """The middle process: start the inner one, wait, report its wall time and peak RSS."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--run", path], capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    outcome = (done.stdout.strip() or done.stderr.strip().splitlines()[-1])[:110]
    print(json.dumps({"wall": wall, "rss_mib": peak_kib / 1024, "rc": done.returncode, "out": outcome}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bomb-gib", type=int, default=3)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        return run_case(args.run)
    if args.measure is not None:
        return measure_case(args.measure)
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_cases(Path(tmp), args.bomb_gib)
        print(f"{'case':48} {'median s':>9} {'peak MiB':>9}  outcome")
        worst_s = worst_mib = 0.0
        for name, path in cases.items():
            runs = []
            for _ in range(args.runs):
                arg = "" if path is None else str(path)
                out = subprocess.run([sys.executable, __file__, "--measure", arg],
                                     capture_output=True, text=True, check=True).stdout
                runs.append(json.loads(out))
            wall = statistics.median(r["wall"] for r in runs)
            rss = max(r["rss_mib"] for r in runs)
            worst_s, worst_mib = max(worst_s, wall), max(worst_mib, rss)
            print(f"{name:48} {wall:9.3f} {rss:9.1f}  {runs[0]['out']}")
    print(f"worst: {worst_s:.3f} s, {worst_mib:.1f} MiB peak RSS "
          f"(bounds {LIMIT_S} s, {LIMIT_MIB} MiB: {'within' if worst_s < LIMIT_S and worst_mib < LIMIT_MIB else 'EXCEEDED'})")


if __name__ == "__main__":
    main()
