"""The in-page explorers' share of bench_latency.py: static site and JupyterLab, load time, size.

Imported by benchmarks/bench_latency.py (not a benchmark of its own: `make benchmark` runs
only bench_*.py). What is timed, for each explorer of notebooks 02-05 and 09 (issue 11's
testing contract: ``.smmu-explorer[data-explorer=…]``, ``input.smmu-address``,
``[data-bit]``): from the Enter keydown in the address box, or the click on a bit, to the
first moment the explorer's ``data-address`` is the new address *and* its picture (the
root's text, address box and messages left out) differs from before — both instants taken
inside the page with ``performance.now()``, the end by a MutationObserver. On the static
site (a plain HTTP server on 127.0.0.1, every other origin aborted) no kernel is anywhere; in
JupyterLab the kernel is there but not in the loop.

Load time: a fresh tab per load (routing on, so no HTTP cache), from navigation start
(``performance.now()`` is relative to it) to the first moment an explorer root has its
``data-address`` and its address box: the first interactive explorer.

Targets (issue 11): median <= 16.7 ms (one frame at 60 Hz), p95 <= 33 ms.
"""

from __future__ import annotations

import random
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.explorer_contract import JS_PICTURE  # noqa: E402
from in_browser.static_site import NetworkGuard, find_or_build_site, serve, site_is_current  # noqa: E402

EXPLORER_PAGES = {"address-anatomy": "02-address-anatomy", "pd-split": "03-pd-split",
                  "pt-split": "04-pt-split", "rule": "05-role-from-parent", "exercise": "09-exercises"}
TARGET_MEDIAN_MS = 16.7
TARGET_P95_MS = 33.0
BITS = (21, 30, 31)


# bench_latency's JS_ARM takes a matcher ([root, want]) => bool; ours: the new address is in
# data-address and the picture differs from the one taken when the measurement was armed.
MATCHER = ("([root, want]) => root.getAttribute('data-address') === want.address"
           " && (" + JS_PICTURE + ")(root) !== want.before")

# Stamps the first interactive explorer (see the docstring); installed before any page script.
JS_LOAD_PROBE = """(() => {
  const ready = () => {
    for (const r of document.querySelectorAll('.smmu-explorer[data-address]'))
      if (r.querySelector('input.smmu-address')) return true;
    return false;
  };
  const obs = new MutationObserver(() => {
    if (window.__smmuInteractive === undefined && ready()) {
      window.__smmuInteractive = performance.now(); obs.disconnect();
    }
  });
  obs.observe(document, {subtree: true, childList: true, attributes: true});
})();"""


def copy_explorer_notebooks(src: Path, work: Path) -> list[str]:
    present = []
    for stem in EXPLORER_PAGES.values():
        for ext in (".ipynb", ".py"):
            if (src / f"{stem}{ext}").is_file():
                (work / f"{stem}{ext}").write_bytes((src / f"{stem}{ext}").read_bytes())
        if (work / f"{stem}.ipynb").is_file():
            present.append(f"{stem}.ipynb")
    return present


class InPage:
    """One in-page explorer on a page, timed through the contract."""

    def __init__(self, bench, page, kind: str, timeout_ms: int = 60_000):
        self.bench = bench          # bench_latency: JS_ARM, next_address, p95
        self.page = page
        self.root = page.locator(f'.smmu-explorer[data-explorer="{kind}"]').first
        self.root.wait_for(state="visible", timeout=timeout_ms)
        page.wait_for_function("(r) => r.hasAttribute('data-address')",
                               arg=self.root.element_handle(), timeout=timeout_ms)

    def address(self) -> int:
        return int(self.root.get_attribute("data-address"), 16)

    def timed(self, va: int, act) -> float:
        handle = self.root.element_handle()
        want = {"address": f"0x{va:08X}", "before": self.root.evaluate(JS_PICTURE)}
        try:
            self.page.evaluate(self.bench.JS_ARM.replace("SHOWS", MATCHER), [handle, want, 20_000])
            act()
            return float(self.page.evaluate("() => window.__smmuPending"))
        finally:
            handle.dispose()

    def type_address(self, va: int) -> float:
        box = self.root.locator("input.smmu-address").first

        def act():
            box.fill(f"0x{va:08X}")
            box.press("Enter")
        return self.timed(va, act)

    def toggle(self, bit: int) -> float:
        va = self.address() ^ (1 << bit)
        return self.timed(va, self.root.locator(f'[data-bit="{bit}"]').first.click)

    def has_bits(self) -> bool:
        return self.root.locator("[data-bit]").count() > 0

    def click_entry(self, rng: random.Random) -> float:
        """Click a random visible entry that selects another address."""
        entries = self.root.locator("[data-select-address]")
        here = self.address()
        for _ in range(50):
            e = entries.nth(rng.randrange(entries.count()))
            va = int(e.get_attribute("data-select-address"), 16)
            if va != here and e.is_visible():
                return self.timed(va, e.click)
        raise RuntimeError("no visible entry selects another address")


def measure(ex: InPage, n: int, warmup: int, rng: random.Random) -> dict[str, list[float]]:
    """n timed address changes by typing, then n by clicking bits 21/30/31 in turn (or, on
    an explorer without bits, table entries); bench_latency's next_address() picks each
    typed address (PDPTE index and PT quadrant both move)."""
    typing, clicks, va = [], [], ex.address()
    for i in range(warmup + n):
        va = ex.bench.next_address(rng, va)
        dt = ex.type_address(va)
        if i >= warmup:
            typing.append(dt)
    bits = ex.has_bits()
    for i in range(warmup + n):
        dt = ex.toggle(BITS[i % len(BITS)]) if bits else ex.click_entry(rng)
        if i >= warmup:
            clicks.append(dt)
    return {"type + Enter": typing, "click bit" if bits else "click entry": clicks}


def measure_lab(bench, h, ctx, server, present: list[str], n: int, warmup: int,
                rng: random.Random) -> dict[str, list[float]]:
    out = {}
    for kind, stem in EXPLORER_PAGES.items():
        if f"{stem}.ipynb" not in present:
            continue
        page = ctx.new_page()
        nb = h.open_lab_notebook(page, server, f"{stem}.ipynb")
        try:
            for what, xs in measure(InPage(bench, page, kind), n, warmup, rng).items():
                out[f"in-page {kind} (lab): {what}"] = xs
        finally:
            nb.close()
    return out


def measure_static(bench, ctx, site: Path, n: int, warmup: int, rng: random.Random,
                   loads: int = 5) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """(latency series, load times per page, requests aborted) on the static site."""
    out, load, aborted = {}, {}, 0
    with serve(site) as base:
        for kind, stem in EXPLORER_PAGES.items():
            if not (site / f"{stem}.html").is_file():
                continue
            times = []
            for _ in range(loads):
                page = ctx.new_page()
                guard = NetworkGuard(base).install(page)
                page.add_init_script(JS_LOAD_PROBE)
                page.goto(f"{base}/{stem}.html", wait_until="load")
                page.wait_for_function("() => window.__smmuInteractive !== undefined", timeout=60_000)
                times.append(page.evaluate("() => window.__smmuInteractive"))
                if len(times) < loads:
                    aborted += len(guard.aborted)
                    page.close()
            load[stem] = times
            try:
                for what, xs in measure(InPage(bench, page, kind), n, warmup, rng).items():
                    out[f"in-page {kind} (static): {what}"] = xs
                aborted += len(guard.aborted)
            finally:
                page.close()
    return out, load, aborted


def site_for_bench(tmp: Path) -> Path:
    site = REPO / "site"
    if not site_is_current(site):
        print("bench_latency: site/ is missing or stale; building a fresh one (make site)")
    return find_or_build_site(tmp)


def site_size(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def report(bench, results: dict[str, list[float]], floor_median: float,
           load: dict[str, list[float]], size: tuple[int, int], aborted: int) -> list[str]:
    """Print the in-page rows (same columns as bench_latency's table); return the misses."""
    missed = []
    for label, xs in results.items():
        med, q95 = statistics.median(xs), bench.p95(xs)
        ok = med <= TARGET_MEDIAN_MS and q95 <= TARGET_P95_MS
        if not ok:
            missed.append(label)
        verdict = "met" if ok else f"MISSED (median<={TARGET_MEDIAN_MS}, p95<={TARGET_P95_MS:.0f})"
        print(f"{label:46} {len(xs):4} {med:7.1f}ms {q95:7.1f}ms {med / floor_median:12.2f}x  {verdict}")
    print(f"\nin-page targets: median <= {TARGET_MEDIAN_MS} ms, p95 <= {TARGET_P95_MS:.0f} ms "
          "(input event -> data-address and picture updated, in-page)")
    if load:
        print("\nstatic site, navigation start -> first interactive explorer (fresh tab, no HTTP cache):")
        for stem, xs in load.items():
            print(f"  {stem:28} n={len(xs)}  median {statistics.median(xs):7.1f} ms  "
                  f"max {max(xs):7.1f} ms")
        print(f"  requests to other origins aborted during the static-site run: {aborted}")
    print(f"static site size: {size[0] / 1e6:.2f} MB in {size[1]} files")
    return missed
