"""Notebook 07's write explorer in Chromium: a bare harness page (no kernel, every non-file
request aborted), driven through its controls.

Expected values come from the simulator run in this process (tests/states/write_oracle.py:
ShadowMMU's shadow pages before and after, no record code), never from the page.
"""

from __future__ import annotations

import pytest

from frontend.harness import offline_file_page, sim_page
from shadowmmu.frontend.writes_explorer import guest_write_explorer
from states.write_oracle import run

ROOT = '.smmu-explorer[data-explorer="guest-write"]'


@pytest.fixture(scope="module")
def write_page(chromium_context, tmp_path_factory):
    html = tmp_path_factory.mktemp("writes") / "writes.html"
    html.write_text(sim_page(guest_write_explorer("pt", 0x800, 4, unsync=True)), encoding="utf-8")
    with offline_file_page(chromium_context, html) as pg:
        yield pg


def data(pg) -> dict:
    return pg.eval_on_selector(ROOT, "e => ({...e.dataset})")


def to_end(pg, answer_first: bool = True) -> list[str]:
    """Press next until the last step, answering each question (first choice, or "show me")."""
    verdicts = []
    for _ in range(60):
        d = data(pg)
        if d["asking"]:
            sel = f"{ROOT} .smmu-predict-choice" if answer_first else f"{ROOT} .smmu-predict-show"
            pg.locator(sel).first.click()
            verdicts.append(data(pg)["verdict"])
            continue
        if int(d["step"]) == int(d["steps"]) - 1:
            return verdicts
        pg.click(f"{ROOT} .smmu-step-next")
    raise AssertionError("never reached the last step")


def check_end(pg, table, offset, size, unsync):
    o = run(table, offset, size, unsync)
    d = data(pg)
    assert (d["table"], d["offset"], d["size"], d["unsync"]) == (table, f"0x{offset:03X}", str(size),
                                                                str(unsync).lower())
    assert d["zapped"].split() == o["zapped"] + o["invlpg_dropped"]
    assert d["status"] == "" and "stale" not in d  # flushed: nothing stale at the end
    return o


def test_presets_unsync_and_steps_match_the_simulator(write_page):
    pg = write_page
    assert data(pg)["step"] == "0" and data(pg)["stateKey"] == "pt|2048|4|1|1"
    # the unsync store: no zap by the store, stale until invlpg
    o = run("pt", 0x800, 4, True)
    for _ in range(8):
        d = data(pg)
        if d["asking"]:
            pg.locator(f"{ROOT} .smmu-predict-show").click()
        elif "stale" in d:
            break
        else:
            pg.click(f"{ROOT} .smmu-step-next")
    d = data(pg)
    assert d["stale"] == f"va=0x{o['va']:08X} shadow=0x{o['shadow']:08X} guest=0x{o['guest']:08X}"
    to_end(pg)
    check_end(pg, "pt", 0x800, 4, True)
    # unsync off: the store is emulated; the other quadrant's page skips it
    pg.uncheck(f"{ROOT} input.smmu-unsync")
    assert data(pg)["step"] == "0" and data(pg)["unsync"] == "false"
    to_end(pg)
    o = check_end(pg, "pt", 0x800, 4, False)
    assert data(pg)["skipped"] == "L1q0" and o["zapped"] == ["L1q1:0"]
    # the PDE write preset: two sPTEs of one root, three roots skip
    pg.click(f'{ROOT} button[data-select-store="pd:0x080:4:1"]')
    verdicts = to_end(pg)
    o = check_end(pg, "pd", 0x080, 4, False)
    assert data(pg)["skipped"].split() == [p for p in o["pages"] if p != "L2q0"]
    assert len(verdicts) == 4 and set(verdicts) <= {"right", "wrong"}
    # misaligned: every page of the frame zapped whole, none skipped
    pg.click(f'{ROOT} button[data-select-store="pt:0x000:8:1"]')
    pg.click(f"{ROOT} .smmu-step-end")
    check_end(pg, "pt", 0x000, 8, False)
    assert data(pg)["skipped"] == "" and data(pg)["visited"] == "L1q0 L1q1"
    # back one step and forward again: the same state
    before = data(pg)
    pg.click(f"{ROOT} .smmu-step-prev")
    assert int(data(pg)["step"]) == int(before["step"]) - 1
    pg.click(f"{ROOT} .smmu-step-next")
    assert data(pg) == before


def test_a_wrong_answer_is_named_and_the_step_shown(write_page):
    pg = write_page
    pg.click(f'{ROOT} button[data-select-store="pd:0x080:4:1"]')
    pg.click(f"{ROOT} .smmu-step-next")
    assert data(pg)["asking"] == "1" and data(pg)["step"] == "0"
    pg.locator(f'{ROOT} .smmu-predict-choice[data-answer="store"]').click()
    assert data(pg)["verdict"] == "wrong" and data(pg)["step"] == "1"
    assert "Not this time" in pg.inner_text(f"{ROOT} .smmu-verdict")


def test_bad_and_unprecomputed_offsets_keep_the_picture(write_page):
    pg = write_page
    pg.click(f'{ROOT} button[data-select-store="pt:0x000:4:1"]')
    before, picture = data(pg), pg.inner_html(f"{ROOT} .smmu-picture")
    box = pg.locator(f"{ROOT} input.smmu-offset")
    box.fill("0x1000")
    box.press("Enter")
    assert pg.inner_text(f"{ROOT} .smmu-error") == "byte offset '0x1000' is outside 0x000..0xFFC"
    assert pg.inner_html(f"{ROOT} .smmu-picture") == picture
    box.fill("0x404")  # a valid offset, not computed ahead of time: needs the kernel
    box.press("Enter")
    d = data(pg)
    assert d["status"] == "needs-kernel" and d["stateKey"] == before["stateKey"]
    assert "needs the live notebook" in pg.inner_text(f"{ROOT} .smmu-status")
    assert pg.inner_html(f"{ROOT} .smmu-picture") == picture
