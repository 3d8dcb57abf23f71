"""The simulator explorers' share of bench_latency.py (issue 12): steps and toggles, static and live.

Imported by benchmarks/bench_latency.py. Two kinds of series, in the same run:

* **today's explorers, side by side**: the kernel-bound ipywidgets explorers of notebooks
  06, 08 and 10 that issue 12 replaced, taken from git (``OLD_REF``, ``git archive``) into
  a temp dir and run in the same JupyterLab as everything else, their kernel importing the
  old package (a first cell puts it on ``sys.path``). Timed as the old bench timed them:
  06 and 10 type + Enter until the view's ``va`` readout shows the new address (their
  HTML view is replaced in one message), 08 a click on host large pages until the text
  of its HTML views first changes (its census, overhead and verdict arrive as three
  messages: this is the first, so it flatters the old explorer).
* **the new explorers**: every interaction that needs no Python (a step, a predict answer,
  a toggle or preset answered from the precomputed states) on the static site and in
  JupyterLab, and the live path (a new address or offset the kernel computes) in
  JupyterLab. Start: the click, Enter, input or change event (capture phase); end: the
  first DOM mutation after which the root's state attribute has moved
  (``data-step``, ``data-state-key``...) — both stamped in the page with
  ``performance.now()``, the end by a MutationObserver.

Target for what needs no Python: median <= 16.7 ms (one frame at 60 Hz). The live path has
no target; its figures are reported beside the echo floor (the kernel round trip).
"""

from __future__ import annotations

import io
import random
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import NetworkGuard, serve  # noqa: E402
#: The last commit whose notebooks 06, 08 and 10 used the kernel-bound ipywidgets explorers.
OLD_REF = "a0bfc93"
TARGET_MEDIAN_MS = 16.7
OLD_CELLS = {
    "old-06-page-fault.ipynb": "from shadowmmu.widgets.fault import page_fault_explorer\n"
                               "page_fault_explorer(0xDEADBEEF)",
    "old-08-whole-guest.ipynb": "from shadowmmu.widgets.whole_guest import whole_guest_explorer\n"
                                "whole_guest_explorer(processes=3, mem_mib=64)",
    "old-10-real-guest.ipynb": "from shadowmmu.widgets.real_guest import real_guest_explorer\n"
                               "real_guest_explorer('user-1', 0x08048000)",
}


def old_package(tmp: Path) -> Path:
    """OLD_REF's shadowmmu/ unpacked under tmp/old (git archive: no checkout, no worktree)."""
    out = tmp / "old"
    out.mkdir(exist_ok=True)
    blob = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", OLD_REF, "shadowmmu"],
                          capture_output=True, check=True, timeout=120).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(out, filter="data")
    return out


def write_old_notebooks(work: Path, old: Path) -> list[str]:
    """One notebook per old explorer, its kernel importing the old package; their names."""
    first = (f"import sys\nsys.path.insert(0, {str(old)!r})\nimport shadowmmu\n"
             f"assert shadowmmu.__file__.startswith({str(old)!r}), shadowmmu.__file__")
    for name, cell in OLD_CELLS.items():
        nb = new_notebook(cells=[new_code_cell(first), new_code_cell(cell)],
                          metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}})
        nbformat.write(nb, work / name)
    return list(OLD_CELLS)


# Resolves once the text of the root's HTML views differs from `before` (08's old explorer:
# its census, overhead and verdict are HTML widgets; the controls' own text is left out).
JS_VIEWS = ("(r) => [...r.querySelectorAll('.widget-html-content')]"
            ".map((e) => e.textContent).join('|').replace(/\\s+/g, ' ')")
MATCH_TEXT = f"([root, want]) => ({JS_VIEWS})(root) !== want.before"
# Resolves once the root's attribute `want.attr` differs from `want.before`.
MATCH_ATTR = "([root, want]) => root.getAttribute(want.attr) !== want.before"


def timed(bench, page, root, want: dict, matcher: str, act, ms: int = 30_000) -> float:
    """One interaction: bench.JS_ARM armed with matcher, act() done; the in-page time."""
    handle = root.element_handle()
    try:
        page.evaluate(bench.JS_ARM.replace("SHOWS", matcher), [handle, want, ms])
        act()
        return float(page.evaluate("() => window.__smmuPending"))
    finally:
        handle.dispose()


def measure_old(bench, h, run, names: list[str], n: int, warmup: int,
                rng: random.Random, small: list, real: list) -> dict[str, list[float]]:
    """Today's (replaced) kernel-bound explorers, in the same JupyterLab; run(name, body) is
    bench_latency's: it opens the notebook, runs it clean and calls body(Driver)."""
    out = {}

    def whole(d):
        root = d.page.locator(".smmu-explorer:has(.smmu-large)").first
        root.wait_for(state="visible", timeout=h.WIDGETS_RENDER_MS)
        box = root.locator(".smmu-large input").first
        xs = []
        for i in range(warmup + n):
            before = root.evaluate(JS_VIEWS)
            dt = timed(bench, d.page, root, {"before": before}, MATCH_TEXT, box.click)
            d.page.wait_for_timeout(400)   # let the other two messages land
            if i >= warmup:
                xs.append(dt)
        out["today 08 (kernel): toggle large pages"] = xs

    def typing(label, mapped, first):
        def body(d):
            vas = bench.sim_addresses(rng, warmup + n, mapped, first)
            wants = [{"va": f"0x{va:08X}"} for va in vas]
            out[label] = bench.measure_address_list(d, vas, wants, warmup)
        return body

    bodies = {"old-06-page-fault.ipynb": typing("today 06 (kernel): type + Enter", small, 0xDEADBEEF),
              "old-08-whole-guest.ipynb": whole,
              "old-10-real-guest.ipynb": typing("today 10 (kernel): type + Enter", real, 0x08048000)}
    for name in names:
        run(name, bodies[name])
    return out


# --------------------------------------------------------------------------- the new explorers

#: page stem -> (data-explorer, which of that kind on the page: 0 first, -1 last)
NEW_PAGES = {"06-page-fault": ("page-fault", 0), "07-guest-writes": ("guest-write", -1),
             "08-whole-guest": ("whole-guest", 0), "10-real-guest": ("real-guest", 0)}
MATCH_STEP = ("([root, want]) => root.getAttribute('data-step') !== want.step"
              " || root.getAttribute('data-asking') !== want.asking")
MATCH_KEY = ("([root, want]) => root.getAttribute('data-state-key') !== want.key"
             " && (root.getAttribute('data-status') || '') === ''")
ANSWERS = ".smmu-predict-answer, .smmu-predict-choice"


class Sim:
    """One simulator explorer on a page, timed through its root's data-* attributes."""

    def __init__(self, bench, page, stem: str, timeout_ms: int = 60_000):
        kind, which = NEW_PAGES[stem]
        self.bench, self.page, self.stem = bench, page, stem
        roots = page.locator(f'.smmu-explorer[data-explorer="{kind}"]')
        roots.first.wait_for(state="visible", timeout=timeout_ms)
        self.root = roots.nth(which if which >= 0 else roots.count() - 1)
        page.wait_for_function("(r) => (r.getAttribute('data-state-key') || '') !== ''",
                               arg=self.root.element_handle(), timeout=timeout_ms)

    def attr(self, name: str) -> str:
        return self.root.get_attribute(name) or ""

    def keyed(self, act) -> float:
        """act() must show another state: timed until data-state-key moves (status clear)."""
        return timed(self.bench, self.page, self.root, {"key": self.attr("data-state-key")}, MATCH_KEY, act)

    def step_or_answer(self) -> tuple[str, float]:
        """One press: answer the question asked (its first choice), else the next step; at the
        last step, start again (untimed) from step 0 by re-entering the address or store."""
        if self.attr("data-asking") == "" and self.attr("data-step") == str(int(self.attr("data-steps")) - 1):
            self.restart()
        want = {"step": self.attr("data-step"), "asking": self.attr("data-asking")}
        if want["asking"]:
            button = self.root.locator(ANSWERS).first
            return "answer a question", timed(self.bench, self.page, self.root, want, MATCH_STEP, button.click)
        button = self.root.locator(".smmu-step-next").first
        return "next step", timed(self.bench, self.page, self.root, want, MATCH_STEP, button.click)

    def restart(self) -> None:
        """The same input again (Enter in its box): a new run from step 0, questions unanswered."""
        box = self.root.locator("input.smmu-address, input.smmu-offset").first
        box.fill(box.input_value())
        box.press("Enter")
        self.page.wait_for_function(
            "(r) => r.getAttribute('data-step') === '0' && r.getAttribute('data-asking') === ''",
            arg=self.root.element_handle(), timeout=30_000)


def _series(out: dict, label: str, n: int, warmup: int, one) -> None:
    xs = []
    for i in range(warmup + n):
        dt = one(i)
        if i >= warmup:
            xs.append(dt)
    out[label] = xs


def measure_new(bench, page, stem: str, where: str, n: int, warmup: int, rng: random.Random,
                live: dict | None = None) -> dict[str, list[float]]:
    """Every interaction of the page's simulator explorer that needs no Python; with ``live``
    (JupyterLab), also the kernel path: live[stem] is a list of inputs to type."""
    s, out = Sim(bench, page, stem), {}
    tag = f"{stem[:2]} {NEW_PAGES[stem][0]} ({where})"
    if stem in ("06-page-fault", "07-guest-writes"):
        steps: dict[str, list[float]] = {}
        while min((len(v) for v in steps.values()), default=0) < warmup + n or len(steps) < 2:
            what, dt = s.step_or_answer()
            steps.setdefault(what, []).append(dt)
            if sum(len(v) for v in steps.values()) > 20 * (warmup + n):
                break
        for what, xs in steps.items():
            out[f"{tag}: {what}"] = xs[warmup:warmup + n]
    if stem == "06-page-fault":
        box = s.root.locator("input.smmu-write-access").first
        _series(out, f"{tag}: toggle write access", n, warmup, lambda i: s.keyed(box.click))
        presets = s.root.locator("[data-select-address]")
        _series(out, f"{tag}: preset address", n, warmup,
                lambda i: s.keyed(_other(s, presets, "data-select-address", "data-address").click))
    if stem == "07-guest-writes":
        box = s.root.locator("input.smmu-unsync").first
        _series(out, f"{tag}: toggle unsync", n, warmup, lambda i: s.keyed(box.click))
        stores = s.root.locator("[data-select-store]")
        _series(out, f"{tag}: preset store", n, warmup, lambda i: s.keyed(stores.nth(i % stores.count()).click))
    if stem == "08-whole-guest":
        large = s.root.locator("input.smmu-large").first
        _series(out, f"{tag}: toggle large pages", n, warmup, lambda i: s.keyed(large.click))
        rule = s.root.locator("select.smmu-rule").first
        rules = rule.evaluate("(e) => [...e.options].map((o) => o.value)")
        _series(out, f"{tag}: change rule", n, warmup, lambda i: s.keyed(
            lambda: rule.select_option(rules[(rules.index(rule.input_value()) + 1) % len(rules)])))
        procs = s.root.locator("select.smmu-processes").first
        counts = procs.evaluate("(e) => [...e.options].map((o) => o.value)")
        _series(out, f"{tag}: change processes", n, warmup, lambda i: s.keyed(
            lambda: procs.select_option(counts[(counts.index(procs.input_value()) + 1) % len(counts)])))
    if stem == "10-real-guest":
        presets = s.root.locator("[data-select-address]")
        _series(out, f"{tag}: preset address", n, warmup,
                lambda i: s.keyed(_other(s, presets, "data-select-address", "data-address").click))
        snap = s.root.locator("select.smmu-snapshot").first
        names = snap.evaluate("(e) => [...e.options].map((o) => o.value)")
        _series(out, f"{tag}: change snapshot", n, warmup, lambda i: s.keyed(
            lambda: snap.select_option(names[(names.index(snap.input_value()) + 1) % len(names)])))
    if live and stem in live:
        box = s.root.locator("input.smmu-offset" if stem.startswith("07") else "input.smmu-address").first
        values = live[stem]

        def typed(i):
            def act():
                box.fill(values[i])
                box.press("Enter")
            return s.keyed(act)
        _series(out, f"{tag}: LIVE new input (kernel computes)", n, warmup, typed)
    return out


def _other(s: Sim, locs, attr: str, here_attr: str):
    """The next preset button (in turn) that selects something other than what is shown."""
    here = s.attr(here_attr).lower()
    others = [locs.nth(i) for i in range(locs.count())
              if (locs.nth(i).get_attribute(attr) or "").lower() != here]
    s.turn = (getattr(s, "turn", -1) + 1) % len(others)
    return others[s.turn]


def measure_new_static(bench, ctx, site: Path, n: int, warmup: int,
                       rng: random.Random) -> tuple[dict[str, list[float]], int]:
    """measure_new on each simulator page of the static site (127.0.0.1, other origins
    aborted); (series, requests aborted)."""
    out, aborted = {}, 0
    with serve(site) as base:
        for stem in NEW_PAGES:
            if not (site / f"{stem}.html").is_file():
                continue
            page = ctx.new_page()
            guard = NetworkGuard(base).install(page)
            try:
                page.goto(f"{base}/{stem}.html", wait_until="load")
                out.update(measure_new(bench, page, stem, "static", n, warmup, rng))
            finally:
                aborted += len(guard.aborted)
                page.close()
    return out, aborted


def live_inputs(rng: random.Random, n: int, small: list, real: list, skip: set,
                skip_offsets: set) -> dict[str, list[str]]:
    """Inputs no explorer precomputed (so the kernel must answer): n per page, all distinct
    (the page keeps every answer), none an address in ``skip`` or an offset in ``skip_offsets``."""
    def addresses(mapped):
        out = []
        while len(out) < n:
            base, size = rng.choice(mapped)
            va = base + rng.randrange(size)
            if va not in skip and f"0x{va:08X}" not in out:
                out.append(f"0x{va:08X}")
        return out
    offsets = rng.sample([f"0x{k * 8:03X}" for k in range(1, 511) if k * 8 not in skip_offsets], n)
    return {"06-page-fault": addresses(small), "10-real-guest": addresses(real), "07-guest-writes": offsets}


def report(bench, results: dict[str, list[float]], floor_median: float) -> list[str]:
    """Print the simulator explorers' rows (bench_latency's columns); return the misses.
    A row that needs no Python has the one-frame target; a LIVE row (the kernel computes)
    has none and is read against the echo floor."""
    missed = []
    for label, xs in sorted(results.items(), key=lambda kv: ("LIVE" in kv[0], kv[0])):
        if not xs:
            continue
        med, q95 = statistics.median(xs), bench.p95(xs)
        if "LIVE" in label:
            verdict = "(no target: kernel round trip; compare the floor)"
        elif med <= TARGET_MEDIAN_MS:
            verdict = "met"
        else:
            verdict = f"MISSED (median<={TARGET_MEDIAN_MS})"
            missed.append(label)
        print(f"{label:58} {len(xs):4} {med:7.1f}ms {q95:7.1f}ms {med / floor_median:12.2f}x  {verdict}")
    print(f"\nsimulator explorers: target median <= {TARGET_MEDIAN_MS} ms for what needs no Python "
          "(control event -> root's state attribute moved, in-page); 'today' rows above are the "
          f"kernel-bound explorers issue 12 replaced, run from {OLD_REF}")
    return missed
