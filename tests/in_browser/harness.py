"""The browser harness: Debian's Chromium, driven by playwright, against JupyterLab and Voila.

A plain module (no fixtures, no hooks: those are in conftest.py), imported by the
browser tests and by benchmarks/bench_latency.py. This file must not know what a PDPTE
is: it starts servers, opens notebooks, runs them, and reads the DOM the notebooks promise
to render (``.smmu-explorer``, ``.smmu-address input``, ``.smmu-v[data-field]``,
``.smmu-error``). The in-page explorers' contract (``data-*`` state) is driven by
``explorer_contract.py``.

Theory of operation. One JupyterLab and (when asked for) one Voila server run for the
whole session, each on 127.0.0.1 with a free port, a random token and throwaway
config/runtime/data/settings/workspace directories, serving a *copy* of the notebooks so
that running cells never rewrites the files under review. One Chromium profile (a temporary
user-data-dir) serves every test; each test opens its own tabs, which are closed (and their
kernels shut down) when the test ends, and screenshotted into ``tests/in_browser/artifacts/``
first if it failed.

No Chromium (or no playwright)? The tests skip with a message saying how to get them —
unless ``CI=true``, where they fail: in CI the browser tests are mandatory.

Environment knobs:
  SHADOWMMU_NOTEBOOK_DIR   serve these notebooks instead of ``notebooks/`` (harness development)
  SHADOWMMU_CHROMIUM       browser binary (default ``/usr/bin/chromium``)
  SHADOWMMU_UPDATE_SCREENSHOT=1   let the README screenshot test overwrite docs/img/
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = Path(os.environ.get("SHADOWMMU_NOTEBOOK_DIR", REPO / "notebooks")).resolve()
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("SHADOWMMU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    # Every tab counts as foreground: no timer throttling of the tab under test.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
SKIP_MESSAGE = "browser tests skipped: install Debian's chromium (apt-get install chromium) to run them"

# Every wait is for a condition that will come true; the bounds are sized for this 2-core
# machine under load (the suite beside two CPU-bound processes, where a page, a kernel or a
# Voila render takes several times as long as when quiet), so that a timeout means a hang,
# not a slow machine. A passing test never waits for a bound. SHADOWMMU_WAIT_SCALE (default 1)
# multiplies them all, e.g. for a slower machine. Milliseconds unless named _S.
WAIT_SCALE = float(os.environ.get("SHADOWMMU_WAIT_SCALE", "1"))


def wait_ms(ms: int) -> int:
    return int(ms * WAIT_SCALE)


LOAD_MS = wait_ms(240_000)    # a page, a kernel, an explorer or widgets appearing
STEP_MS = wait_ms(60_000)     # one change answered: in the page, or a kernel round trip
SERVER_START_S = LOAD_MS / 1000
PAGE_LOAD_MS = LOAD_MS
KERNEL_READY_MS = LOAD_MS
RUN_ALL_MS = wait_ms(600_000)  # the whole-guest notebook may run exhaustive checks
WIDGETS_RENDER_MS = LOAD_MS
UPDATE_MS = STEP_MS           # one address change, kernel round trip included

IN_CI = os.environ.get("CI") == "true"

# Text a widget falls back to when the frontend cannot render it (jupyterlab_widgets
# missing, or a display that escaped the widget manager): "Text(value='0x…')",
# "VBox(children=(…))", "HTML(value=…)", "interactive(children=…)".
WIDGET_REPR_RE = re.compile(
    r"^\s*[A-Za-z_]\w*\((?:value|children|layout|description|options|outputs|index|msg_id)=",
    re.MULTILINE,
)


# --------------------------------------------------------------------------- availability

def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found"
    return None


def playwright_errors():
    """(TimeoutError, Error) of playwright, imported late: the module must load without it."""
    from playwright.sync_api import Error, TimeoutError
    return TimeoutError, Error


def require_browser() -> None:
    """Skip (on a user's machine) or fail (when CI=true) if there is no browser."""
    reason = browser_missing_reason()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"browser tests are mandatory when CI=true, but {reason}; "
                    "install it with: apt-get install chromium", pytrace=False)
    pytest.skip(f"{SKIP_MESSAGE} ({reason})")



# --------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


JUPYTERLAB_SETTINGS = {
    # Every cell in the DOM (no virtual scrolling), so a query sees the whole notebook.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        '{"windowingMode": "none", "kernelShutdown": true}',
    # Never write the (copied) notebook behind our back.
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
    # No news toast over the notebook, no request to the internet.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
}


@dataclass
class Server:
    """A Jupyter-ish server we started, in its own session, with throwaway dirs."""
    kind: str
    port: int
    token: str
    root: Path                       # the copied notebooks it serves
    proc: subprocess.Popen
    tmp: tempfile.TemporaryDirectory
    log_path: Path
    _log: object = field(repr=False, default=None)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        q = dict(query)
        if self.token:
            q["token"] = self.token
        qs = "&".join(f"{k}={v}" if v != "" else k for k, v in q.items())
        return f"{self.base}/{path.lstrip('/')}" + (f"?{qs}" if qs else "")

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)        # the server shuts its kernels down
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                # Our own process group (start_new_session): the server and its kernels.
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self._log:
            self._log.close()
        self.tmp.cleanup()


def start_server(kind: str, notebook_dir: Path = NOTEBOOK_DIR) -> Server:
    """Start JupyterLab (kind="lab") or Voila (kind="voila") on loopback; wait until it answers."""
    tmp = tempfile.TemporaryDirectory(prefix=f"smmu-{kind}-")
    t = Path(tmp.name)
    root = t / "notebooks"
    shutil.copytree(notebook_dir, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                     ("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")]:
        (t / sub).mkdir()
        env[var] = str(t / sub)
    for rel, text in JUPYTERLAB_SETTINGS.items():
        p = t / "settings" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env.pop("JUPYTER_TOKEN", None)
    port = free_port()
    token = secrets.token_hex(16)
    root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    if kind == "lab":
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True", *root_flag]
        probe = f"http://127.0.0.1:{port}/api/status?token={token}"
    elif kind == "voila":
        # The same invocation as `make app`, plus port, token and tracebacks for diagnosis.
        cmd = [sys.executable, "-m", "voila", str(root), "--no-browser",
               "--Voila.ip=127.0.0.1", f"--Voila.port={port}", "--Voila.port_retries=0",
               f"--Voila.token={token}", "--show_tracebacks=True"]
        probe = f"http://127.0.0.1:{port}/?token={token}"
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    log_path = t / f"{kind}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(kind, port, token, root, proc, tmp, log_path, log)
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if proc.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{kind} server exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{kind} server did not answer within {SERVER_START_S}s:\n{tail}")
        try:
            proc.wait(0.2)        # returns at once if the server exits (reported above)
        except subprocess.TimeoutExpired:
            pass                  # still starting: ask again


# --------------------------------------------------------------------------- browser

def launch_chromium(playwright, user_data_dir: str):
    """A persistent context on a fresh profile (Playwright's own browser download is not used)."""
    ctx = playwright.chromium.launch_persistent_context(
        user_data_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(STEP_MS)
    return ctx


# --------------------------------------------------------------------------- JupyterLab

JS_PANEL_OPEN = """(path) => {
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  return !!(w && w.context && w.context.path === path && w.sessionContext && w.content);
}"""

# Resolves to 'kernel' once a kernel is up and has answered kernel_info, or to 'dialog'
# if JupyterLab asks which kernel to use (a notebook without kernelspec metadata).
JS_KERNEL_READY = """async () => {
  const w = window.jupyterapp.shell.currentWidget;
  await w.context.ready;
  for (;;) {
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    if (k) { await k.info; if (k.status === 'idle') return 'kernel'; }
    if (document.querySelector('.jp-Dialog .jp-mod-accept')) return 'dialog';
    await new Promise(r => setTimeout(r, 50));
  }
}"""

JS_RUN_ALL = """async (ms) => {
  const w = window.jupyterapp.shell.currentWidget;
  const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
  const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('run-all timed out')), ms));
  return await Promise.race([run, timeout]);
}"""

JS_KERNEL_IDLE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && !w.content.widgets.some(c => c.model.type === 'code'
    && c.model.executionState === 'running');
}"""

# What the notebook model holds after running: errors, stderr, widget outputs, cells that
# never got an execution count.
JS_MODEL_SCAN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const r = {errors: [], stderr: [], widgetOutputs: 0, unexecuted: []};
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    if (cell.model.executionCount == null && cell.model.sharedModel.getSource().trim())
      r.unexecuted.push(i);
    for (const o of cell.model.outputs.toJSON()) {
      if (o.output_type === 'error')
        r.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      else if (o.output_type === 'stream' && o.name === 'stderr')
        r.stderr.push(`cell ${i}: ${[].concat(o.text).join('').slice(0, 500)}`);
      else if (o.data && o.data['application/vnd.jupyter.widget-view+json'])
        r.widgetOutputs += 1;
    }
  });
  return r;
}"""

# What the page shows, for JupyterLab and Voila alike. JupyterLab 4.6 renders error and
# stderr outputs as .jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]
# (also inside Output widgets), text/plain as [data-mime-type="text/plain"], and a widget
# output as a .jp-OutputArea-output (no mime attribute) whose child is the widget view
# (for the in-page explorers, an anywidget view: a bare .lm-Widget holding .smmu-explorer).
JS_DOM_SCAN = """() => {
  const q = s => [...document.querySelectorAll(s)];
  const text = e => (e.innerText || e.textContent || '').slice(0, 1500);
  return {
    stderr: q('[data-mime-type="application/vnd.jupyter.stderr"], [data-mime-type*="error"]').map(text),
    plain: q('.jp-OutputArea-output[data-mime-type="text/plain"]').map(text),
    renderedWidgets: q('.jp-OutputArea-output').filter(e =>
        (e.querySelector(':scope > .jupyter-widgets, :scope > .lm-Widget[class*="widget-"]')
         || e.querySelector(':scope > .lm-Widget .smmu-explorer[data-explorer]'))  // anywidget
        && !e.parentElement.closest('.jupyter-widgets')).length,
    anyWidget: q('.jupyter-widgets, [class*="widget-"]').length,
    widgetErrors: q('.jp-OutputArea-output, .jupyter-widgets').map(text)
        .filter(t => /Error displaying widget|Error rendering output item/.test(t)),
  };
}"""


@dataclass
class OutputReport:
    """Problems found on a page after running it; empty lists mean clean."""
    errors: list[str]
    widget_as_text: list[str]
    widget_problems: list[str]

    def problems(self) -> list[str]:
        return ([f"error output: {e}" for e in self.errors]
                + [f"widget rendered as text: {t[:200]!r}" for t in self.widget_as_text]
                + self.widget_problems)


def scan_dom(page) -> OutputReport:
    d = page.evaluate(JS_DOM_SCAN)
    return OutputReport(
        errors=list(dict.fromkeys(d["stderr"])),
        widget_as_text=[t for t in d["plain"] if WIDGET_REPR_RE.search(t)],
        widget_problems=[f"widget failed to render: {t[:300]!r}" for t in d["widgetErrors"]],
    )


class LabNotebook:
    """One notebook open in its own JupyterLab tab."""

    def __init__(self, page, path: str):
        self.page = page
        self.path = path
        self.model_scan: dict | None = None

    def wait_kernel(self) -> None:
        deadline = time.monotonic() + KERNEL_READY_MS / 1000
        while True:
            left = max(1_000, int((deadline - time.monotonic()) * 1000))
            got = self.page.wait_for_function(f"({JS_KERNEL_READY})()", timeout=left).json_value()
            if got == "kernel":
                return
            self.page.locator(".jp-Dialog .jp-mod-accept").click()   # accept the default kernel
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: no kernel after {KERNEL_READY_MS} ms")

    def run_all(self) -> bool:
        """Run every cell; wait for the kernel to go idle and every widget output to render."""
        ok = self.page.evaluate(JS_RUN_ALL, RUN_ALL_MS)
        self.page.wait_for_function(JS_KERNEL_IDLE, timeout=RUN_ALL_MS)
        self.model_scan = self.page.evaluate(JS_MODEL_SCAN)
        want = self.model_scan["widgetOutputs"]
        if want:
            try:
                self.page.wait_for_function(
                    f"(n) => {{ const d = ({JS_DOM_SCAN})();"
                    " return d.renderedWidgets >= n || d.widgetErrors.length > 0; }",
                    arg=want, timeout=WIDGETS_RENDER_MS)
            except playwright_errors()[0]:
                pass    # report() says how many rendered out of how many
        return bool(ok)

    def report(self) -> OutputReport:
        rep = scan_dom(self.page)
        m = self.model_scan or self.page.evaluate(JS_MODEL_SCAN)
        rep.errors = list(dict.fromkeys(m["errors"] + m["stderr"] + rep.errors))
        if m["unexecuted"]:
            rep.widget_problems.append(f"cells never executed: {m['unexecuted']}")
        rendered = self.page.evaluate(JS_DOM_SCAN)["renderedWidgets"]
        if rendered < m["widgetOutputs"]:
            rep.widget_problems.append(
                f"{m['widgetOutputs']} widget outputs in the notebook but only {rendered} "
                "rendered as widgets (is jupyterlab_widgets installed in the server's env?)")
        return rep

    def close(self) -> None:
        try:
            self.page.evaluate("""async () => {
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              if (w && w.sessionContext) await w.sessionContext.shutdown();
            }""")
        except playwright_errors()[1]:
            pass    # a crashed page: closing it (and stopping the server) still cleans up
        self.page.close()


def open_lab_notebook(page, server: Server, path: str, run: bool = True) -> LabNotebook:
    """Open path in JupyterLab in page (a fresh tab), wait for its kernel, and run it."""
    nb = LabNotebook(page, path)
    # `reset` starts from an empty workspace: just this notebook, no restored tabs.
    page.goto(server.url(f"lab/tree/{path}", reset=""), timeout=PAGE_LOAD_MS)
    page.wait_for_function(JS_PANEL_OPEN, arg=path, timeout=PAGE_LOAD_MS)
    nb.wait_kernel()
    if run:
        nb.run_all()
    return nb


# --------------------------------------------------------------------------- Voila

def open_voila_notebook(page, server: Server, path: str):
    """Render one notebook in Voila in page; return once every cell has run."""
    # Voila streams each cell's output as it runs; the load event fires once all have run.
    page.goto(server.url(f"voila/render/{path}"), wait_until="load", timeout=RUN_ALL_MS)
    page.wait_for_function(
        "() => !document.querySelector('#loading') || getComputedStyle(document.querySelector('#loading')).display === 'none'",
        timeout=RUN_ALL_MS)
    return page


def voila_problems(page) -> list[str]:
    """What is wrong with a rendered Voila page: scan_dom's problems, and any code shown."""
    problems = scan_dom(page).problems()
    if page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor").count():
        problems.append("Voila shows code cells (app mode strips them)")
    return problems


# --------------------------------------------------------------------------- the explorer

EXPLORER = ".smmu-explorer:has(.smmu-address)"

JS_VALUES = """(root) => {
  const out = {};
  for (const s of root.querySelectorAll('.smmu-v[data-field]'))
    (out[s.dataset.field] = out[s.dataset.field] || []).push(s.textContent.trim());
  return out;
}"""

JS_SHOWS = """([root, want]) => {
  let seen = 0;
  for (const s of root.querySelectorAll('.smmu-v[data-field]')) {
    const w = want[s.dataset.field];
    if (w === undefined) continue;
    if (s.textContent.trim().toLowerCase() !== w.toLowerCase()) return false;
    seen += 1;
  }
  return seen > 0;
}"""


class AddressExplorer:
    """The first ``.smmu-explorer`` holding an address box, on a JupyterLab or Voila page."""

    def __init__(self, page):
        self.page = page
        self.root = page.locator(EXPLORER).first
        self.root.locator(".smmu-address input").first.wait_for(
            state="visible", timeout=WIDGETS_RENDER_MS)
        self.box = self.root.locator(".smmu-address input").first

    def values(self) -> dict[str, list[str]]:
        return self.root.evaluate(JS_VALUES)

    def enter(self, text: str) -> None:
        self.box.fill(text)
        self.box.press("Enter")

    def wait_shows(self, want: dict[str, str], what: str) -> dict[str, list[str]]:
        """Wait until every displayed field named in want shows want's value (all occurrences)."""
        handle = self.root.element_handle()
        try:
            self.page.wait_for_function(JS_SHOWS, arg=[handle, want], timeout=UPDATE_MS)
        except playwright_errors()[0] as exc:
            raise AssertionError(
                f"{what}: explorer did not show {want} within {UPDATE_MS} ms; "
                f"it shows {self.values()}") from exc
        finally:
            handle.dispose()
        return self.values()

    def error(self):
        return self.root.locator(".smmu-error")

    def wait_error_mentioning(self, text: str) -> str:
        loc = self.root.locator(".smmu-error", has_text=text)
        try:
            loc.first.wait_for(state="visible", timeout=UPDATE_MS)
        except playwright_errors()[0] as exc:
            raise AssertionError(
                f"no .smmu-error naming {text!r} appeared within {UPDATE_MS} ms; errors shown: "
                f"{self.error().all_inner_texts()}") from exc
        return loc.first.inner_text()


# --------------------------------------------------------------------------- fixtures

def notebook_paths() -> list[str]:
    return sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))


def require_notebook(name: str) -> None:
    """A named notebook not written yet: skip locally, fail in CI."""
    if not (NOTEBOOK_DIR / name).is_file():
        msg = f"{NOTEBOOK_DIR / name} does not exist"
        if IN_CI:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
