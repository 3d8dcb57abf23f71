"""Build the committed notebooks from their jupytext twins: `make notebooks`.

    .venv/bin/python tools/build_notebooks.py                 # every notebooks/NN-*.py
    .venv/bin/python tools/build_notebooks.py 02 04-pt-split  # by number or name

For each notebook the ``.py`` (py:percent) twin is the source. We read it with
jupytext, execute it top to bottom in a fresh ``python3`` kernel with nbclient
(cwd = notebooks/, as Restart-and-Run-All would), then make the result stable
for git and for nbval:

* ``metadata.widgets`` (the saved widget state) is dropped;
* a widget's ``application/vnd.jupyter.widget-view+json`` output, whose model
  id is random on every run, is replaced by a fixed text note saying which
  explorer lives there (widget cells are ``# NBVAL_IGNORE_OUTPUT``); a static
  picture the widget put beside it (``image/svg+xml``, the in-page explorers'
  first state) is kept, so GitHub and nbviewer show it;
* cell ids are numbered (``cell-0``, ``cell-1``...) instead of random;
* the kernelspec is pinned to python3, and volatile metadata (execution
  timestamps, the Python patch version) is removed.

The wall time of each run is printed: it is the Restart-and-Run-All time the
notebook series reports. A notebook that raises fails the build, and nothing is
written for it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
STATIC_PICTURE = "image/svg+xml"
FRONTEND_BUILDERS = re.compile(r"\b(address_anatomy|pd_split|pt_split|rule_explorer|exercise|linked)\(")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def find_sources(names: list[str]) -> list[Path]:
    """The .py twins to build: all NN-*.py, or those matching the names given."""
    sources = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
    if not names:
        return sources
    chosen = []
    for name in names:
        stem = Path(name).stem
        hits = [p for p in sources if p.stem == stem or p.stem.startswith(stem + "-")
                or p.stem.split("-", 1)[0] == stem]
        if not hits:
            raise SystemExit(f"no notebook matches {name!r} in {NOTEBOOKS}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def _widget_note(source: str) -> str:
    front = FRONTEND_BUILDERS.search(source)
    if front:
        return (f"[in-page explorer: shadowmmu.frontend.explorers.{front.group(1)}(); the picture "
                f"is its first state. Open the notebook in JupyterLab or Voila, or the static "
                f"site (make site), to use it.]")
    match = re.search(r"\b(\w+_explorer)\(", source)
    what = f"{match.group(1)}()" if match else "a simulator explorer"
    return (f"[in-page simulator explorer: {what}; the picture is the state it was built in. Open "
            f"the notebook in JupyterLab or Voila, or the static site (make site), to use it.]")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip widget state and volatile metadata; keep every real output."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # stable ids: no diff noise from jupytext's random ones
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data is not None:
                data.pop(WIDGET_STATE, None)
                if WIDGET_VIEW in data:
                    kept = {STATIC_PICTURE: data[STATIC_PICTURE]} if STATIC_PICTURE in data else {}
                    out["data"] = {"text/plain": _widget_note(cell.source), **kept}
            outputs.append(out)
        cell["outputs"] = outputs
    return nb


def build(source: Path, timeout: int = 600) -> float:
    """Execute one twin, write its .ipynb; returns the wall time of the run in seconds."""
    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    client = NotebookClient(nb, kernel_name="python3", timeout=timeout,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nb = clean(nb)
    nbformat.validate(nb)
    target = source.with_suffix(".ipynb")
    jupytext.write(nb, target, fmt="ipynb")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks to build (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout, seconds")
    args = parser.parse_args(argv)
    total = 0.0
    for source in find_sources(args.names):
        seconds = build(source, args.timeout)
        total += seconds
        print(f"{source.with_suffix('.ipynb').name:32s} Restart-and-Run-All {seconds:6.2f} s",
              flush=True)
    print(f"{'total':32s} {'':19s} {total:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
