"""tools/site_python.py: the site's own Python is vendored from the pinned npm package, and
every page says where it is."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import build_tool  # noqa: E402

bs = build_tool()
import site_python as sp  # noqa: E402  (tools/ is on sys.path once build_tool() loaded)


def test_pyodide_is_pinned_in_package_json_and_its_lock():
    assert "pyodide" in bs.pinned_versions()
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/pyodide"]["version"] == bs.pinned_versions()["pyodide"]


def test_the_meta_goes_first_in_the_head_and_reads_back():
    content = {"worker": "python/worker.js", "pyodide": "python/pyodide/", "wheel": "python/x.whl", "warm": "idle"}
    page = sp.add_meta('<!DOCTYPE html>\n<html><head lang="en"><title>t</title></head><body></body></html>', content)
    tag = page.split("<head", 1)[1].split("\n", 2)[1]
    assert tag.startswith('<meta name="shadowmmu-python" content="')
    assert json.loads(html.unescape(tag.split('content="', 1)[1].rsplit('"', 1)[0])) == content
    with pytest.raises(RuntimeError, match="no <head>"):
        sp.add_meta("<p>no head</p>", content)


def test_a_pyodide_other_than_the_pinned_one_is_refused(tmp_path):
    (tmp_path / "nm" / "pyodide").mkdir(parents=True)
    (tmp_path / "nm" / "pyodide" / "package.json").write_text('{"version": "0.0.1"}')
    with pytest.raises(RuntimeError, match=r"pyodide@0\.0\.1 but package.json pins 314"):
        sp.vendor_python(tmp_path / "out", tmp_path / "nm", "314.0.6")


def test_vendoring_copies_the_core_the_worker_and_the_given_wheel(tmp_path):
    wheel = tmp_path / "shadowmmu-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"stand-in")
    meta = sp.vendor_python(tmp_path / "out", REPO / "node_modules", bs.pinned_versions()["pyodide"], wheel=wheel)
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "python" / "pyodide").iterdir()) == sorted(sp.PYODIDE_FILES)
    assert (out / meta["worker"]).read_text() == (REPO / "shadowmmu/frontend/pyodide_worker.js").read_text()
    assert (out / meta["wheel"]).read_bytes() == b"stand-in"
    assert meta["warm"] in ("idle", "first-input")


def test_every_page_of_the_built_site_says_where_its_python_is(tmp_path_factory):
    if not (REPO / "node_modules").is_dir():
        pytest.skip("node_modules/ is missing: run `npm ci --ignore-scripts` (make site does)")
    from in_browser.static_site import find_or_build_site
    site = find_or_build_site(tmp_path_factory.mktemp("site"))
    pages = sorted(site.glob("[0-9][0-9]-*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tag = re.search(r'<meta name="shadowmmu-python" content="([^"]*)">', text)
        assert tag, f"{page.name} has no shadowmmu-python meta tag"
        meta = json.loads(html.unescape(tag.group(1)))
        for what in ("worker", "wheel"):
            assert (site / meta[what]).is_file(), (page.name, meta[what])
        assert (site / meta["pyodide"] / "pyodide.asm.wasm").is_file()
    lock = json.loads((site / "python" / "pyodide" / "pyodide-lock.json").read_text())
    assert lock["info"]["arch"] == "wasm32"
