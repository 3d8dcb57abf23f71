"""Notebook 10's in-page explorers in Chromium: a bare page, the static site, JupyterLab, Voila.

The bare page (tests/frontend/harness.py sim_page, save_changes throws as with no
kernel) and the static site (no kernel, every non-loopback request aborted) are
driven through their controls; JupyterLab computes an address that was not
precomputed. Every expected data-* value comes from tests/frontend/real_oracle.py:
a ShadowMMU on a guest built here from the snapshot files, QEMU's recorded
answers and the SDM walk, never from the page or from shadowmmu.states.
"""

from __future__ import annotations

import pytest

from in_browser.page_python import drawn_record, expected
from in_browser.test_static_site import offline_page, site_dir, site_url  # noqa: F401 (fixtures)
from in_browser.harness import LOAD_MS, STEP_MS
from frontend.harness import sim_page
from frontend.real_oracle import probe_dataset, switch_by_trace
from shadowmmu.frontend.real_guest_explorer import RealGuestExplorer, cr3_switch_explorer, real_guest_explorer
from shadowmmu.states.real_guest import PROBE_PRESETS

PROBE = '.smmu-explorer[data-explorer="real-guest"]'
SWITCH = '.smmu-explorer[data-explorer="cr3-switch"]'
WAIT_MS = STEP_MS
KEYS = ("snapshot", "address", "gpa", "qemu", "qemuGpa", "agree", "largePages")
#: Not among the presets (busybox's second page, plus an offset), mapped in user-1.
OFF_PRESET = 0x08049123


@pytest.fixture(scope="module")
def bare(chromium_context, tmp_path_factory):
    """One tab per explorer on the bare harness page; no request leaves file://."""
    d = tmp_path_factory.mktemp("real")
    pages, outside, errors = {}, [], []
    for name, x in (("probe", real_guest_explorer()), ("switch", cr3_switch_explorer())):
        (d / f"{name}.html").write_text(sim_page(x), encoding="utf-8")
        pg = chromium_context.new_page()
        pg.set_viewport_size({"width": 1000, "height": 1400})
        pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                 else (outside.append(r.request.url), r.abort()))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto((d / f"{name}.html").as_uri())
        pg.wait_for_function("window.smmuReady === true", timeout=WAIT_MS)
        pages[name] = pg
    yield pages
    for pg in pages.values():
        pg.close()
    assert not errors, errors
    assert outside == []


def dataset(page, root: str) -> dict:
    return page.eval_on_selector(root, "e => ({...e.dataset})")


def wait_probe(page, want: dict, root: str = PROBE) -> dict:
    """Wait until the root's data-* say want (None: absent); return them."""
    page.wait_for_function(
        """([sel, want]) => { const e = document.querySelector(sel); if (!e) return false;
           return Object.entries(want).every(([k, v]) => v === null ? !(k in e.dataset) : e.dataset[k] === v); }""",
        arg=[root, want], timeout=WAIT_MS)
    return dataset(page, root)


def text_overflow(page, root: str) -> list:
    """Each text whose measured box leaves the picture's 0..width (the browser's own font)."""
    return page.eval_on_selector(f"{root} svg.smmu-svg", """svg => {
      const w = svg.viewBox.baseVal.width, bad = [];
      let measured = 0;
      for (const t of svg.querySelectorAll("text")) {
        const b = t.getBBox();
        if (b.width > 0) measured += 1;
        if (b.x < -0.5 || b.x + b.width > w + 0.5) bad.push([t.textContent, b.x, b.x + b.width, w]);
      }
      if (measured < 10) bad.push(["only measured", measured]);  // the check itself works
      return bad; }""")


def drive_probe(page, root: str = PROBE) -> None:
    """Every preset of user-1, snapshot and host-large-pages changes: each state as the oracle says."""
    wait_probe(page, probe_dataset("user-1", 0x08048000), root)
    for _, va in PROBE_PRESETS:
        page.click(f'{root} [data-select-address="0x{va:08X}"]')
        wait_probe(page, probe_dataset("user-1", va), root)
        assert text_overflow(page, root) == [], f"0x{va:08X}"
    page.select_option(f"{root} select.smmu-snapshot", "kernel-boot")
    wait_probe(page, probe_dataset("kernel-boot", PROBE_PRESETS[-1][1]), root)
    page.click(f'{root} [data-select-address="0xC0400000"]')
    page.uncheck(f"{root} input.smmu-large-pages")
    got = wait_probe(page, probe_dataset("kernel-boot", 0xC0400000, False), root)
    assert got["stateKey"] == f"kernel-boot|{0xC0400000}|0" and got["status"] == ""
    assert text_overflow(page, root) == []
    page.select_option(f"{root} select.smmu-snapshot", "user-2")
    page.check(f"{root} input.smmu-large-pages")
    wait_probe(page, probe_dataset("user-2", 0xC0400000, True), root)
    # typed, with Enter: a preset in another spelling
    page.fill(f"{root} input.smmu-address", "0x0804_8000")
    page.press(f"{root} input.smmu-address", "Enter")
    wait_probe(page, probe_dataset("user-2", 0x08048000), root)


def refuse_without_kernel(page, root: str = PROBE) -> None:
    """An address off the presets needs the kernel: said so, the picture and data-* stay."""
    before = dataset(page, root)
    picture = page.inner_html(f"{root} .smmu-picture")
    page.fill(f"{root} input.smmu-address", f"0x{OFF_PRESET:08X}")
    page.press(f"{root} input.smmu-address", "Enter")
    page.wait_for_function(f"document.querySelector('{root}').dataset.status === 'needs-kernel'",
                           timeout=WAIT_MS)
    assert "live notebook" in page.inner_text(f"{root} .smmu-status")
    after = dataset(page, root)
    assert {k: after.get(k) for k in KEYS} == {k: before.get(k) for k in KEYS}
    assert page.inner_html(f"{root} .smmu-picture") == picture
    page.fill(f"{root} input.smmu-address", "0x1_0000_0000")
    page.press(f"{root} input.smmu-address", "Enter")
    error = page.locator(f"{root} .smmu-error")
    error.wait_for(state="visible", timeout=WAIT_MS)
    assert "0x00000000..0xFFFFFFFF" in error.inner_text()
    assert dataset(page, root)["address"] == before["address"]


def drive_switch(page, root: str = SWITCH) -> None:
    """Order, host large pages and rule: data-found/created as the trace recount says."""
    for first, large, rule in (("user-1", True, "mainline"), ("user-2", True, "mainline"),
                               ("user-2", False, "mainline"), ("user-2", False, "halves"),
                               ("user-1", False, "lai")):
        page.select_option(f"{root} select.smmu-switch-first", first)
        page.set_checked(f"{root} input.smmu-large-pages", large)
        page.select_option(f"{root} select.smmu-rule", rule)
        second = "user-2" if first == "user-1" else "user-1"
        found, created, _ = switch_by_trace(first, second, large, rule)
        got = wait_probe(page, {"first": first, "rule": rule, "largePages": "1" if large else "0",
                                "found": str(found), "created": str(created)}, root)
        assert got["second"] == second and got["status"] == ""
        assert text_overflow(page, root) == []


def test_bare_page_probe(bare):
    drive_probe(bare["probe"])
    refuse_without_kernel(bare["probe"])


def test_bare_page_controls_are_keyboard_reachable(bare):
    pg = bare["probe"]
    pg.focus(f"{PROBE} select.smmu-snapshot")
    reached = []
    for _ in range(4):
        pg.keyboard.press("Tab")
        reached.append(pg.evaluate("document.activeElement.className || document.activeElement.tagName"))
    assert reached[:2] == ["smmu-address", "smmu-large-pages"], reached
    assert pg.eval_on_selector_all(f"{PROBE} [data-select-address]", "bs => bs.map(b => b.tagName)") \
        == ["BUTTON"] * len(PROBE_PRESETS)


def test_bare_page_switch(bare):
    drive_switch(bare["switch"])


def test_static_site(offline_page):  # noqa: F811
    page, _ = offline_page("10-real-guest")
    page.wait_for_selector(PROBE, timeout=LOAD_MS)
    page.wait_for_selector(SWITCH, timeout=LOAD_MS)
    drive_probe(page)
    inputs = {"snapshot": dataset(page, PROBE)["snapshot"], "va": OFF_PRESET,
              "host_large_pages": dataset(page, PROBE)["largePages"] == "1"}
    page.fill(f"{PROBE} input.smmu-address", f"0x{OFF_PRESET:08X}")
    page.press(f"{PROBE} input.smmu-address", "Enter")   # the site's own Python computes it
    key, want = expected(RealGuestExplorer, inputs)
    assert drawn_record(page, PROBE, 0, key, 180_000) == want
    drive_switch(page)


def test_jupyterlab_computes_an_address_off_the_presets(lab):
    nb = lab("10-real-guest.ipynb")
    page = nb.page
    page.wait_for_selector(PROBE, timeout=LOAD_MS)
    wait_probe(page, probe_dataset("user-1", 0x08048000))
    for name, va in (("user-1", OFF_PRESET), ("user-2", 0xC0BFF004)):
        page.select_option(f"{PROBE} select.smmu-snapshot", name)
        page.fill(f"{PROBE} input.smmu-address", f"0x{va:08X}")
        page.press(f"{PROBE} input.smmu-address", "Enter")
        got = wait_probe(page, probe_dataset(name, va))
        assert got["status"] == ""
    assert not nb.report().problems()


def test_voila_computes_an_address_off_the_presets(voila):
    page = voila("10-real-guest.ipynb")
    page.wait_for_selector(PROBE, timeout=LOAD_MS)
    wait_probe(page, probe_dataset("user-1", 0x08048000))
    page.fill(f"{PROBE} input.smmu-address", f"0x{OFF_PRESET:08X}")
    page.press(f"{PROBE} input.smmu-address", "Enter")
    assert wait_probe(page, probe_dataset("user-1", OFF_PRESET))["status"] == ""
    drive_switch(page)
