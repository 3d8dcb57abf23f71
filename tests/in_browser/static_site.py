"""The static site under test: built (or found), served from 127.0.0.1, opened with no network.

This module knows how to get a built ``site/`` (tools/build_site.py), serve it with a plain
HTTP server on loopback (no Jupyter anywhere), and open its pages in Chromium with every
request to another host aborted and counted. It does not know what the explorers show:
tests/in_browser/explorer_contract.py reads the page through the testing contract of issue 11.

Which site: ``SHADOWMMU_SITE_DIR`` if set, else ``site/`` when its build-info.json says it was
built from the current sources (`make test` builds it first, via `make site`), else a fresh
build into a temporary directory (about a minute).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def build_tool():
    """tools/build_site.py as a module (tools/ is not a package)."""
    name = "smmu_build_site"
    if name not in sys.modules:
        tools = str(REPO / "tools")
        if tools not in sys.path:
            sys.path.insert(0, tools)        # as when run as a script: site_pages, run_twice, site_python beside it
        spec = importlib.util.spec_from_file_location(name, REPO / "tools" / "build_site.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def site_is_current(site: Path) -> bool:
    info = site / "build-info.json"
    if not (site / "index.html").is_file() or not info.is_file():
        return False
    tool = build_tool()
    return json.loads(info.read_text()).get("inputs") == tool.inputs_digest()


def find_or_build_site(tmp: Path) -> Path:
    """A built site for the current sources (see the module docstring)."""
    if os.environ.get("SHADOWMMU_SITE_DIR"):
        site = Path(os.environ["SHADOWMMU_SITE_DIR"])
        if not (site / "index.html").is_file():
            raise RuntimeError(f"SHADOWMMU_SITE_DIR={site} holds no index.html")
        return site
    site = REPO / "site"
    if site_is_current(site):
        return site
    out = tmp / "site"
    build_tool().build_site(out, log=lambda *_: None)
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path, handler_class=None):
    """Serve directory on 127.0.0.1 (a free port) in a thread; yields the base URL.
    handler_class: a SimpleHTTPRequestHandler subclass (default: one that logs nothing)."""
    handler = functools.partial(handler_class or _Quiet, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOOPBACK


def same_origin(url: str, origin: str) -> bool:
    if urlsplit(url).scheme in ("data", "blob", "about"):
        return True
    a, b = urlsplit(url), urlsplit(origin)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


class NetworkGuard:
    """Aborts every request that would leave the machine — or, given an origin, every
    request to anywhere else (another port of 127.0.0.1 too, e.g. a Jupyter server) — and
    remembers each one."""

    def __init__(self, origin: str | None = None):
        self.origin = origin
        self.aborted: list[str] = []

    def install(self, target) -> "NetworkGuard":
        """target: a Playwright BrowserContext or Page."""
        target.route("**/*", self._route)
        return self

    def _route(self, route):
        url = route.request.url
        if same_origin(url, self.origin) if self.origin else is_loopback(url):
            route.continue_()
        else:
            self.aborted.append(url)
            route.abort("blockedbyclient")
