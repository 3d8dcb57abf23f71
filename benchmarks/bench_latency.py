"""Interaction latency of the explorers in a real browser, against the kernel round-trip floor:

    $ .venv/bin/python benchmarks/bench_latency.py            # or: make benchmark
    interaction                            n   median      p95  median/floor
    echo floor (Text -> HTML)             80   47.9 ms  52.3 ms   1.00x
    02-address-anatomy: type + Enter      40   ...

What is timed: from the control change — the Enter keydown in the address box, or the
click on a bit toggle — to the moment the explorer's DOM shows every new value
(``.smmu-v[data-field]`` spans), both instants taken *inside the page* with
``performance.now()``; a capture-phase listener stamps the start and a MutationObserver
the end. Timing across Playwright calls would add ~25 ms of protocol round trips and hide
the figure we care about.

The simulator explorers of notebooks 06, 07, 08 and 10 (issue 12) are timed by
benchmarks/sim_latency.py in the same run: their steps, predict answers, toggles and presets
(no Python in the loop) in JupyterLab and on the static site, the live path (an input the
kernel computes) in JupyterLab, and, side by side, the kernel-bound ipywidgets explorers
they replaced, run from git in the same JupyterLab.

The floor is a minimal echo widget (a Text box copied into an HTML widget by an
``observe`` callback) in a notebook this script writes to a temp dir and runs in the same
JupyterLab, measured before and after the explorers: whatever the explorers cost beyond
it is ours. Targets: median within 1.5x the floor, p95 under 100 ms.

The in-page explorers of notebooks 02-05 and 09 (issue 11) are timed in the same run, in
JupyterLab and on the static site (site/, served from 127.0.0.1, nothing from other hosts),
by benchmarks/inpage_latency.py: input event to updated ``data-address`` and picture, with
their own targets (median <= 16.7 ms, p95 <= 33 ms), plus the static site's time from page
load to the first interactive explorer and its size. (The kernel-bound ipywidgets
explorers they replaced are gone; the echo floor is the side-by-side reference.)

This is a benchmark, not a test: it prints, and exits non-zero only if it could not
measure (or, with --strict, if a target is missed). JupyterLab runs on 127.0.0.1 with a
free port and throwaway settings, started and stopped here; the browser is Debian's
Chromium, as in tests/in_browser/, whose harness this reuses.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import inpage_latency as inpage     # the in-page explorers (issue 11), beside this script
import sim_latency as sim           # the simulator explorers (issue 12), beside this script

REPO = Path(__file__).resolve().parents[1]
# The simulator's explorers: heavier callbacks (a shadow-MMU access, a whole-guest run).
# (10's explorer runs in the page now, shadowmmu.frontend.real_guest_explorer: not timed here.)
FLOOR_NOTEBOOK = "00-echo-floor.ipynb"
TARGET_RATIO = 1.5
TARGET_P95_MS = 100.0


def _harness():
    """tests/in_browser/harness.py, the browser tests' plain library module (servers, Chromium,
    JS helpers), imported as the tests import it (tests/ on sys.path, as in inpage_latency
    and sim_latency); only when the browser part runs."""
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))
    return importlib.import_module("in_browser.harness")


ECHO_SOURCE = '''\
import ipywidgets as widgets

box = widgets.Text(value="", continuous_update=False, description="echo")
box.add_class("smmu-address")
out = widgets.HTML()
state = {"va": 0}

def _show(va):
    out.value = f'<span class="smmu-v" data-field="va">0x{va:08X}</span>'

def _echo(change):                      # the floor: Text -> HTML, one callback
    state["va"] = int(change["new"], 16)
    _show(state["va"])

box.observe(_echo, names="value")
# The click floor: a ToggleButton -> the same HTML, for comparing the bit toggles.
toggles = []
for bit in (21, 30, 31):
    t = widgets.ToggleButton(description=str(bit))
    t.add_class("smmu-bit")
    t.add_class(f"smmu-bit-{bit}")
    t.observe(lambda change, bit=bit: (state.update(va=state["va"] ^ (1 << bit)), _show(state["va"])),
              names="value")
    toggles.append(t)
floor = widgets.VBox([box, widgets.HBox(toggles), out])
floor.add_class("smmu-explorer")
floor
'''


def write_floor_notebook(directory: Path) -> None:
    nb = new_notebook(
        cells=[new_markdown_cell("Echo floor: a Text copied into an HTML widget."),
               new_code_cell(ECHO_SOURCE)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}})
    nbformat.write(nb, directory / FLOOR_NOTEBOOK)


def shown(va: int) -> dict[str, str]:
    """What each .smmu-v span shows for va: the benchmark's own arithmetic (an oracle the
    tests pin by hand), used only to know when the page has caught up."""
    return {
        "va": f"0x{va:08X}",
        "pdpte_index": str(va >> 30 & 0x3), "pd_quadrant": str(va >> 30 & 0x3),
        "pt_quadrant": str(va >> 21 & 0x1),
        "guest_pde_index": str(va >> 22), "guest_pte_index": str(va >> 12 & 0x3FF),
        "shadow_pde_index": str(va >> 21 & 0x1FF), "shadow_pte_index": str(va >> 12 & 0x1FF),
        "page_offset": str(va & 0xFFF),
    }


# Arms one measurement: resolves with (t_dom - t_control) in ms, both read in the page. The
# control instant is the first click, Enter keydown or change event (a <select> set by
# Playwright fires no click; fill() fires only input, so typing starts at Enter).
# SHOWS is replaced by the browser tests' own matcher (harness.JS_SHOWS).
JS_ARM = """([root, want, ms]) => {
  const matches = () => (SHOWS)([root, want]);
  if (matches()) throw new Error('the page already shows ' + JSON.stringify(want));
  window.__smmuPending = new Promise((resolve, reject) => {
    let t0 = null;
    const start = (e) => {
      if (t0 === null && (e.type !== 'keydown' || e.key === 'Enter')) t0 = performance.now();
    };
    const obs = new MutationObserver(() => {
      if (t0 !== null && matches()) { const t1 = performance.now(); done(); resolve(t1 - t0); }
    });
    const timer = setTimeout(() => { done(); reject(new Error('no update within ' + ms + ' ms')); }, ms);
    function done() {
      obs.disconnect(); clearTimeout(timer);
      for (const k of ['keydown', 'click', 'change']) window.removeEventListener(k, start, true);
    }
    for (const k of ['keydown', 'click', 'change']) window.addEventListener(k, start, true);
    obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  });
  window.__smmuPending.catch(() => {});
}"""


def next_address(rng: random.Random, prev: int) -> int:
    """A random address whose PDPTE index and PT quadrant both differ from prev's, so every
    view showing either field has to change."""
    pdpte = ((prev >> 30) + rng.randrange(1, 4)) & 3
    ptq = (prev >> 21 & 1) ^ 1
    va = rng.getrandbits(32)
    return (va & ~(0b11 << 30) & ~(1 << 21)) | pdpte << 30 | ptq << 21


class Driver:
    def __init__(self, h, page):
        self.h = h
        self.page = page
        self._ex = None
        self.va = None

    @property
    def ex(self):
        """The page's address explorer, found on first use (08 has none)."""
        if self._ex is None:
            self._ex = self.h.AddressExplorer(self.page)
        return self._ex

    def _timed(self, want: dict[str, str], act) -> float:
        handle = self.ex.root.element_handle()
        try:
            self.page.evaluate(JS_ARM.replace("SHOWS", self.h.JS_SHOWS), [handle, want, self.h.UPDATE_MS])
            act()
            return float(self.page.evaluate("() => window.__smmuPending"))
        finally:
            handle.dispose()

    def type_address(self, va: int, want: dict[str, str]) -> float:
        def act():
            self.ex.box.fill(f"0x{va:08X}")
            self.ex.box.press("Enter")
        dt = self._timed(want, act)
        self.va = va
        return dt

    def toggle(self, bit: int, want_for) -> float:
        va = self.va ^ (1 << bit)
        dt = self._timed(want_for(va), self.ex.root.locator(f".smmu-bit-{bit}").first.click)
        self.va = va
        return dt


def measure_typing(d: Driver, n: int, warmup: int, rng: random.Random, want_for) -> list[float]:
    va, out = 0x00000000, []
    for i in range(warmup + n):
        va = next_address(rng, va)
        dt = d.type_address(va, want_for(va))
        if i >= warmup:
            out.append(dt)
    return out


def measure_toggles(d: Driver, n: int, warmup: int, want_for) -> list[float]:
    bits = [21, 30, 31]          # each flips the PT quadrant or the PDPTE index
    d.type_address(0x12345678, want_for(0x12345678))
    out = []
    for i in range(warmup + n):
        dt = d.toggle(bits[i % len(bits)], want_for)
        if i >= warmup:
            out.append(dt)
    return out


# --------------------------------------------------------------------------- 06, 08, 10

def sim_addresses(rng: random.Random, n: int, mapped: list[tuple[int, int]], first: int) -> list[int]:
    """n addresses, each unlike the one before: 3 of 4 inside a mapping of the guest (any
    byte of it), the rest anywhere (mostly unmapped: a #PF the view also shows)."""
    out, prev = [], first
    while len(out) < n:
        if rng.random() < 0.75:
            base, size = rng.choice(mapped)
            va = base + rng.randrange(size)
        else:
            va = next_address(rng, prev)
        if va != prev:
            out.append(va)
            prev = va
    return out


def measure_address_list(d: Driver, vas: list[int], wants: list[dict[str, str]],
                         warmup: int) -> list[float]:
    out = []
    for i, (va, want) in enumerate(zip(vas, wants)):
        dt = d.type_address(va, want)
        if i >= warmup:
            out.append(dt)
    return out


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[max(0, -(-95 * len(s) // 100) - 1)]        # nearest rank


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=40, help="timed interactions per series (>= 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed interactions first")
    ap.add_argument("--notebooks", type=Path, default=REPO / "notebooks",
                    help="where the explorer notebooks are (default: notebooks/)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--skip-inpage", action="store_true",
                    help="leave out the in-page explorers of 02-05 and 09 (issue 11)")
    args = ap.parse_args(argv)
    if args.n < 30:
        ap.error("-n must be at least 30")

    h = _harness()
    missing = h.browser_missing_reason()
    if missing:
        print(f"bench_latency: cannot run: {missing}; install Debian's chromium "
              "(apt-get install chromium)", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    rng = random.Random(20240521)
    results: dict[str, list[float]] = {}

    from shadowmmu import scenarios
    guest, cr3s = scenarios.small_guest()
    small = [(va, size) for va, size, _, _ in guest.mappings(cr3s[0])]
    rg = scenarios.real_guest("user-1")
    real = [(va, size) for va, size, _, _ in rg.guest.mappings(rg.cr3s[0])]
    from shadowmmu.frontend import fault_explorer, real_guest_explorer, writes_explorer
    precomputed = ({i["va"] for i in fault_explorer.default_space()}
                   | {i["va"] for i in real_guest_explorer.real_guest_explorer().spec["presets"]})
    offsets = {i["offset"] for i in writes_explorer.default_space()}
    live = sim.live_inputs(rng, args.warmup + args.n, small, real, precomputed, offsets)
    sim_results: dict[str, list[float]] = {}
    floor: list[float] = []          # Text -> HTML: the floor for typing (and the reference)
    click_floor: list[float] = []    # ToggleButton -> HTML: what a bit toggle costs at least
    with tempfile.TemporaryDirectory(prefix="smmu-bench-") as tmp:
        work = Path(tmp) / "notebooks"
        work.mkdir()
        write_floor_notebook(work)
        present: list[str] = []
        inpage_present = [] if args.skip_inpage else inpage.copy_explorer_notebooks(args.notebooks, work)
        inpage_results: dict[str, list[float]] = {}
        for stem in sim.NEW_PAGES:
            for ext in (".ipynb", ".py"):
                src = args.notebooks / f"{stem}{ext}"
                if src.is_file():
                    (work / src.name).write_bytes(src.read_bytes())
            if (work / f"{stem}.ipynb").is_file():
                present.append(stem)
            else:
                print(f"bench_latency: {stem}.ipynb not found; skipped", file=sys.stderr)
        old_names = sim.write_old_notebooks(work, sim.old_package(Path(tmp)))

        server = h.start_server("lab", notebook_dir=work)
        try:
            with sync_playwright() as pw:
                ctx = h.launch_chromium(pw, str(Path(tmp) / "profile"))
                try:
                    def run(name, body):
                        page = ctx.new_page()
                        nb = h.open_lab_notebook(page, server, name)
                        try:
                            problems = nb.report().problems()
                            if problems:
                                raise RuntimeError(f"{name} did not run clean: {problems}")
                            return body(Driver(h, page))
                        finally:
                            nb.close()

                    echo = lambda va: {"va": f"0x{va:08X}"}   # noqa: E731

                    def floor_body(d):
                        floor.extend(measure_typing(d, args.n, args.warmup, rng, echo))
                        click_floor.extend(measure_toggles(d, args.n, args.warmup, echo))

                    run(FLOOR_NOTEBOOK, floor_body)
                    bench = sys.modules[__name__]     # JS_ARM, next_address, p95, Driver...
                    results.update(sim.measure_old(bench, h, run, old_names, args.n,
                                                   args.warmup, rng, small, real))
                    for stem in present:
                        def body(d, stem=stem):
                            sim_results.update(sim.measure_new(bench, d.page, stem, "lab", args.n,
                                                               args.warmup, rng, live))
                        run(f"{stem}.ipynb", body)
                    inpage_results.update(inpage.measure_lab(
                        bench, h, ctx, server, inpage_present, args.n, args.warmup, rng))
                    site = inpage.site_for_bench(Path(tmp))
                    size = inpage.site_size(site)
                    static, load, aborted = ({}, {}, 0) if args.skip_inpage else inpage.measure_static(
                        bench, ctx, site, args.n, args.warmup, rng)
                    inpage_results.update(static)
                    static, more = sim.measure_new_static(bench, ctx, site, args.n, args.warmup, rng)
                    sim_results.update(static)
                    aborted += more
                    run(FLOOR_NOTEBOOK, floor_body)      # after too: the floor must not drift
                finally:
                    ctx.close()
        finally:
            server.stop()

    f_med = statistics.median(floor)
    print()
    print(f"{'interaction':40} {'n':>4} {'median':>9} {'p95':>9} {'median/floor':>13}  targets")
    print(f"{'FLOOR echo Text -> HTML (before+after)':40} {len(floor):4} {f_med:7.1f}ms "
          f"{p95(floor):7.1f}ms {1.0:12.2f}x")
    print(f"{'  click floor ToggleButton -> HTML':40} {len(click_floor):4} "
          f"{statistics.median(click_floor):7.1f}ms {p95(click_floor):7.1f}ms "
          f"{statistics.median(click_floor) / f_med:12.2f}x  (reference for toggles)")
    missed = []
    for label, xs in results.items():
        med, q95 = statistics.median(xs), p95(xs)
        ok_ratio, ok_p95 = med <= TARGET_RATIO * f_med, q95 < TARGET_P95_MS
        verdict = "met" if ok_ratio and ok_p95 else "MISSED " + " ".join(
            t for t, ok in ((f"median>{TARGET_RATIO}x floor", ok_ratio),
                            (f"p95>={TARGET_P95_MS:.0f}ms", ok_p95)) if not ok)
        if not (ok_ratio and ok_p95):
            missed.append(label)
        extra = (f"; {med / statistics.median(click_floor):.2f}x the click floor"
                 if "toggle" in label else "")
        print(f"{label:40} {len(xs):4} {med:7.1f}ms {q95:7.1f}ms {med / f_med:12.2f}x  "
              f"{verdict}{extra}")
    print(f"\ntargets: median within {TARGET_RATIO}x the floor, p95 under {TARGET_P95_MS:.0f} ms; "
          f"times are in-page (performance.now + MutationObserver), control change to DOM.\n")
    missed += inpage.report(sys.modules[__name__], inpage_results, f_med, load, size, aborted)
    missed += sim.report(sys.modules[__name__], sim_results, f_med)
    if not results and not inpage_results and not sim_results:
        print("no explorer notebooks measured", file=sys.stderr)
        return 1
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
