"""Notebook 06's page-fault explorer in a real browser, with no kernel and with one.

Bare page (tests/frontend/harness.py sim_page: save_changes() throws, as on a static
page; every non-file request aborted) and the built static site (no kernel, non-loopback
aborted): every precomputed fault of a preset address is stepped to the end, answering
the questions, and its data-gpa / data-fault is checked against ShadowMMU.access run in
this process on its own fresh small guest (not against the record). A question is
answered wrong once and right once; an address outside the precomputed space says it
needs the live notebook and keeps the picture on the bare page; on the site the page's own
Python computes it (tests/in_browser/test_page_python.py). JupyterLab: a non-preset address is
computed by the kernel and its data-gpa is the simulator's.
"""

from __future__ import annotations

import pytest

from in_browser.harness import LOAD_MS, STEP_MS
from in_browser.page_python import drawn_record, expected
from in_browser.static_site import NetworkGuard, serve
from in_browser.test_static_site import offline_page, site_dir, site_url  # noqa: F401 (fixtures)
from frontend.harness import sim_page
from shadowmmu.consts import PRESETS
from shadowmmu.frontend.fault_explorer import FaultExplorer, page_fault_explorer
from explorer_records.small_oracle import simulator_run

ROOT = '.smmu-explorer[data-explorer="page-fault"]'


def simulator_says(va, write, process, before):
    """("gpa", 0x%08X) or ("fault", message), from ShadowMMU.access on a fresh small guest."""
    gpa, fault, *_ = simulator_run(va, write, process, before)
    return ("fault", fault) if fault else ("gpa", f"0x{gpa:08X}")


def data(pg):
    return pg.eval_on_selector(ROOT, "e => ({...e.dataset})")


def step_to_end(pg, answer_with=None):
    """Press next until the last step, answering each question (the answer buttons' first,
    or 'show'); returns the questions' step indices."""
    asked = []
    for _ in range(60):
        d = data(pg)
        if d.get("asking"):
            asked.append(int(d["asking"]))
            sel = ".smmu-predict-show" if answer_with is None else f'.smmu-predict-answer[data-answer="{answer_with}"]'
            pg.locator(f"{ROOT} {sel}").click()
            continue
        if int(d["step"]) == int(d["steps"]) - 1:
            return asked
        pg.locator(f"{ROOT} .smmu-step-next").click()
    raise AssertionError(f"never reached the last step: {data(pg)}")


def set_inputs(pg, va, write, process, before):
    pg.locator(f"{ROOT} select.smmu-process").select_option(str(process))
    pg.locator(f"{ROOT} select.smmu-before").select_option(before)
    box = pg.locator(f"{ROOT} input.smmu-write-access")
    if box.is_checked() != write:
        box.click()
    pg.locator(f'{ROOT} [data-select-address="0x{va:08X}"]').click()


def check_every_preset(pg, addresses=PRESETS):
    for va in addresses:
        for write in (False, True):
            for process in (0, 1):
                for before in ("fresh", "after-p1"):
                    set_inputs(pg, va, write, process, before)
                    d = data(pg)
                    where = f"0x{va:08X} write={write} process={process} before={before}"
                    assert d["address"] == f"0x{va:08X}" and d["step"] == "0", (where, d)
                    assert d["stateKey"] == f"{va}|{int(write)}|{process}|{before}", (where, d)
                    step_to_end(pg)
                    d = data(pg)
                    kind, want = simulator_says(va, write, process, before)
                    if kind == "gpa":
                        assert d.get("gpa") == want and "fault" not in d, (where, d)
                    else:
                        assert d.get("fault") == want and "gpa" not in d, (where, d)


def open_page(chromium_context, url):
    """A fresh tab at url; requests to any other origin aborted. Returns (page, guard, errors)."""
    pg = chromium_context.new_page()
    pg.set_viewport_size({"width": 1000, "height": 1400})
    guard = NetworkGuard(url.rsplit("/", 1)[0]).install(pg)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(url)
    return pg, guard, errors


@pytest.fixture(scope="module")
def harness_page(chromium_context, tmp_path_factory):
    d = tmp_path_factory.mktemp("fault")
    (d / "fault.html").write_text(sim_page(page_fault_explorer(0xDEADBEEF)), encoding="utf-8")
    with serve(d) as base:
        pg, guard, errors = open_page(chromium_context, f"{base}/fault.html")
        pg.wait_for_function("window.smmuReady === true", timeout=STEP_MS)
        yield pg
        pg.close()
    assert not errors, errors
    assert guard.aborted == []


def test_every_preset_fault_steps_to_the_simulators_answer(harness_page):
    check_every_preset(harness_page)


def test_predict_then_reveal(harness_page):
    pg = harness_page
    set_inputs(pg, 0xDEADBEEF, False, 0, "fresh")
    d = data(pg)
    assert d["shadowPages"] == "4" and "gpa" not in d
    pg.locator(f"{ROOT} .smmu-step-next").click()      # step 1 is the root: asked first
    d = data(pg)
    assert d["asking"] == "1" and d["step"] == "0"
    assert pg.locator(f"{ROOT} .smmu-predict-answer").count() == 4
    # 0xDEADBEEF = 11 011110101 ...: bits 31:30 = 3, so pae_root[3]; answer 0 (wrong)
    pg.locator(f'{ROOT} .smmu-predict-answer[data-answer="0"]').click()
    d = data(pg)
    assert d["step"] == "1" and d["predict"] == "wrong" and d["asking"] == ""
    assert "pae_root[3]" in pg.locator(f"{ROOT} .smmu-predict-verdict").inner_text()
    asked = step_to_end(pg, answer_with=1)            # the PT quadrant: bit 21 of ...BEEF is 1
    assert len(asked) == 1
    d = data(pg)
    assert d["gpa"] == "0x00123EEF" and d["shadowPages"] == "5"
    svg = pg.locator(f"{ROOT} .smmu-picture svg").inner_html()
    assert "L1 q1 gfn 0xE02" in svg
    # the same address again with Enter: from step 0, questions unanswered
    box = pg.locator(f"{ROOT} input.smmu-address")
    box.fill("0xDEADBEEF")
    box.press("Enter")
    d = data(pg)
    assert d["step"] == "0" and "gpa" not in d


def test_the_write_checkbox_reruns_at_once(harness_page):
    pg = harness_page
    set_inputs(pg, 0x08048000, False, 0, "after-p1")
    assert data(pg)["steps"] == "5"                    # a read after a read: no fault, 3 walks
    pg.locator(f"{ROOT} input.smmu-write-access").click()
    d = data(pg)
    assert d["write"] == "1" and d["step"] == "0" and int(d["steps"]) > 5   # clean PTE: a write faults


def test_an_address_outside_the_space_needs_the_kernel_and_keeps_the_picture(harness_page):
    needs_the_kernel(harness_page)


def needs_the_kernel(pg):
    set_inputs(pg, 0xC0000000, False, 0, "fresh")
    before = data(pg)
    svg = pg.locator(f"{ROOT} .smmu-picture").inner_html()
    box = pg.locator(f"{ROOT} input.smmu-address")
    box.fill("0x12345678")
    box.press("Enter")
    d = data(pg)
    assert d["status"] == "needs-kernel"
    assert "live notebook" in pg.locator(f"{ROOT} .smmu-status").inner_text()
    assert {k: v for k, v in d.items() if k != "status"} == {k: v for k, v in before.items() if k != "status"}
    assert pg.locator(f"{ROOT} .smmu-picture").inner_html() == svg
    box.fill("0x1_0000_0000")
    box.press("Enter")
    assert "0x00000000..0xFFFFFFFF" in pg.locator(f"{ROOT} .smmu-error").inner_text().replace(" ", "")


def test_the_keyboard_steps(harness_page):
    pg = harness_page
    set_inputs(pg, 0xC0200000, False, 0, "fresh")
    pg.locator(ROOT).focus()
    pg.keyboard.press("End")
    d = data(pg)
    assert int(d["step"]) == int(d["steps"]) - 1 and d["gpa"] == simulator_says(0xC0200000, False, 0, "fresh")[1]
    pg.keyboard.press("ArrowLeft")
    assert int(data(pg)["step"]) == int(d["steps"]) - 2


# ---- the built static site: the notebook's own explorer, no kernel, nothing off the site

def test_static_site_steps_every_preset_to_the_simulators_answer(offline_page):
    pg, guard = offline_page("06-page-fault")
    pg.locator(ROOT).first.wait_for(state="visible", timeout=LOAD_MS)
    assert pg.locator(ROOT).count() == 1
    assert pg.locator(f"{ROOT} .smmu-picture svg").count() == 1
    check_every_preset(pg)
    set_inputs(pg, 0xDEADBEEF, False, 0, "fresh")
    pg.locator(f"{ROOT} .smmu-step-next").click()
    assert data(pg)["asking"] == "1"
    pg.locator(f'{ROOT} .smmu-predict-answer[data-answer="3"]').click()   # bits 31:30 of 0xDEADBEEF
    assert data(pg)["predict"] == "right"
    # off the presets: the site's own Python computes it (test_page_python.py has the rest)
    box = pg.locator(f"{ROOT} input.smmu-address")
    box.fill("0x12345678")
    box.press("Enter")
    key, want = expected(FaultExplorer, {"va": 0x12345678, "write": False, "process": 0, "before": "fresh"})
    assert drawn_record(pg, ROOT, 0, key, 180_000) == want
    assert guard.aborted == []


# ---- with a kernel: any address is computed by the simulator in the kernel

@pytest.mark.parametrize("where", ["lab", "voila"])
def test_a_new_address_is_computed_by_the_kernel(request, where):
    if where == "lab":
        pg = request.getfixturevalue("lab")("06-page-fault.ipynb").page
    else:
        pg = request.getfixturevalue("voila")("06-page-fault.ipynb")
    pg.locator(ROOT).first.wait_for(state="visible", timeout=LOAD_MS)
    va = 0xDEAD0123                       # not precomputed: 0xDEAD0000's page, another offset
    pg.locator(f"{ROOT} select.smmu-process").select_option("1")
    box = pg.locator(f"{ROOT} input.smmu-address")
    box.fill(f"0x{va:08X}")
    box.press("Enter")
    pg.wait_for_function(f"""() => {{ const e = document.querySelector('{ROOT}');
        return e.dataset.address === '0x{va:08X}' && e.dataset.process === '1'; }}""", timeout=STEP_MS)
    assert data(pg)["status"] == ""
    step_to_end(pg)
    assert data(pg)["gpa"] == simulator_says(va, False, 1, "fresh")[1]


def test_new_elements_animate_unless_the_reader_asks_for_less_motion(harness_page):
    pg = harness_page
    set_inputs(pg, 0xDEADBEEF, False, 0, "fresh")
    pg.locator(f"{ROOT} .smmu-step-end").click()
    # the last steps added the level-1 page and the leaf: drawn as new, with an animation
    name = "() => getComputedStyle(document.querySelector('%s .smmu-new')).animationName" % ROOT
    pg.locator(f"{ROOT} .smmu-step-prev").click()
    assert pg.evaluate(name) != "none"
    pg.emulate_media(reduced_motion="reduce")
    try:
        assert pg.evaluate(name) == "none"
    finally:
        pg.emulate_media(reduced_motion="no-preference")


def test_tab_reaches_every_control(harness_page):
    pg = harness_page
    set_inputs(pg, 0xDEADBEEF, False, 0, "after-p1")
    pg.locator(f"{ROOT} .smmu-step-next").click()       # the root question: Tab reaches its buttons
    pg.locator(f"{ROOT} input.smmu-address").focus()
    for _ in range(30):
        pg.keyboard.press("Tab")
        if pg.evaluate("() => document.activeElement.className") == "smmu-predict-show":
            break
    else:
        raise AssertionError("Tab never reached the question's 'just show me'")
    pg.keyboard.press("Enter")                         # answered: step 1, previous and next enabled
    assert data(pg)["step"] == "1"
    pg.locator(f"{ROOT} input.smmu-address").focus()
    seen = set()
    for _ in range(30):
        pg.keyboard.press("Tab")
        seen.add(pg.evaluate("() => document.activeElement.className"))
    for cls in ("smmu-write-access", "smmu-process", "smmu-before", "smmu-step-prev", "smmu-step-next",
                "smmu-step-end"):
        assert cls in seen, (cls, seen)
