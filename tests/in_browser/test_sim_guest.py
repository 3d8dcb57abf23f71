"""Notebook 08's whole-guest explorer in Chromium: a bare page, the static site, JupyterLab, Voila.

Every control is driven (each rule x host large pages x each process count offered) and
the root's data-* and the census cells are checked against the simulator run here through
the scenario (``scenarios.linux.run_whole_guest``: MMUStats and check()'s verdict), never
against the page or the records. On the bare page and the static site (no kernel; every
request off the page's own origin aborted) each toggle must answer in the same frame: the
change is dispatched and the root read in one JS task.
"""

from __future__ import annotations

import json
from itertools import product

import pytest

from in_browser.test_explorers_kernel import kernel_exec, wait_kernel_true
from in_browser.harness import LOAD_MS, STEP_MS
from in_browser.test_static_site import offline_page, site_dir, site_url  # noqa: F401 (fixtures)
from frontend.harness import offline_file_page, sim_page
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.scenarios.linux import run_whole_guest
from shadowmmu.states.whole_guest import PROCESS_COUNTS

ROOT = '.smmu-explorer[data-explorer="whole-guest"]'
COMBOS = list(product(QUADRANT_RULES, (True, False), PROCESS_COUNTS))
UPDATE_MS = STEP_MS

# Set the three controls (select.smmu-rule, input.smmu-large, select.smmu-processes) in one
# task, dispatching "change" for each that changes, and read the root at once.
JS_SET = """([root, rule, large, processes]) => {
  const r = document.querySelector(root);
  const set = (sel, prop, v) => {
    const e = r.querySelector(sel);
    if (e[prop] !== v) { e[prop] = v; e.dispatchEvent(new Event("change", {bubbles: true})); }
  };
  set("select.smmu-rule", "value", rule);
  set("input.smmu-large", "checked", large);
  set("select.smmu-processes", "value", String(processes));
  return JS_READ(r);
}"""
JS_READ = """(r) => ({...r.dataset, census: [...r.querySelectorAll("g.smmu-census-cell")].map(
    (g) => [g.dataset.level, g.dataset.direct || "", g.dataset.quadrant, g.dataset.count])})"""
JS_SET = JS_SET.replace("JS_READ(r)", f"({JS_READ})(r)")


def expected(rule: str, large: bool, processes: int) -> dict:
    stats, mismatch = run_whole_guest(processes, 64, large, rule)
    return {"stateKey": f"{rule}|{int(large)}|{processes}", "status": "", "rule": rule,
            "large": "1" if large else "0", "processes": str(processes),
            "shadowPages": str(stats.total_shadow_pages), "overheadBytes": str(stats.shadow_bytes),
            "verdict": "right" if mismatch is None else "wrong", "stats": stats}


def check(got: dict, want: dict, where: str) -> None:
    for k, v in want.items():
        if k != "stats":
            assert got.get(k) == v, f"{where}: data-{k} is {got.get(k)!r}, the simulator says {v!r}"
    stats = want["stats"]
    for level, direct, quadrant, count in got["census"]:
        if level == "all":
            assert int(count) == stats.total_shadow_pages, where
        elif quadrant != "all":
            key = (int(level), int(quadrant), direct == "1")
            assert int(count) == stats.shadow_pages.get(key, 0), f"{where}: census {key}"
    drawn = {(int(lv), int(q), d == "1") for lv, d, q, _ in got["census"] if "all" not in (lv, q)}
    assert set(stats.shadow_pages) <= drawn, f"{where}: census lacks {set(stats.shadow_pages) - drawn}"


def drive_every_combination(page, root: str = ROOT) -> None:
    for rule, large, n in COMBOS:
        got = page.evaluate(JS_SET, [root, rule, large, n])
        check(got, expected(rule, large, n), f"{rule}/{large}/{n}")


def tab_reaches_every_control(page, root: str = ROOT) -> None:
    page.locator(f"{root} select.smmu-rule").focus()
    seen = []
    for _ in range(3):
        seen.append(page.evaluate("() => document.activeElement.className"))
        page.keyboard.press("Tab")
    assert seen == ["smmu-rule", "smmu-large", "smmu-processes"], seen


@pytest.fixture
def bare_page(chromium_context, tmp_path):
    html = tmp_path / "guest.html"
    html.write_text(sim_page(whole_guest_explorer()), encoding="utf-8")
    with offline_file_page(chromium_context, html, width=960, height=1200) as pg:
        yield pg


def test_bare_page_every_control(bare_page):
    pg = bare_page
    check(pg.evaluate(f"() => ({JS_READ})(document.querySelector('{ROOT}'))"),
          expected("mainline", True, 3), "first picture")
    drive_every_combination(pg)
    tab_reaches_every_control(pg)
    # real clicks too: the checkbox and the two selects
    pg.select_option(f"{ROOT} select.smmu-rule", "halves")
    pg.select_option(f"{ROOT} select.smmu-processes", "2")
    pg.locator(f"{ROOT} input.smmu-large").check()
    check(pg.evaluate(f"() => ({JS_READ})(document.querySelector('{ROOT}'))"),
          expected("halves", True, 2), "after clicks")
    assert "WRONG" in pg.inner_text(f"{ROOT} .smmu-picture")
    # the picture fits: nothing wider than the 960 px page
    assert pg.evaluate(f"() => document.querySelector('{ROOT} svg').getBoundingClientRect().right") <= 960


def test_bare_page_says_another_input_needs_the_kernel(bare_page):
    pg = bare_page
    pg.evaluate(f"""() => {{ const s = document.querySelector('{ROOT} select.smmu-processes');
      const o = document.createElement('option'); o.value = '6'; o.textContent = '6'; s.append(o);
      s.value = '6'; s.dispatchEvent(new Event('change')); }}""")
    root = pg.locator(ROOT)
    assert root.get_attribute("data-status") == "needs-kernel"
    assert "live notebook" in pg.inner_text(f"{ROOT} .smmu-status")
    assert root.get_attribute("data-processes") == "3"  # the last good picture stays


def test_static_site_every_control(offline_page):
    page, guard = offline_page("08-whole-guest")
    page.locator(ROOT).first.wait_for(state="visible", timeout=LOAD_MS)
    assert page.locator(ROOT).count() == 1
    check(page.evaluate(f"() => ({JS_READ})(document.querySelector('{ROOT}'))"),
          expected("mainline", True, 3), "first picture")
    drive_every_combination(page)
    tab_reaches_every_control(page)
    assert guard.aborted == []


FIND = ("[w for w in list(__import__('ipywidgets').widgets.widget._instances.values()) "
        "if getattr(w, 'kind', None) == 'whole-guest']")


def test_jupyterlab_every_control_and_a_live_request(lab):
    nb = lab("08-whole-guest.ipynb")
    page = nb.page
    page.locator(ROOT).first.wait_for(state="visible", timeout=LOAD_MS)
    drive_every_combination(page)
    # Python sees the reader's last choice (the page's state messages are sent as it goes,
    # so the kernel may lag a moment behind the 48 quick changes) ...
    last = [{"rule": COMBOS[-1][0], "large": COMBOS[-1][1], "processes": COMBOS[-1][2]}]
    if not wait_kernel_true(page, f"__import__('json').dumps([w.inputs for w in {FIND}], sort_keys=True)"
                                  f" == {json.dumps(last, sort_keys=True)!r}"):
        seen = json.loads(kernel_exec(page, f"import json; print(json.dumps([w.inputs for w in {FIND}]))"))
        assert seen == last
    # ... and answers an input outside the precomputed space (a live run in the kernel)
    kernel_exec(page, f"{FIND}[0].show(rule='lai', large=True, processes=6)")
    want = expected("lai", True, 6)
    page.wait_for_function(f"() => document.querySelector('{ROOT}').dataset.stateKey === 'lai|1|6'",
                           timeout=UPDATE_MS)
    check(page.evaluate(f"() => ({JS_READ})(document.querySelector('{ROOT}'))"), want, "lai/6 from Python")


def test_voila_every_control(voila):
    page = voila("08-whole-guest.ipynb")
    page.locator(ROOT).first.wait_for(state="visible", timeout=LOAD_MS)
    drive_every_combination(page)
    tab_reaches_every_control(page)
