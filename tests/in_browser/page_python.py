"""A page of simulator explorers that answers off-preset inputs with the site's own Python.

Used by tests/in_browser/test_page_python.py and benchmarks/bench_pyodide.py. The page holds
one explorer per ``<script type="module">`` (each its own ES module, as anywidget loads
them; one in-page Python shared by all), with the stand-in model of
tests/frontend/harness.py (save_changes() throws: no kernel), and the same
``<meta name="shadowmmu-python">`` the site build writes (tools/site_python.py), pointing
at the built site's ``python/`` directory. So the worker, Pyodide and the wheel under test
are the site's; only the page around the explorers is a harness, so that one Pyodide
start serves every explorer.

``expected()`` is the oracle: the same record computed by CPython in this process, from
the explorer class's own check and record functions, in canonical JSON.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from pathlib import Path

import anywidget

from in_browser.static_site import build_tool
from frontend.harness import STAND_IN_MODEL
from shadowmmu.states.space import canonical_json, state_key

_SCRIPT = """<div id="w{i}"></div>
<script type="module">
{esm}
const model = {stand_in}({state});
render({{ model, el: document.getElementById("w{i}") }});
window.smmuRendered = (window.smmuRendered || 0) + 1;
</script>"""

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>shadowmmu: the page's Python</title>
<style>body{{width:1000px;margin:0;font-family:sans-serif}} {css}</style></head><body>
{scripts}
</body></html>"""


def explorer_state(explorer) -> dict:
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    return {n: getattr(explorer, n) for n in explorer.trait_names(sync=True) if n not in base}


def python_page(explorers, meta: dict) -> str:
    """The page (see the module doc): each explorer's module and state, the site's meta tag."""
    css = "\n".join(dict.fromkeys(x._css for x in explorers))
    scripts = "\n".join(_SCRIPT.format(i=i, esm=x._esm, stand_in=STAND_IN_MODEL,
                                        state=json.dumps(explorer_state(x)).replace("</", "<\\/"))
                        for i, x in enumerate(explorers))
    build_tool()                             # puts tools/ (and so site_python) on sys.path
    return sys.modules["site_python"].add_meta(_PAGE.format(css=css, scripts=scripts), meta)


def site_meta(site: Path) -> dict:
    """The meta content the site's pages carry (read back from one of them)."""
    for page in sorted(site.glob("[0-9][0-9]-*.html")):
        text = page.read_text(encoding="utf-8")
        marker = '<meta name="shadowmmu-python" content="'
        if marker in text:
            return json.loads(html.unescape(text.split(marker, 1)[1].split('"', 1)[0]))
    raise AssertionError(f"no page of {site} carries the shadowmmu-python meta tag")


def page_dir(site: Path, tmp: Path, explorers, name: str = "python.html", wheel: bytes | None = None) -> Path:
    """tmp holding the page and the site's python/ (copied; with wheel, its wheel replaced)."""
    meta = site_meta(site)
    shutil.copytree(site / "python", tmp / "python", dirs_exist_ok=True)
    if wheel is not None:
        (tmp / meta["wheel"]).write_bytes(wheel)
    (tmp / name).write_text(python_page(explorers, meta), encoding="utf-8")
    return tmp


def expected(explorer_class, inputs: dict) -> tuple[str, str]:
    """(key, canonical JSON of the record) computed by CPython here, as a kernel would."""
    checked = explorer_class.check_inputs(dict(inputs))
    return state_key(explorer_class.key_fields, checked), canonical_json(explorer_class.make_record(checked))


JS_ANSWERED = """([sel, n, key]) => {
  const root = document.querySelectorAll(sel)[n];
  return root && root.dataset.stateKey === key && root.dataset.status === "";
}"""

JS_RECORD = """(key) => {
  const log = globalThis.__shadowmmuPython.log.answers.filter((a) => a.key === key);
  return log.length ? JSON.stringify(log[log.length - 1].record) : null;
}"""


def drawn_record(pg, selector: str, n: int, key: str, timeout_ms: int) -> str:
    """Wait until explorer n of selector shows key with no status; the record the page's
    Python answered for it, as canonical JSON."""
    pg.wait_for_function(JS_ANSWERED, arg=[selector, n, key], timeout=timeout_ms)
    got = pg.evaluate(JS_RECORD, key)
    assert got is not None, f"{key}: drawn, but not answered by the page's Python"
    return canonical_json(json.loads(got))
