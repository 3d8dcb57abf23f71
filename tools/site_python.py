"""The static site's own Python: Pyodide's core, the package's wheel and the worker, beside the pages.

    site/python/pyodide/       Pyodide's core from npm (package.json pins `pyodide`): the
                               loader, the wasm, the standard library, the lock file
    site/python/shadowmmu-*.whl  this checkout's wheel (pip wheel --no-deps)
    site/python/worker.js      shadowmmu/frontend/pyodide_worker.js

and in every page's <head> a ``<meta name="shadowmmu-python">`` saying where those are,
relative to the page (frontend/js/pyodide_host.js reads it; a page without it, as in
JupyterLab, has no in-page Python). Nothing here is fetched at run time from anywhere but
the site. ``WARM`` is when the worker starts: "first-input" (the first input with no
precomputed record) or "idle" (as soon as the page is idle); see README, "The static site".
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")
WARM = "idle"


def build_wheel(dest: Path, root: Path = ROOT) -> Path:
    """This checkout's wheel (pure Python, no dependencies: the package needs none) into dest.

    Built from a fresh copy of the files a wheel is made of, never in the checkout itself:
    setuptools reuses a leftover (git-ignored) ``build/lib`` there, which can put files the
    package no longer has into the wheel the site serves."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(root / "shadowmmu", src / "shadowmmu",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(root / name, src / name)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                               "--wheel-dir", tmp, str(src)], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip wheel failed: {done.stderr.strip()[-2000:]}")
        (wheel,) = Path(tmp).glob("shadowmmu-*.whl")
        return Path(shutil.copy2(wheel, dest / wheel.name))


def vendor_python(out: Path, node_modules: Path, pinned: str, root: Path = ROOT,
                  wheel: Path | None = None) -> dict:
    """Copy Pyodide's core, the wheel (built, unless one is given) and the worker into
    out/python; returns the meta's content (paths relative to a page in out)."""
    meta = node_modules / "pyodide" / "package.json"
    have = json.loads(meta.read_text())["version"] if meta.is_file() else None
    if have != pinned:
        raise RuntimeError(f"node_modules has pyodide@{have} but package.json pins {pinned}: "
                           "run `npm ci --ignore-scripts`")
    where = out / "python"
    (where / "pyodide").mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        shutil.copyfile(node_modules / "pyodide" / name, where / "pyodide" / name)
    shutil.copyfile(root / "shadowmmu" / "frontend" / "pyodide_worker.js", where / "worker.js")
    whl = Path(shutil.copy2(wheel, where / wheel.name)) if wheel else build_wheel(where, root)
    return {"worker": "python/worker.js", "pyodide": "python/pyodide/",
            "wheel": f"python/{whl.name}", "warm": WARM}


def add_meta(page: str, content: dict) -> str:
    """The page with the meta tag first in its <head>."""
    tag = f'<meta name="shadowmmu-python" content="{html.escape(json.dumps(content), quote=True)}">'
    out, n = re.subn(r"(<head[^>]*>)", lambda m: f"{m.group(1)}\n{tag}", page, count=1)
    if n != 1:
        raise RuntimeError("the page has no <head> for the in-page Python's meta tag")
    return out
