"""Browser-test fixtures and hooks; the machinery they use is in harness.py.

Fixtures: ``chromium_context`` (one Chromium profile per session), ``lab_server`` and
``voila_server`` (one server each per session), ``lab`` and ``voila`` (open a notebook in
a fresh tab; screenshotted on failure, then closed). Every test in this directory is
marked ``browser``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .harness import (
    ARTIFACTS,
    LabNotebook,
    Server,
    launch_chromium,
    open_lab_notebook,
    open_voila_notebook,
    playwright_errors,
    require_browser,
    start_server,
)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
    # test_jupyterlab.py and test_voila.py last: they reuse the run of every notebook an
    # earlier test ran in JupyterLab or Voila (RUN_REPORTS, VOILA_REPORTS) instead of
    # running it again.
    last = [i for i in items if Path(str(i.path)).name in ("test_jupyterlab.py", "test_voila.py")]
    items[:] = [i for i in items if i not in last] + last


#: path -> the problems JupyterLab showed right after Run All of that notebook, the first
#: time a test ran it this session (see test_jupyterlab.py).
RUN_REPORTS: dict[str, list[str]] = {}
#: path -> the problems a Voila page of that notebook showed once rendered (harness.
#: voila_problems), recorded by test_explorers_kernel.py's Voila tests for test_voila.py.
VOILA_REPORTS: dict[str, list[str]] = {}



@pytest.fixture(scope="session")
def chromium_context(tmp_path_factory):
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        ctx = launch_chromium(pw, str(tmp_path_factory.mktemp("chromium-profile")))
        yield ctx
        ctx.close()


def _stop_keeping_log(request, server: Server) -> None:
    """Stop server; if any test failed, keep its log next to the screenshots."""
    if request.session.testsfailed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log_path, ARTIFACTS / f"{server.kind}-server.log")
    server.stop()


@pytest.fixture(scope="session")
def lab_server(request, chromium_context):
    server = start_server("lab")
    yield server
    _stop_keeping_log(request, server)


@pytest.fixture(scope="session")
def voila_server(request, chromium_context):
    server = start_server("voila")
    yield server
    _stop_keeping_log(request, server)


_PAGES_KEY = pytest.StashKey[list]()


@pytest.fixture
def lab(request, chromium_context, lab_server):
    """open(path) -> LabNotebook, run unless run=False; screenshotted on failure, then closed."""
    pages = request.node.stash.setdefault(_PAGES_KEY, [])
    opened: list[LabNotebook] = []

    def open_(path: str, run: bool = True) -> LabNotebook:
        page = chromium_context.new_page()
        pages.append(page)
        nb = open_lab_notebook(page, lab_server, path, run)
        opened.append(nb)
        if run and path not in RUN_REPORTS:
            RUN_REPORTS[path] = nb.report().problems()
        return nb

    yield open_
    for nb in opened:
        nb.close()


@pytest.fixture
def voila(request, chromium_context, voila_server):
    """open(path) -> page with the notebook rendered by Voila; screenshotted on failure, then closed."""
    pages = request.node.stash.setdefault(_PAGES_KEY, [])

    def open_(path: str):
        page = chromium_context.new_page()
        pages.append(page)
        open_voila_notebook(page, voila_server, path)
        return page

    yield open_
    for p in pages:
        if not p.is_closed():
            p.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.failed and rep.when in ("setup", "call"):
        pages = item.stash.get(_PAGES_KEY, [])
        saved = []
        for i, page in enumerate(pages):
            if page.is_closed():
                continue
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            stem = re.sub(r"[^\w.-]+", "_", item.nodeid.split("::", 1)[-1])
            path = ARTIFACTS / f"{stem}-{i}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=15_000)
                saved.append(str(path))
            except playwright_errors()[1] as exc:   # the failure itself may be a dead page
                saved.append(f"(screenshot of page {i} failed: {exc})")
        if saved:
            rep.sections.append(("browser screenshots", "\n".join(saved)))
    return rep
