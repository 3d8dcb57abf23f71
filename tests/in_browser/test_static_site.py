"""The static site (make site) in Chromium: no Jupyter server, no network, explorers alive.

The site is served by a plain HTTP server on 127.0.0.1 (tests/in_browser/static_site.py); every
request to any other origin — another host, or another port here, where the session's
JupyterLab or Voila may be listening — is aborted and recorded, and each test asserts there
were none: the pages need no Jupyter server and no network.
The explorers are driven through issue 11's testing contract and checked against shadowmmu
in this process (tests/in_browser/explorer_contract.py). The simulator notebooks' explorers
(issue 12) answer from the states precomputed at build time; test_sim_*.py drive them.
"""

from __future__ import annotations

import re

import pytest

from in_browser.conftest import _PAGES_KEY
from in_browser.harness import LOAD_MS
from in_browser.explorer_contract import EXPLORER_PAGES, Explorer, exercise_explorer
from in_browser.static_site import REPO, NetworkGuard, find_or_build_site, serve

# page -> {data-explorer: how many}: the simulator explorers each page shows (issue 12)
SIMULATOR_PAGES = {"06-page-fault": {"page-fault": 1}, "07-guest-writes": {"guest-write": 4},
                   "08-whole-guest": {"whole-guest": 1},
                   "10-real-guest": {"real-guest": 1, "cr3-switch": 1}}


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, chromium_context):
    return find_or_build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def site_url(site_dir):
    with serve(site_dir) as base:
        yield base


@pytest.fixture
def offline_page(request, chromium_context, site_url):
    """open(stem) -> (page, guard): a fresh tab on the site, non-loopback requests aborted.
    After the test: no request was aborted, and the page threw no error."""
    pages = request.node.stash.setdefault(_PAGES_KEY, [])
    opened = []

    def open_(stem: str):
        page = chromium_context.new_page()
        pages.append(page)
        guard = NetworkGuard(site_url).install(page)     # only the site's own origin
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{site_url}/{stem}.html", wait_until="load", timeout=LOAD_MS)
        opened.append((page, guard, errors))
        return page, guard

    yield open_
    for page, guard, errors in opened:
        assert guard.aborted == [], f"requests left the site's origin: {guard.aborted}"
        assert errors == [], f"the page threw: {errors}"
        page.close()


def test_the_guard_sees_and_stops_a_request_to_another_origin(chromium_context, tmp_path):
    """The 0-aborted assertions above can fail: a page asking another host, or another
    port of this machine (where a Jupyter server could be listening), is caught."""
    (tmp_path / "leaky.html").write_text(
        '<!DOCTYPE html><img src="http://cdn.example.invalid/x.png">'
        '<script src="https://unpkg.com/nothing@1/x.js"></script>'
        '<img src="http://127.0.0.1:9/api/kernels"><img src="here.png"><p>local</p>')
    with serve(tmp_path) as base:
        page = chromium_context.new_page()
        try:
            guard = NetworkGuard(base).install(page)
            page.goto(f"{base}/leaky.html", wait_until="load", timeout=LOAD_MS)
            assert sorted(guard.aborted) == ["http://127.0.0.1:9/api/kernels",
                                             "http://cdn.example.invalid/x.png",
                                             "https://unpkg.com/nothing@1/x.js"]
        finally:
            page.close()


def notebook_stems() -> list[str]:
    return sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]-*.py"))


def test_index_lists_every_notebook_in_order_with_its_title(offline_page):
    page, _ = offline_page("index")
    links = page.locator("ol li a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [f"{s}.html" for s in notebook_stems()]
    for i, stem in enumerate(notebook_stems()):
        # the oracle: the twin's first "# # Title" line, read here with a regex
        src = (REPO / "notebooks" / f"{stem}.py").read_text()
        title = re.search(r"^# # (.+?)\s*$", src, re.MULTILINE).group(1)
        assert links.nth(i).inner_text().strip() == title


@pytest.mark.parametrize("name", sorted(EXPLORER_PAGES))
def test_explorer_works_offline(offline_page, name):
    page, guard = offline_page(EXPLORER_PAGES[name])
    exercise_explorer(page, name)
    assert guard.aborted == []


@pytest.mark.parametrize("stem", sorted(SIMULATOR_PAGES))
def test_simulator_page_is_live_without_a_kernel(offline_page, stem):
    """Issue 12: every simulator explorer of the page is live (its state drawn, its controls
    enabled; build_site refuses a kernel-bound widget); the explorers' own tests
    (test_sim_*.py) drive them."""
    page, _ = offline_page(stem)
    for kind, count in SIMULATOR_PAGES[stem].items():
        roots = page.locator(f'.smmu-explorer[data-explorer="{kind}"]')
        roots.first.wait_for(state="visible", timeout=LOAD_MS)
        assert roots.count() == count, f"{stem}: {roots.count()} {kind} explorers, expected {count}"
        for i in range(count):
            root = roots.nth(i)
            page.wait_for_function("(r) => (r.getAttribute('data-state-key') || '') !== ''",
                                   arg=root.element_handle(), timeout=LOAD_MS)
            assert root.get_attribute("data-status") in ("", None), f"{stem} {kind} #{i}"
            assert root.locator("svg").count() >= 1, f"{stem} {kind} #{i}: no picture"
            assert root.locator("button:not([disabled]), input:not([disabled]), "
                                "select:not([disabled])").count() >= 1, f"{stem} {kind} #{i}: no control"
    assert "[live widget:" not in page.locator("body").inner_text()


def test_every_page_loads_with_nothing_from_another_origin(offline_page):
    for stem in notebook_stems():
        page, guard = offline_page(stem)
        page.wait_for_load_state("networkidle", timeout=LOAD_MS)
        assert guard.aborted == [], f"{stem}: {guard.aborted}"


JS_GROUPS = """() => {
  const cells = [...document.querySelectorAll('.jp-Cell')];
  const g = {};
  for (const r of document.querySelectorAll('.smmu-explorer[data-explorer]')) {
    const i = cells.indexOf(r.closest('.jp-Cell'));
    (g[i] = g[i] || []).push(r.dataset.explorer);
  }
  return Object.entries(g).filter(([i, v]) => v.length > 1).map(([i, v]) => [Number(i), v]);
}"""


def test_explorers_shown_together_share_one_selection(offline_page):
    """Where one cell shows several explorers together (notebook 05 does), typing into one
    moves them all: the links are stored in the widget state and run in the page."""
    checked = []
    for stem in sorted(set(EXPLORER_PAGES.values())):
        page, _ = offline_page(stem)
        page.locator(".smmu-explorer[data-address]").first.wait_for(state="visible", timeout=LOAD_MS)
        for cell, kinds in page.evaluate(JS_GROUPS):
            scope = page.locator(".jp-Cell").nth(cell)
            first = Explorer(page, kinds[0], scope=scope)
            va = first.address() ^ 0xC0201000
            first.enter(f"0x{va:08X}")
            for i, kind in enumerate(kinds):
                Explorer(page, kind, scope=scope, nth=kinds[:i].count(kind)).wait_address(
                    va, f"{stem}: after typing into the linked {kinds[0]}")
            checked.append((stem, kinds))
    assert any(stem == "05-role-from-parent" for stem, _ in checked), (
        f"no linked explorers found; groups checked: {checked}")
