"""When the page's own Python cannot start, the explorer names the failure and keeps its picture.

A planted broken wheel (bytes that are no zip) replaces the site's wheel beside the same
Pyodide and worker: an off-preset input in 07's explorer must end in data-status "error"
with a message naming the wheel and what went wrong, the last picture and key unchanged;
a second input fails the same way without another start; a preset still answers at once.
One Pyodide start for the module; nothing leaves the machine.
"""

from __future__ import annotations

import pytest

from in_browser.page_python import page_dir, site_meta
from in_browser.static_site import NetworkGuard, serve
from in_browser.test_static_site import site_dir  # noqa: F401 (fixture)
from shadowmmu.frontend.writes_explorer import guest_write_explorer

WRITE = '.smmu-explorer[data-explorer="guest-write"]'
START_MS = 180_000


@pytest.fixture(scope="module")
def broken(site_dir, chromium_context, tmp_path_factory):  # noqa: F811
    explorers = [guest_write_explorer("pt", 0x800, 4, unsync=True,
                                      space=[{"table": "pd", "offset": 0x080, "size": 4, "unsync": True, "stores": 1}])]
    d = page_dir(site_dir, tmp_path_factory.mktemp("broken"), explorers, wheel=b"this is not a wheel")
    with serve(d) as base:
        pg = chromium_context.new_page()
        guard = NetworkGuard().install(pg)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(f"{base}/python.html")
        pg.wait_for_function("window.smmuRendered === 1", timeout=60_000)
        yield pg, site_meta(site_dir)["wheel"].split("/")[-1]
        pg.close()
        assert guard.aborted == [] and errors == [], (guard.aborted, errors)


def test_a_broken_wheel_is_named_and_the_picture_stays(broken):
    pg, wheel = broken
    ex = pg.locator(WRITE)
    key, picture = ex.get_attribute("data-state-key"), ex.locator(".smmu-picture").inner_html()
    box = ex.locator("input.smmu-offset")
    box.fill("0x404")
    box.press("Enter")
    pg.wait_for_function(f"document.querySelector('{WRITE}').dataset.status === 'error'", timeout=START_MS)
    message = ex.locator(".smmu-error").inner_text()
    assert "Python in your browser failed" in message and f"could not install {wheel}" in message, message
    assert ex.get_attribute("data-state-key") == key
    assert ex.locator(".smmu-picture").inner_html() == picture
    # again: the same failure, named at once (no second start)
    box.fill("0x40C")
    box.press("Enter")
    pg.wait_for_function(f"document.querySelector('{WRITE}').dataset.status === 'error'", timeout=10_000)
    assert f"could not install {wheel}" in ex.locator(".smmu-error").inner_text()
    assert ex.get_attribute("data-state-key") == key
    # a precomputed state still answers in the same frame
    ex.locator('button[data-select-store="pd:0x080:4:1"]').click()
    assert ex.get_attribute("data-state-key") == "pd|128|4|1|1"
    assert ex.get_attribute("data-status") == ""
