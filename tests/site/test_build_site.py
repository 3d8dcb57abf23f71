"""tools/build_site.py: the pieces by hand, then the built site.

The hand-made inputs (HTML snippets, a widget state) have expected results written out here.
The built site is checked against independent sources: package-lock.json (not package.json,
which build_site reads) for the vendored versions, node_modules' bytes for the vendored
files, the notebooks' own headings for the index, and a cruder regex scan of the raw HTML
beside build_site's own parser for remote fetches.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import build_tool  # noqa: E402

bs = build_tool()


# --------------------------------------------------------------------------- remote_fetches

def test_remote_fetches_finds_what_a_page_would_load():
    page = """<html><head>
    <script src="https://cdn.example.org/require.min.js"></script>
    <link rel="stylesheet" href="//fonts.example.com/css">
    <script>var s = document.createElement('script'); s.src = 'https://unpkg.com/x@1/dist/e.js';</script>
    <style>@import url("https://fonts.googleapis.com/css?family=Roboto");</style>
    </head><body><img src="http://example.net/a.png"><div style="background:url(//x.example.io/b.png)"></div>
    <script type="module">const m = await import("https://esm.sh/thing");</script>
    </body></html>"""
    assert sorted(bs.remote_fetches(page)) == sorted([
        "https://cdn.example.org/require.min.js", "//fonts.example.com/css",
        "https://unpkg.com/x@1/dist/e.js", "https://fonts.googleapis.com/css?family=Roboto",
        "http://example.net/a.png", "//x.example.io/b.png", "https://esm.sh/thing"])


def test_remote_fetches_ignores_links_local_files_and_data():
    page = """<html><head><script src="require.js"></script><link rel="stylesheet" href="site.css">
    </head><body><a href="https://lore.kernel.org/kvm/">a link is not a fetch</a>
    <img src="data:image/png;base64,iVBORw0KGgo=">
    <script type="application/vnd.jupyter.widget-state+json">{"value": "<a href='https://x.org'>x</a>"}</script>
    </body></html>"""
    assert bs.remote_fetches(page) == []


def test_remote_in_widgets_reads_the_front_end_code_in_the_widget_state():
    nb = new_notebook()
    nb.metadata["widgets"] = {bs.WIDGET_STATE: {"state": {
        "a": {"model_name": "AnyModel", "state": {
            "_esm": "import * as d3 from 'https://esm.sh/d3@7';\n// see https://example.org\n"
                    "document.createElementNS('http://www.w3.org/2000/svg', 'svg');",
            "_css": ".x { background: url(//img.example.com/a.png) }"}},
        "b": {"model_name": "HTMLModel", "state": {"value": "<a href='https://x.org'>x</a>"}}}}}
    assert bs.remote_in_widgets(nb) == ["https://esm.sh/d3@7", "//img.example.com/a.png"]


# --------------------------------------------------------------------------- kernel-bound widgets

def _model(name, module="@jupyter-widgets/controls", **state):
    return {"model_name": name, "model_module": module, "model_module_version": "2.0.0",
            "state": state}


def _view(mid):
    return nbformat.from_dict({"output_type": "display_data", "metadata": {},
                               "data": {bs.WIDGET_VIEW: {"model_id": mid, "version_major": 2,
                                                         "version_minor": 0},
                                        "text/plain": "VBox(...)"}})


def test_kernel_bound_widgets_names_the_outputs_with_no_anywidget():
    """Cell 1 shows an ipywidgets explorer (a VBox of a Text and an HTML picture: its
    callbacks need a kernel); cell 2 a box holding an anywidget two levels down, and a bare
    anywidget; cell 3 a view whose state was not stored."""
    models = {
        "box": _model("VBoxModel", children=["IPY_MODEL_txt", "IPY_MODEL_pic"]),
        "txt": _model("TextModel", value="0xDEADBEEF", layout="IPY_MODEL_layout"),
        "pic": _model("HTMLModel", value="<table></table>"),
        "layout": _model("LayoutModel", "@jupyter-widgets/base"),
        "outer": _model("VBoxModel", children=["IPY_MODEL_inner"]),
        "inner": _model("HBoxModel", children=["IPY_MODEL_pic", "IPY_MODEL_any"]),
        "any": _model("AnyModel", "anywidget", address=0),
    }
    nb = new_notebook(cells=[new_code_cell("explorer()"), new_code_cell("live()"),
                             new_code_cell("lost()")])
    nb.cells[0].outputs = [_view("box")]
    nb.cells[1].outputs = [_view("outer"), _view("any")]
    nb.cells[2].outputs = [_view("nowhere")]
    nb.metadata["widgets"] = {bs.WIDGET_STATE: {"version_major": 2, "version_minor": 0,
                                                "state": models}}
    assert bs.kernel_bound_widgets(nb) == ["cell 1: VBoxModel", "cell 3: no stored state"]
    nb.cells[0].outputs = nb.cells[2].outputs = []
    assert bs.kernel_bound_widgets(nb) == []


# --------------------------------------------------------------------------- vendoring

def test_pins_must_be_exact(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"requirejs": "^2.1.10"}}))
    with pytest.raises(bs.SiteError, match=r"pin exact versions.*requirejs"):
        bs.pinned_versions(tmp_path)


def test_vendor_refuses_node_modules_that_npm_ci_did_not_install(tmp_path):
    nm = tmp_path / "node_modules"
    for package, _ in bs.VENDOR.values():
        (nm / package).mkdir(parents=True)
        (nm / package / "package.json").write_text(json.dumps({"version": "0.0.1"}))
    with pytest.raises(bs.SiteError, match=r"pins .*npm ci"):
        bs.vendor(tmp_path, node_modules=nm)
    with pytest.raises(bs.SiteError, match=r"missing: run `npm ci"):
        bs.vendor(tmp_path, node_modules=tmp_path / "nowhere")


# --------------------------------------------------------------------------- the built site

def test_vendored_scripts_are_the_locked_npm_files(site):
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]
    want = {"requirejs": "2.1.10", "@jupyter-widgets/html-manager": "1.0.15", "anywidget": "0.11.0"}
    for served, (package, rel) in bs.VENDOR.items():
        assert lock[f"node_modules/{package}"]["version"] == want[package]
        meta = json.loads((REPO / "node_modules" / package / "package.json").read_text())
        assert meta["version"] == want[package], f"run npm ci: {package} is {meta['version']}"
        assert (site / served).read_bytes() == (REPO / "node_modules" / package / rel).read_bytes()


LOADING_TAG = re.compile(r"<(?!a\b)(\w+)\b[^>]*?\s(?:src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)",
                         re.IGNORECASE)


def test_no_page_fetches_from_another_origin(site):
    pages = sorted(site.glob("*.html"))
    assert len(pages) == len(list((REPO / "notebooks").glob("[0-9][0-9]-*.py"))) + 2  # index, glossary
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert LOADING_TAG.findall(text) == [], page.name
        assert bs.remote_fetches(text) == [], page.name
        assert not re.search(r"mathjax|mermaid\.esm|cdnjs|unpkg\.com/@jupyter", text, re.I), page.name


def test_pages_load_the_vendored_scripts_beside_them(site):
    for page in sorted(site.glob("[0-9][0-9]-*.html")):
        text = page.read_text(encoding="utf-8")
        assert '<script src="require.js"></script>' in text, page.name
        if "application/vnd.jupyter.widget-state+json" in text:
            assert "var widgetRendererSrc = 'embed-amd.js';" in text, page.name


def test_index_follows_the_series(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    got = [(h, html.unescape(t)) for h, t in re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', text)]
    want = []
    for src in sorted((REPO / "notebooks").glob("[0-9][0-9]-*.py")):
        title = re.search(r"^# # (.+?)\s*$", src.read_text(), re.MULTILINE).group(1)
        want.append((src.stem + ".html", title))
    assert got == want
