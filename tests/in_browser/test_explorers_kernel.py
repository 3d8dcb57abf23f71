"""The in-page explorers with a kernel: the same contract checks in JupyterLab and Voila,
and Python seeing (and setting) the address the reader chose.

JupyterLab: the real notebook runs in the session's JupyterLab (conftest's ``lab`` fixture);
after the page checks (those of the static site, with fewer samples: see
explorer_contract.QUICK), the test asks the notebook's kernel — an execute request sent from
the page, as a cell would be — for the ``address`` of every explorer of that kind, then sets
it from Python and waits for the page to follow.

Voila refuses execute requests, so its notebooks are the real ones plus one appended cell
(``PROBE``) that echoes each explorer's Python-side ``address`` into an HTML widget
(``.smmu-python-sees``) and offers a button that sets it from Python. They are served by a
Voila started for this module on 127.0.0.1, the same way conftest starts its own.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from in_browser.conftest import _PAGES_KEY, VOILA_REPORTS, _stop_keeping_log
from in_browser.harness import (LOAD_MS, NOTEBOOK_DIR, open_voila_notebook, playwright_errors,
                             start_server, voila_problems)
from in_browser.explorer_contract import EXPLORER_PAGES, UPDATE_MS, exercise_explorer, hex32

PYTHON_SETS = 0x12345678     # what the probe's button (or the kernel request) writes

# Resolves to the text an execute request printed (stdout), or the error it raised.
JS_KERNEL_EXEC = """async (code) => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  const out = [];
  const f = k.requestExecute({code, silent: false, store_history: false});
  f.onIOPub = (m) => {
    if (m.header.msg_type === 'stream') out.push(m.content.text);
    if (m.header.msg_type === 'error') out.push('ERROR ' + m.content.ename + ': ' + m.content.evalue);
  };
  await f.done;
  return out.join('');
}"""

FIND = ("[w for w in list(__import__('ipywidgets').widgets.widget._instances.values()) "
        "if getattr(w, 'kind', None) == {name!r} and w.has_trait('address')]")

PROBE = '''\
# Added by tests/in_browser/test_explorers_kernel.py: Python echoes every explorer's address.
import ipywidgets as _pw
from ipywidgets.widgets.widget import _instances as _pinst

_probe = []
for _x in [w for w in list(_pinst.values()) if hasattr(w, "kind") and w.has_trait("address")]:
    _h = _pw.HTML()
    _h.add_class("smmu-python-sees")

    def _show(change=None, x=_x, h=_h):
        h.value = f'<span data-kind="{x.kind}" data-address="0x{x.address:08X}">{x.kind}</span>'

    _x.observe(_show, names="address")
    _show()
    _b = _pw.Button(description=f"python sets {_x.kind}")
    _b.add_class("smmu-python-set")
    _b.add_class(f"smmu-python-set-{_x.kind}")
    _b.on_click(lambda b, x=_x: setattr(x, "address", PYTHON_SETS))
    _probe += [_h, _b]
_pw.VBox(_probe)
'''.replace("PYTHON_SETS", hex(PYTHON_SETS))


def kernel_exec(page, code: str) -> str:
    out = page.evaluate(JS_KERNEL_EXEC, code)
    assert "ERROR" not in out, f"kernel request failed: {out}\n{code}"
    return out


def wait_kernel_true(page, expr: str, timeout_ms: int = UPDATE_MS) -> bool:
    """Ask the kernel for expr until it is true (each request a round trip; playwright
    polls the condition); False if it never was within timeout_ms."""
    try:
        page.wait_for_function(
            f"async (code) => (await ({JS_KERNEL_EXEC})(code)).trim() === 'True'",
            arg=f"print(bool({expr}))", polling=100, timeout=timeout_ms)
        return True
    except playwright_errors()[0]:
        return False


def python_addresses(page, name: str) -> list[int]:
    return json.loads(kernel_exec(
        page, f"import json; print(json.dumps([int(w.address) for w in {FIND.format(name=name)}]))"))


@pytest.mark.parametrize("name", sorted(EXPLORER_PAGES))
def test_explorer_in_jupyterlab_syncs_with_python(lab, name):
    nb = lab(EXPLORER_PAGES[name] + ".ipynb")
    rep = nb.report()          # its widget count looks for ipywidgets' DOM; Explorer() waits for ours
    assert not rep.errors and not rep.widget_as_text, rep.problems()
    ex = exercise_explorer(nb.page, name, quick=True)
    va = ex.address()
    assert va != PYTHON_SETS
    # the comm message may still be on its way: wait until the kernel says it holds va
    if not wait_kernel_true(nb.page, f"{va} in [int(w.address) for w in {FIND.format(name=name)}]"):
        seen = python_addresses(nb.page, name)
        raise AssertionError(f"the page shows {hex32(va)}, Python's {name} explorers hold {seen}")
    kernel_exec(nb.page, f"for w in {FIND.format(name=name)}: w.address = {PYTHON_SETS}")
    ex.wait_address(PYTHON_SETS, "after Python set address")


@pytest.fixture(scope="module")
def probe_voila(request, chromium_context, tmp_path_factory):
    """Voila over copies of the explorer notebooks, each with PROBE appended."""
    work = tmp_path_factory.mktemp("voila-probe")
    for stem in EXPLORER_PAGES.values():
        nb = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        nbformat.write(nb, work / f"{stem}.ipynb")
    server = start_server("voila", notebook_dir=work)
    yield server
    _stop_keeping_log(request, server)


@pytest.mark.parametrize("name", sorted(EXPLORER_PAGES))
def test_explorer_in_voila_syncs_with_python(request, chromium_context, probe_voila, name):
    page = chromium_context.new_page()
    request.node.stash.setdefault(_PAGES_KEY, []).append(page)
    try:
        path = EXPLORER_PAGES[name] + ".ipynb"
        open_voila_notebook(page, probe_voila, path)
        # the page as rendered, before it is driven: test_voila.py checks it (no second render)
        page.locator(f'.smmu-explorer[data-explorer="{name}"]').first.wait_for(timeout=LOAD_MS)
        VOILA_REPORTS.setdefault(path, voila_problems(page))
        ex = exercise_explorer(page, name, quick=True)
        va = ex.address()
        assert va != PYTHON_SETS
        sees = page.locator(f'.smmu-python-sees [data-kind="{name}"][data-address="{hex32(va)}"]')
        try:
            sees.first.wait_for(state="attached", timeout=UPDATE_MS)
        except Exception as exc:
            shown = page.locator(".smmu-python-sees").all_inner_texts()
            raise AssertionError(f"Python never saw {hex32(va)} in a {name} explorer "
                                 f"(its echoes: {shown})") from exc
        page.locator(f".smmu-python-set-{name} button, button.smmu-python-set-{name}").first.click()
        ex.wait_address(PYTHON_SETS, "after Python set address")
    finally:
        page.close()
