"""Notebook 07's write explorer in Chromium, driven through its controls: on a bare harness
page and on the static site (no kernel, every request to another origin aborted), and in
JupyterLab and Voila, where an offset not computed ahead of time is computed by the kernel.

Expected values come from the simulator run in this process (tests/explorer_records/write_oracle.py:
ShadowMMU's shadow pages before and after, no record code), never from the page.
"""

from __future__ import annotations

import pytest

from in_browser.page_python import drawn_record, expected
from in_browser.test_static_site import offline_page, site_dir, site_url  # noqa: F401 (fixtures)
from in_browser.harness import LOAD_MS, STEP_MS
from frontend.harness import offline_file_page, sim_page
from shadowmmu.frontend.writes_explorer import WriteExplorer, guest_write_explorer
from explorer_records.write_oracle import run

ROOT = '.smmu-explorer[data-explorer="guest-write"]'
STEPS_MAX = 60
KERNEL_MS = STEP_MS
#: Notebook 07's explorers: PDE write, 8-byte PDE store, the freed directory, then "Try it"
#: (the last, with the whole state space).
TRY_IT = 3


@pytest.fixture(scope="module")
def write_page(chromium_context, tmp_path_factory):
    html = tmp_path_factory.mktemp("writes") / "writes.html"
    html.write_text(sim_page(guest_write_explorer("pt", 0x800, 4, unsync=True)), encoding="utf-8")
    with offline_file_page(chromium_context, html) as pg:
        yield pg.locator(ROOT)


def data(ex) -> dict:
    return ex.evaluate("e => ({...e.dataset})")


def click(ex, selector: str) -> None:
    ex.locator(selector).first.click()


def to_end(ex, answer: bool = True) -> list[str]:
    """Press next until the last step, answering each question (its first choice, or "show me")."""
    verdicts = []
    for _ in range(STEPS_MAX):
        d = data(ex)
        if d["asking"]:
            click(ex, ".smmu-predict-choice" if answer else ".smmu-predict-show")
            verdicts.append(data(ex)["verdict"])
        elif int(d["step"]) == int(d["steps"]) - 1:
            return verdicts
        else:
            click(ex, ".smmu-step-next")
    raise AssertionError("never reached the last step")


def until_stale(ex) -> dict:
    """Step (saying "show me" to questions) until the page says a translation is stale."""
    for _ in range(STEPS_MAX):
        d = data(ex)
        if "stale" in d:
            return d
        click(ex, ".smmu-predict-show" if d["asking"] else ".smmu-step-next")
    raise AssertionError("no step shows a stale translation")


def check_end(ex, table, offset, size, unsync) -> dict:
    o = run(table, offset, size, unsync)
    d = data(ex)
    assert (d["table"], d["offset"], d["size"], d["unsync"]) == (
        table, f"0x{offset:03X}", str(size), str(unsync).lower())
    assert d["zapped"].split() == o["zapped"] + o["invlpg_dropped"]
    assert d["status"] == "" and "stale" not in d  # flushed: nothing stale at the end
    return o


def drive_presets(ex, unsync_first: bool) -> None:
    """Presets, the unsync switch and the step buttons, each end state checked against the simulator."""
    if unsync_first:  # the unsync store: nothing zapped by the store, stale until invlpg
        o = run("pt", 0x800, 4, True)
        assert until_stale(ex)["stale"] == (f"va=0x{o['va']:08X} shadow=0x{o['shadow']:08X} "
                                            f"guest=0x{o['guest']:08X}")
        to_end(ex)
        check_end(ex, "pt", 0x800, 4, True)
        ex.locator("input.smmu-unsync").uncheck()
    # unsync off: the store is emulated; the other quadrant's page skips it
    assert data(ex)["step"] == "0" and data(ex)["unsync"] == "false"
    to_end(ex, answer=False)
    o = check_end(ex, "pt", 0x800, 4, False)
    assert data(ex)["skipped"] == "L1q0" and o["zapped"] == ["L1q1:0"]
    # the PDE write preset: two sPTEs of one root, the three other roots skip
    click(ex, 'button[data-select-store="pd:0x080:4:1"]')
    verdicts = to_end(ex)
    o = check_end(ex, "pd", 0x080, 4, False)
    assert data(ex)["skipped"].split() == [p for p in o["pages"] if p != "L2q0"]
    assert len(verdicts) == 4 and set(verdicts) <= {"right", "wrong"}
    # misaligned: every page of the frame zapped whole, none skipped
    click(ex, 'button[data-select-store="pt:0x000:8:1"]')
    click(ex, ".smmu-step-end")
    check_end(ex, "pt", 0x000, 8, False)
    assert data(ex)["skipped"] == "" and data(ex)["visited"] == "L1q0 L1q1"
    # back one step and forward again: the same state
    before = data(ex)
    click(ex, ".smmu-step-prev")
    assert int(data(ex)["step"]) == int(before["step"]) - 1
    click(ex, ".smmu-step-next")
    assert data(ex) == before
    # flooding: the third PDE store zaps every root, and new ones are loaded
    click(ex, 'button[data-select-store="pd:0x080:4:3"]')
    click(ex, ".smmu-step-end")
    assert data(ex)["stores"] == "3" and data(ex)["zapped"] == "L2q0:64 L2q0:65"
    assert data(ex)["visited"].split()[-4:] == ["L2q0", "L2q1", "L2q2", "L2q3"]
    # the guest clears a freed page directory: rep stos, not a page-table write, so KVM
    # unprotects the frame (all four shadow pages zapped whole) instead of emulating
    click(ex, 'button[data-select-store="freed_pd:0x000:4:1"]')
    assert data(ex)["action"] == "unprotect"
    to_end(ex)
    o = check_end(ex, "freed_pd", 0x000, 4, False)
    assert sorted(o["gone"]) == o["pages"] == ["L2q0", "L2q1", "L2q2", "L2q3"]
    assert data(ex)["visited"].split() == o["pages"] and data(ex)["skipped"] == ""
    assert ex.locator('[data-page="L2q3"] [data-spte="L2q3:1"]').count() == 1


def data_inputs(ex) -> dict:
    """The inputs shown, read back from data-*."""
    d = data(ex)
    return {"table": d["table"], "offset": int(d["offset"], 16), "size": int(d["size"]),
            "unsync": d["unsync"] == "true", "stores": int(d["stores"])}


def refuses_and_keeps_the_picture(ex) -> None:
    picture = ex.locator(".smmu-picture").inner_html()
    box = ex.locator("input.smmu-offset")
    box.fill("0x1000")
    box.press("Enter")
    assert ex.locator(".smmu-error").inner_text() == "byte offset '0x1000' is outside 0x000..0xFFC"
    assert ex.locator(".smmu-picture").inner_html() == picture


def test_presets_unsync_and_steps_match_the_simulator(write_page):
    assert data(write_page)["step"] == "0" and data(write_page)["stateKey"] == "pt|2048|4|1|1"
    drive_presets(write_page, unsync_first=True)


def test_a_wrong_answer_is_named_and_the_step_shown(write_page):
    ex = write_page
    click(ex, 'button[data-select-store="pd:0x080:4:1"]')
    click(ex, ".smmu-step-next")
    assert data(ex)["asking"] == "1" and data(ex)["step"] == "0"
    click(ex, '.smmu-predict-choice[data-answer="store"]')
    assert data(ex)["verdict"] == "wrong" and data(ex)["step"] == "1"
    assert "wrong: you said" in ex.locator(".smmu-verdict").inner_text()


def test_bad_and_unprecomputed_offsets_keep_the_picture(write_page):
    ex = write_page
    click(ex, 'button[data-select-store="pt:0x000:4:1"]')
    before, picture = data(ex), ex.locator(".smmu-picture").inner_html()
    refuses_and_keeps_the_picture(ex)
    box = ex.locator("input.smmu-offset")
    box.fill("0x404")  # a valid offset, not computed ahead of time: needs the kernel
    box.press("Enter")
    d = data(ex)
    assert d["status"] == "needs-kernel" and d["stateKey"] == before["stateKey"]
    assert "needs the live notebook" in ex.locator(".smmu-status").inner_text()
    assert ex.locator(".smmu-picture").inner_html() == picture


def test_on_the_static_site(offline_page):  # noqa: F811 (the fixture imported above)
    page, guard = offline_page("07-guest-writes")
    page.wait_for_selector(ROOT, timeout=LOAD_MS)
    explorers = page.locator(ROOT)
    assert explorers.count() == TRY_IT + 1
    ex = explorers.nth(TRY_IT)
    assert data(ex)["stateKey"] == "pt|2048|4|0|1"
    drive_presets(ex, unsync_first=False)
    refuses_and_keeps_the_picture(ex)
    picture = ex.locator(".smmu-picture").inner_html()
    box = ex.locator("input.smmu-offset")
    box.fill("0x404")
    box.press("Enter")    # not precomputed: the site's own Python computes it
    key, want = expected(WriteExplorer, {**data_inputs(ex), "offset": 0x404})
    assert drawn_record(page, ROOT, TRY_IT, key, 180_000) == want
    assert guard.aborted == []


def computed_by_the_kernel(page) -> None:
    """Type an offset that was not precomputed: the kernel's record arrives and is right."""
    page.locator(ROOT).nth(TRY_IT).wait_for()
    ex = page.locator(ROOT).nth(TRY_IT)
    box = ex.locator("input.smmu-offset")
    box.fill("0x404")  # gPTE 257: not precomputed
    box.press("Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel)[n].dataset.stateKey === 'pt|1028|4|0|1'",
        arg=[ROOT, TRY_IT], timeout=KERNEL_MS)
    assert data(ex)["status"] == ""
    to_end(ex)
    check_end(ex, "pt", 0x404, 4, False)
    assert data(ex)["skipped"] == "L1q1"


def test_in_jupyterlab_a_new_offset_is_computed_by_the_kernel(lab):
    computed_by_the_kernel(lab("07-guest-writes.ipynb").page)


def test_in_voila_a_new_offset_is_computed_by_the_kernel(voila):
    computed_by_the_kernel(voila("07-guest-writes.ipynb"))
