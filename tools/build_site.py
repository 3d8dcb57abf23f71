"""Build the static site: `make site` writes site/ (git-ignored), a page per notebook + an index.

    npm ci --ignore-scripts                        # the pinned scripts (package-lock.json)
    .venv/bin/python tools/build_site.py           # every notebooks/NN-*.py -> site/
    .venv/bin/python tools/build_site.py --out /tmp/s 02 03   # some, elsewhere

What it does, per notebook: the jupytext ``.py`` twin (the source, as for `make notebooks`)
is executed top to bottom in a fresh kernel with nbclient, keeping the widget state
(``store_widget_state=True``), and exported with nbconvert's ``lab`` template. The page then
loads only files beside it, all vendored from npm at the versions package-lock.json pins:
``require.js`` (requirejs), ``embed-amd.js`` (@jupyter-widgets/html-manager, which renders
the stored widgets) and ``anywidget.js`` (anywidget's front end, which the widget manager
asks for as ``require(['anywidget'])`` relative to the page). MathJax and mermaid, which the
template would fetch from a CDN, are left out (no notebook uses either).

Every explorer is an anywidget (its ES module travels in the widget state), so it runs in
the page with no kernel (a simulator explorer answers from its precomputed states and says
which other inputs need the live notebook). A widget output with no anywidget in it (an ipywidgets control
driven by Python callbacks) would be a dead widget pretending to work, so the build refuses
it (``kernel_bound_widgets``).

Each page is then shaped as a publication (tools/site_pages.py): test markers out, code cells
folded, links rewritten to the pages the site serves, previous / index / next on every page;
the glossary becomes a page, and the index a landing page. Finally the pages are checked: a
page that would fetch anything from another origin fails the build (``remote_fetches``);
tests/site/test_links.py crawls the result for broken links and anchors. Nothing here knows
about paging: it moves notebooks.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
from jinja2 import DictLoader
from nbclient import NotebookClient
from nbconvert import HTMLExporter

import run_twice                                           # beside this script (on sys.path)
import site_pages as sp                                    # beside this script (on sys.path)
from site_python import add_meta, vendor_python            # beside this script (on sys.path)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NODE_MODULES = ROOT / "node_modules"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

# name served beside the pages -> (npm package, file inside it)
VENDOR = {
    "require.js": ("requirejs", "require.js"),
    "embed-amd.js": ("@jupyter-widgets/html-manager", "dist/embed-amd.js"),
    "anywidget.js": ("anywidget", "dist/index.js"),
}

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

class SiteError(Exception):
    """The site cannot be built as asked; the message says what to do."""


# --------------------------------------------------------------------------- vendoring

def pinned_versions(root: Path = ROOT) -> dict[str, str]:
    """package.json's dependencies: npm package -> exact version."""
    deps = json.loads((root / "package.json").read_text())["dependencies"]
    loose = {k: v for k, v in deps.items() if not re.fullmatch(r"\d+\.\d+\.\d+", v)}
    if loose:
        raise SiteError(f"package.json must pin exact versions; not pinned: {loose}")
    return deps


def vendor(out: Path, node_modules: Path = NODE_MODULES, root: Path = ROOT) -> None:
    """Copy the three scripts into out, after checking npm installed the pinned versions."""
    pins = pinned_versions(root)
    for name, (package, rel) in VENDOR.items():
        meta = node_modules / package / "package.json"
        if not meta.is_file():
            raise SiteError(f"{meta} is missing: run `npm ci --ignore-scripts` first "
                            "(it installs the versions package-lock.json pins)")
        have = json.loads(meta.read_text())["version"]
        if have != pins.get(package):
            raise SiteError(f"node_modules has {package}@{have} but package.json pins "
                            f"{pins.get(package)}: run `npm ci --ignore-scripts`")
        shutil.copyfile(node_modules / package / rel, out / name)


# --------------------------------------------------------------------------- checking

# XML namespace names look like URLs but are never fetched (createElementNS, xmlns).
NAMESPACES = re.compile(r"https?://www\.w3\.org/(2000/svg|1999/xhtml|1999/xlink|1998/Math/MathML"
                        r"|XML/1998/namespace|2000/xmlns/?)$")


def remote_in_code(text: str) -> list[str]:
    """URLs on another host quoted in JS or CSS (string literals, url(...)), namespaces aside."""
    urls = re.findall(r"""(?:url\(\s*|['"`])((?:https?:)?//[\w.-]+\.[a-z]{2,}[^'"`)\s]*)""", text)
    return [u for u in urls if not NAMESPACES.match(u)]


def remote_in_widgets(nb: nbformat.NotebookNode) -> list[str]:
    """Remote URLs in the front-end code the stored widget state carries (anywidget's
    ``_esm``/``_css``), which the page runs although it sits in a JSON script tag."""
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return [u for m in models.values() for k in ("_esm", "_css")
            for u in remote_in_code(str(m.get("state", {}).get(k, "")))]


class _Fetches(HTMLParser):
    """Collects what a page would load: src/href of loading tags, and URLs in scripts/styles."""
    LOADING = {"script": "src", "img": "src", "iframe": "src", "embed": "src", "source": "src",
               "audio": "src", "video": "src", "track": "src", "input": "src", "link": "href",
               "object": "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._code = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.LOADING and a.get(self.LOADING[tag]):
            self.urls.append(a[self.LOADING[tag]])
        if a.get("style"):
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", a["style"])
        kind = (a.get("type") or "").lower()
        if tag == "style" or (tag == "script" and kind in ("", "module", "text/javascript")):
            self._code = []

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._code is not None:
            self.urls += remote_in_code("".join(self._code))
            self._code = None

    def handle_data(self, data):
        if self._code is not None:
            self._code.append(data)


def remote_fetches(page_html: str) -> list[str]:
    """Every URL on another origin the page would fetch by itself (links are not fetches)."""
    p = _Fetches()
    p.feed(page_html)
    return [u for u in p.urls if re.match(r"(?:[a-z][\w+.-]*:)?//", u, re.I)
            and not u.lower().startswith("data:")]


def _model_refs(value) -> list[str]:
    """The ids of the models a stored widget state value refers to ("IPY_MODEL_<id>")."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_"):]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, list):
        return [r for v in value for r in _model_refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _model_refs(v)]
    return []


def kernel_bound_widgets(nb: nbformat.NotebookNode) -> list[str]:
    """The widget outputs that could not run in a page with no kernel, as "cell N: ModelName":
    those whose model, with every model it refers to, holds no anywidget model."""
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    dead = []
    for n, cell in enumerate(nb.cells, 1):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            seen, todo = set(), [view["model_id"]]
            while todo:
                mid = todo.pop()
                if mid not in seen and mid in models:
                    seen.add(mid)
                    todo += _model_refs(models[mid].get("state", {}))
            if not any(models[m].get("model_module") == "anywidget" for m in seen):
                dead.append(f"cell {n}: {models.get(view['model_id'], {}).get('model_name', 'no stored state')}")
    return dead


# --------------------------------------------------------------------------- building

def find_sources(names: list[str], notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The .py twins to build, in the series' order: all NN-*.py, or those named."""
    sources = sorted(notebooks.glob("[0-9][0-9]-*.py"))
    if not names:
        return sources
    chosen = [p for p in sources if any(p.stem == n or p.stem.split("-", 1)[0] == n
                                        or p.stem.startswith(n + "-") for n in names)]
    if not chosen:
        raise SiteError(f"no notebook in {notebooks} matches {names}")
    return chosen


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first level-1 heading of the first markdown cells."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+?)\s*$", cell.source, re.MULTILINE)
            if m:
                return m.group(1)
    return fallback


def exporter() -> HTMLExporter:
    return HTMLExporter(extra_loaders=[DictLoader({"site.html.j2": sp.SITE_TEMPLATE})],
                        template_file="site.html.j2", require_js_url="require.js",
                        widget_renderer_url="embed-amd.js")


def page_label(source: Path, nb: nbformat.NotebookNode) -> sp.Page:
    return sp.Page(source.stem + ".html", title_of(nb, source.stem), source.stem.split("-", 1)[0])


#: The site's own files besides its pages (links to them stay as written).
SERVED = frozenset({*VENDOR, "site.css", "LICENSE.txt", "index.html", "glossary.html"})


def export(nb: nbformat.NotebookNode, page: sp.Page, nav: str, source_url: str | None) -> str:
    """nb as a site page: its title, the navigation bar, the links rewritten, no remote fetch."""
    title = f"{page.label} — shadowmmu"
    text, _ = exporter().from_notebook_node(nb, resources={
        "metadata": {"name": title}, "site_nav": nav, "site_script": sp.CODE_TOGGLE_JS})
    text = sp.rewrite_links(text, source_url, SERVED)
    remote = remote_fetches(text) + remote_in_widgets(nb)
    if remote:
        raise SiteError(f"{page.file}: the page would fetch from another origin: {remote}")
    return text


def build_page(source: Path, page: sp.Page, out: Path, timeout: int, nav: str,
               source_url: str | None, twice: bool = False, python: dict | None = None) -> dict:
    """Execute one twin with widget state kept, export, check; returns its index entry.
    twice: then run every cell a second time in the same kernel (tools/run_twice.py) once the
    page's outputs and widget state are taken, and add the record to the entry. python: where
    the page's own Python is (tools/site_python.py), named in the page's head."""
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    original = copy.deepcopy(nb)
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, store_widget_state=True,
                            resources={"metadata": {"path": str(source.parent)}})
    start = time.perf_counter()
    record = None
    if not twice:
        client.execute()
        seconds = time.perf_counter() - start
    else:
        with client.setup_kernel():                 # what client.execute() does, then more
            info = client.wait_for_reply(client.kc.kernel_info())
            nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            client.set_widgets_metadata()
            seconds = time.perf_counter() - start
            page_nb = copy.deepcopy(nb)   # the page: the first pass's outputs and widget state
            record = run_twice.second_pass(client, nb, original)   # (it writes into nb)
        nb = page_nb
    dead = kernel_bound_widgets(nb)
    if dead:
        raise SiteError(f"{source.name}: widgets that need a kernel would be dead in the page: {dead}")
    live = sum(WIDGET_VIEW in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))
    sp.strip_markers(nb)
    text = export(nb, page, nav, source_url)
    if python:
        text = add_meta(text, python)   # where the page's own Python is (tools/site_python.py)
    (out / page.file).write_text(text, encoding="utf-8")
    entry = {"page": page.file, "title": page.title, "live": live, "seconds": seconds}
    return entry | ({"run_twice": record} if twice else {})


def landing_picture(notebooks: Path = NOTEBOOKS) -> str:
    nb = nbformat.read(notebooks / sp.PICTURE_NOTEBOOK, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/svg+xml" in output.get("data", {}):
                return output["data"]["image/svg+xml"]
    raise SiteError(f"{sp.PICTURE_NOTEBOOK} carries no image/svg+xml output for the index: "
                    "rebuild it (tools/build_notebooks.py 06)")


def source_url_default() -> str | None:
    """SHADOWMMU_SOURCE_URL, else the checkout's GitHub origin as https, else None."""
    if os.environ.get("SHADOWMMU_SOURCE_URL"):
        return os.environ["SHADOWMMU_SOURCE_URL"].rstrip("/")
    try:
        url = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.fullmatch(r"(?:https://|git@)github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?", url)
    return f"https://github.com/{m.group(1)}" if m else None


def package_version(root: Path = ROOT) -> str:
    scope: dict = {}
    exec((root / "shadowmmu" / "_version.py").read_text(), scope)
    return scope["__version__"]


def build_site(out: Path, names: list[str] | None = None, timeout: int = 600,
               notebooks: Path = NOTEBOOKS, log=print, source_url: str | None = None,
               run_checks: bool = False) -> list[dict]:
    """Build the site into out. run_checks: also run every notebook a second time in its
    kernel for tests/notebooks/test_run_twice.py (recorded in build-info.json)."""
    sources = find_sources(names or [], notebooks)
    source_url = source_url or source_url_default()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    vendor(out)
    try:
        python = vendor_python(out, NODE_MODULES, pinned_versions()["pyodide"])
    except RuntimeError as err:
        raise SiteError(str(err)) from None
    index = sp.Page("index.html", "Index")
    glossary_md = (notebooks / "glossary.md").read_text(encoding="utf-8")
    glossary = sp.Page("glossary.html", title_of(sp.glossary_notebook(glossary_md), "Glossary"))
    pages = [page_label(s, jupytext.read(s)) for s in sources]
    around = sp.neighbours([index, *pages, glossary])
    entries, twice = [], {}
    for source, page in zip(sources, pages):
        e = build_page(source, page, out, timeout, sp.nav_html(*around[page.file]), source_url,
                       twice=run_checks, python=python)
        if "run_twice" in e:
            twice[source.stem] = e.pop("run_twice")
        log(f"{e['page']:30s} {e['seconds']:6.1f} s  live explorers {e['live']}"
            + ("  (+ run twice)" if run_checks else ""))
        entries.append(e)
    (out / glossary.file).write_text(export(sp.glossary_notebook(glossary_md), glossary,
                                            sp.nav_html(*around[glossary.file]), source_url),
                                     encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    landing = sp.index_html(pages, sp.reading_lines(readme), landing_picture(notebooks),
                            sp.PICTURE_CAPTION, sp.nav_html(*around[index.file]), source_url,
                            package_version())
    (out / index.file).write_text(sp.rewrite_links(landing, source_url, SERVED), encoding="utf-8")
    (out / "site.css").write_text(sp.SITE_CSS, encoding="utf-8")
    shutil.copyfile(ROOT / "LICENSE", out / "LICENSE.txt")
    (out / ".nojekyll").write_text("")       # GitHub Pages: serve the files as they are
    if not names:
        info = {"inputs": inputs_digest(), "pages": entries, "run_twice": twice}
        (out / "build-info.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return entries


def inputs_digest(root: Path = ROOT) -> str:
    """A digest of everything a build reads: notebooks' twins, the package, the pins, this tool."""
    files = sorted([*(root / "notebooks").glob("[0-9][0-9]-*.py"), *(root / "shadowmmu").rglob("*"),
                    root / "notebooks" / "glossary.md", root / "notebooks" / sp.PICTURE_NOTEBOOK,
                    root / "README.md", root / "LICENSE", root / "package-lock.json",
                    Path(__file__).resolve(), Path(sp.__file__).resolve(),
                    Path(run_twice.__file__).resolve(), root / "tools" / "site_python.py"])
    h = hashlib.sha256()
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def site_size(out: Path) -> int:
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebooks to build (default: all), by number or name")
    ap.add_argument("--out", type=Path, default=ROOT / "site", help="output directory (default: site/)")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout, seconds")
    ap.add_argument("--run-twice", action="store_true",
                    help="also run each notebook a second time in its kernel and record the "
                         "result for tests/notebooks/test_run_twice.py (make test does)")
    ap.add_argument("--source-url", default=None,
                    help="the repository's web address, linked from the pages (default: "
                         "$SHADOWMMU_SOURCE_URL, else the checkout's GitHub origin)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    try:
        build_site(args.out, args.names, args.timeout, source_url=args.source_url,
                   run_checks=args.run_twice)
    except SiteError as err:
        print(f"build_site: {err}", file=sys.stderr)
        return 2
    print(f"site: {args.out} ({site_size(args.out) / 1e6:.1f} MB) in "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
