"""A quick browser check of the explorers' page logic: Debian Chromium on a bare HTML page
(tests/frontend/harness.py, no kernel, no widget manager), every non-file request aborted.

Expected values come from shadowmmu.decompose()/parse_address() in this process. The other
browser tests drive the real notebooks (static site, JupyterLab, Voila); this one guards the
ES module itself. It shares conftest's Chromium (one sync playwright per pytest process), so
it skips without chromium unless CI=true, like the rest of this directory.
"""

from __future__ import annotations

import pytest

from frontend.harness import offline_file_page, page
from shadowmmu import decompose, parse_address
from shadowmmu.exhaustive import check_rule
from shadowmmu.frontend.explorers import address_anatomy, exercise, pd_split, pt_split, rule_explorer
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.exercises import make_exercise
from shadowmmu.address import AddressError, parse_number


@pytest.fixture(scope="module")
def browser_page(chromium_context, tmp_path_factory):
    html = tmp_path_factory.mktemp("page") / "explorers.html"
    html.write_text(page([address_anatomy(0xDEADBEEF), pt_split(0x00200000),
                          rule_explorer(0x00200000, "halves"), pd_split(0xBFC00000),
                          exercise(seed=2024, count=3),
                          # last, so the plain explorers above stay the first of their kind
                          pd_split(0xC0200000, predict=True), pt_split(0x00200000, predict=True)]),
                    encoding="utf-8")
    with offline_file_page(chromium_context, html) as pg:
        yield pg


def state(pg, kind):
    return pg.eval_on_selector(f'.smmu-explorer[data-explorer="{kind}"]', "e => ({...e.dataset})")


def expect(va, rule=None):
    d = decompose(va)
    pd, pt = (QUADRANT_RULES[rule].pd_quadrant(va), QUADRANT_RULES[rule].pt_quadrant(va)) if rule \
        else (d.pd_quadrant, d.pt_quadrant)
    return {"address": f"0x{va:08X}", "guestPdeIndex": str(d.guest_pde_index),
            "guestPteIndex": str(d.guest_pte_index), "pageOffset": str(d.page_offset),
            "pdpteIndex": str(d.pdpte_index), "paePdeIndex": str(d.shadow_pde_index),
            "paePteIndex": str(d.shadow_pte_index), "pdQuadrant": str(pd), "ptQuadrant": str(pt)}


def contract(pg, kind, va, rule=None):
    got = state(pg, kind)
    want = expect(va, rule)
    assert {k: got.get(k) for k in want} == want
    if rule:
        assert got["rule"] == rule


def test_initial_state(browser_page):
    contract(browser_page, "address-anatomy", 0xDEADBEEF)
    contract(browser_page, "pt-split", 0x00200000)
    contract(browser_page, "rule", 0x00200000, "halves")


def test_typing_good_and_bad_addresses(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="address-anatomy"]'
    box = pg.locator(f"{root} input.smmu-address")
    box.fill("c020_0000")
    box.press("Enter")
    contract(pg, "address-anatomy", 0xC0200000)
    assert pg.locator(f"{root} .smmu-error").is_hidden()
    picture = pg.inner_html(f"{root} .smmu-picture")
    for bad in ["0x1_0000_0000", "007", "zz"]:
        box.fill(bad)
        box.press("Enter")
        with pytest.raises(ValueError) as err:
            parse_address(bad)
        assert pg.locator(f"{root} .smmu-error").is_visible()
        assert pg.inner_text(f"{root} .smmu-error") == str(err.value)
        contract(pg, "address-anatomy", 0xC0200000)
        assert pg.inner_html(f"{root} .smmu-picture") == picture


def test_clicking_bits_entries_and_arrow_keys(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="pt-split"]'
    pg.click(f'.smmu-explorer[data-explorer="address-anatomy"] [data-bit="21"]')
    contract(pg, "address-anatomy", 0xC0000000)
    assert "pt_quadrant" in state(pg, "address-anatomy")["changed"].split()
    target = pg.get_attribute(f'{root} [data-focus="spde:1:1"]', "data-select-address")
    pg.click(f'{root} [data-focus="spde:1:1"]')
    contract(pg, "pt-split", int(target, 16))
    va = int(target, 16)
    pg.focus(root)
    pg.keyboard.press("ArrowRight")  # pt-split: next guest PTE
    contract(pg, "pt-split", va + 0x1000)
    pg.keyboard.press("ArrowUp")     # previous PAE PDE
    contract(pg, "pt-split", va + 0x1000 - 0x200000)
    pg.focus(f'{root} [data-focus="gpt:0"]')
    pg.keyboard.press("Enter")       # the lower 2 KiB of the guest PT: bit 21 cleared
    contract(pg, "pt-split", (va + 0x1000 - 0x200000) & ~(1 << 21))


def test_rule_chooser(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="rule"]'
    pg.select_option(f"{root} select.smmu-rule", "mainline")
    contract(pg, "rule", 0x00200000, "mainline")
    pg.select_option(f"{root} select.smmu-rule", "halves")
    contract(pg, "rule", 0x00200000, "halves")
    assert "WRONG" in pg.inner_text(f"{root} .smmu-picture")


def test_rule_checked_on_every_page_in_the_page(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="rule"]'
    pg.select_option(f"{root} select.smmu-rule", "halves")
    pg.click(f"{root} .smmu-check-all")
    got = pg.eval_on_selector(f"{root} .smmu-rule-result", "e => ({...e.dataset, text: e.textContent})")
    want = check_rule("halves")
    assert (int(got["pages"]), int(got["wrongPd"]), int(got["wrongPt"])) == (want.pages, want.wrong_pd, want.wrong_pt)
    assert got["first"] == "0x00200000" and str(want.first_counterexample) in got["text"]
    pg.select_option(f"{root} select.smmu-rule", "legacy")
    assert pg.inner_text(f"{root} .smmu-rule-result") == ""  # the halves verdict is gone
    pg.click(f"{root} .smmu-check-all")
    assert pg.get_attribute(f"{root} .smmu-rule-result", "data-wrong-pt") == "0"
    pg.select_option(f"{root} select.smmu-rule", "halves")


def test_pd_split_crosses_into_the_next_page_directory(browser_page):
    pg = browser_page
    contract(pg, "pd-split", 0xBFC00000)  # the last guest PDE of quarter 2
    pg.focus('.smmu-explorer[data-explorer="pd-split"]')
    pg.keyboard.press("ArrowRight")
    contract(pg, "pd-split", 0xC0000000)  # the first of quarter 3, in PAE PD q3
    pg.click('.smmu-explorer[data-explorer="pd-split"] [data-focus="root:1"]')
    contract(pg, "pd-split", 0x40000000)


def test_exercise_checks_and_reveals_in_the_page(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="exercise"]'
    ex = make_exercise(2024, 0)
    answers = dict(ex.answers)
    names = list(answers)
    pg.fill(f'{root} input.smmu-answer[data-field="{names[0]}"]', str(answers[names[0]]))
    pg.fill(f'{root} input.smmu-answer[data-field="{names[1]}"]', str(answers[names[1]] + 1))
    with pytest.raises(AddressError, match="is not a number"):  # Python's own reading of it
        parse_number("hello", name=names[3])
    pg.fill(f'{root} input.smmu-answer[data-field="{names[3]}"]', "hello")
    pg.click(f"{root} .smmu-check")
    verdict = lambda n: pg.get_attribute(f'{root} .smmu-verdict[data-field="{n}"]', "data-correct")
    assert [verdict(n) for n in names[:4]] == ["true", "false", "none", "not-a-number"]
    assert "is not a number" in pg.inner_text(f'{root} .smmu-verdict[data-field="{names[3]}"]')
    assert pg.inner_text(f'{root} .smmu-verdict[data-field="{names[2]}"]') == "no answer given"
    assert "guest CR3" not in pg.inner_text(f"{root} .smmu-picture")
    pg.click(f"{root} .smmu-reveal")
    assert "guest CR3" in pg.inner_text(f"{root} .smmu-picture")
    contract(pg, "exercise", ex.va)
    pg.click(f"{root} .smmu-next")
    assert "gPTE" in pg.inner_text(f"{root} .smmu-question")
    assert state(pg, "exercise")["address"] == f"0x{make_exercise(2024, 1).offset // 4 << 12:08X}"


def test_fits_a_1000px_column(browser_page):
    pg = browser_page
    for root in pg.locator(".smmu-explorer").all():  # every kind, with and without predict
        assert root.bounding_box()["width"] <= 1000
        assert root.locator(".smmu-controls").bounding_box()["height"] < 40, "controls wrapped"
        # drawn at full size in a 1000 px column, so the 11 px minimum of the SVG text holds
        scale = root.locator("svg").evaluate("s => s.getBoundingClientRect().width / s.viewBox.baseVal.width")
        assert scale >= 1


def test_hovering_a_guest_pde_lights_its_two_pae_pdes(browser_page):
    pg = browser_page
    root = '.smmu-explorer[data-explorer="pt-split"]'
    pg.hover(f'{root} [data-focus="gpde:0"]')
    hot = pg.eval_on_selector_all(f"{root} .smmu-hot[data-focus]", "es => es.map(e => e.dataset.focus)")
    assert {"gpde:0", "spde:0:0", "spde:0:1", "gpt:0", "gpt:1"} <= set(hot)
    assert not {"gpde:1", "spde:1:0"} & set(hot)
    pg.mouse.move(0, 0)
    assert pg.eval_on_selector_all(f"{root} .smmu-hot", "es => es.length") == 0


PREDICT_ROOT = '.smmu-explorer[data-explorer="{}"][data-predict]'


def shown_quadrant(pg, root, level):
    """The quadrant the picture's readout prints ("?" while the reader is asked)."""
    return pg.text_content(f'{root} .smmu-picture [data-field="{level}_quadrant"]')


@pytest.mark.parametrize("kind, level, va", [("pd-split", "pd", 0xC0200000), ("pt-split", "pt", 0x00200000)])
def test_predict_then_see(browser_page, kind, level, va):
    pg, root = browser_page, PREDICT_ROOT.format(kind)
    predict = lambda: pg.get_attribute(root, "data-predict")
    verdict = lambda: pg.inner_text(f"{root} .smmu-predict-verdict")
    want = getattr(decompose(va), f"{level}_quadrant")
    assert predict() == "pending" and shown_quadrant(pg, root, level) == "?" and verdict() == ""
    if level == "pt":  # nor which PAE PT each PAE PDE points at
        assert "->q" not in pg.text_content(f"{root} .smmu-picture")
    else:              # nor the zoom's title naming the quarter
        assert "zoom into guest PD quarter" not in pg.text_content(f"{root} .smmu-picture")
    assert pg.get_attribute(root, f"data-{level}-quadrant") == str(want)  # the contract still holds
    n = len(pg.locator(f"{root} .smmu-predict-answer").all())
    assert n == (4 if level == "pd" else 2)
    pg.click(f'{root} .smmu-predict-answer[data-answer="{(want + 1) % n}"]')
    assert predict() == "wrong" and verdict().startswith("wrong") and f"q{want}" in verdict()
    assert pg.evaluate("document.activeElement.dataset.predict") == "wrong"  # focus kept on the explorer
    assert shown_quadrant(pg, root, level) == str(want)
    if level == "pt":
        assert ("upper" if want else "lower") in verdict() and "->q" in pg.text_content(f"{root} .smmu-picture")
    # a new address asks again: flip the quadrant's own bit (31:30's low bit, or 21)
    bit = 30 if level == "pd" else 21
    pg.click(f'{root} [data-bit="{bit}"]')
    va ^= 1 << bit
    want = getattr(decompose(va), f"{level}_quadrant")
    assert predict() == "pending" and shown_quadrant(pg, root, level) == "?" and verdict() == ""
    pg.click(f'{root} .smmu-predict-answer[data-answer="{want}"]')
    assert predict() == "right" and verdict().startswith("right") and shown_quadrant(pg, root, level) == str(want)
    pg.click(f'{root} [data-bit="{bit}"]')
    pg.click(f"{root} .smmu-predict-show")
    assert predict() == "shown" and shown_quadrant(pg, root, level) == str(want ^ 1)
