"""A bare HTML page that runs the explorers' ES module with a stand-in for anywidget's model.

Used by tests/in_browser/test_frontend_page.py. This file knows the anywidget front-end
protocol only (``render({model, el})``, a model with get/set/on/off/save_changes);
nothing about addresses. The stand-in's
``save_changes()`` throws, as anywidget's does without a kernel, so the page is
tested in the state a static reader has. FE-site's browser suite tests the real
thing (nbconvert + the vendored widget manager).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import anywidget

from in_browser.harness import LOAD_MS   # every browser wait sized for a loaded machine

from shadowmmu.frontend.assets import css_source, esm_source

#: anywidget's model over a plain object of traits; save_changes() throws: no kernel.
STAND_IN_MODEL = """((s) => {
  const handlers = {};
  return {
    get: (k) => s[k],
    set: (k, v) => { s[k] = v; for (const h of handlers["change:" + k] || []) h(); },
    on: (ev, h) => { (handlers[ev] = handlers[ev] || []).push(h); },
    off: (ev, h) => { handlers[ev] = (handlers[ev] || []).filter((x) => x !== h); },
    save_changes: () => { throw new Error("no kernel"); },
  };
})"""

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>smmu harness</title>
<style>body{{width:1000px;margin:0;font-family:sans-serif}} {css}</style></head><body>
{divs}
<script type="module">
{esm}
const STATES = {states};
window.smmuModels = [];
for (const [i, s] of STATES.entries()) {{
  const model = {stand_in}(s);
  window.smmuModels.push({{ model, state: s }});
  render({{ model, el: document.getElementById("w" + i) }});
}}
window.smmuReady = true;
</script></body></html>"""


def sim_page(explorer) -> str:
    """An HTML page rendering one simulator explorer (a SimExplorer) from its synced traits,
    with its own ES module and style sheet; save_changes() throws, as with no kernel."""
    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    names = [n for n in explorer.trait_names(sync=True) if n not in base]
    state = {n: getattr(explorer, n) for n in names}
    return _PAGE.format(css=explorer._css, divs='<div id="w0"></div>', esm=explorer._esm,
                        states=json.dumps([state]).replace("</", "<\\/"), stand_in=STAND_IN_MODEL)


def page(explorers) -> str:
    """An HTML page rendering each explorer from its current traitlet values."""
    states = [{"kind": x.kind, "address": x.address, "rule": x.rule, "number": x.number, "predict": x.predict,
               "exercises": x.exercises, "tables": x.tables} for x in explorers]
    divs = "\n".join(f'<div id="w{i}"></div>' for i in range(len(states)))
    return _PAGE.format(css=css_source(), divs=divs, esm=esm_source(),
                        states=json.dumps(states).replace("</", "<\\/"), stand_in=STAND_IN_MODEL)


@contextmanager
def offline_file_page(context, html_path, width: int = 1000, height: int = 1400):
    """A Chromium tab on html_path with every non-file request aborted; on leaving it, checks
    that the page raised no error and asked for nothing outside."""
    pg = context.new_page()
    pg.set_viewport_size({"width": width, "height": height})
    outside, errors = [], []
    pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
             else (outside.append(r.request.url), r.abort()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(html_path.as_uri())
    pg.wait_for_function("window.smmuReady === true", timeout=LOAD_MS)
    yield pg
    pg.close()
    assert not errors, errors
    assert outside == []
