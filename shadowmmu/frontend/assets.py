"""The explorers' front end as the widgets load it: one bundled ES module per widget.

This module knows file names only: no addresses, no widgets. The page's code is
real ES modules in ``js/`` (``import``/``export``), one job each:

    model.js        bit slicing, rule-table lookups, the address parser (no DOM)
    svg.js          the SVG vocabulary (text, boxes, lines, wrapping); format.js numbers;
                    palette.js the palette's colours, read from the tables Python sends
    dom.js          the one DOM helper; kernel.js "is there a kernel?"
    status.js       the controls-and-status strip; predict.js predict-then-reveal;
                    stepper.js the stepper and its buttons; sim.js simHost (states, kernel)
    pyodide_host.js the page's own Python (a Web Worker, pyodide_worker.js, not bundled)
    bits.js, twotrees.js, readout.js, draw.js, marks.js   the pictures of 02-05 and 09
    explorer.js, exercise.js, rulecheck.js                their page (09's and 05's parts)
    trees.js, fault.js (06), writes.js (07), guest.js (08), real_draw.js + real.js (10)

``js/entries/*.js`` names one entry per widget; ``tools/build_js.mjs`` bundles each
with esbuild (pinned in package.json) into ``bundle/NAME.mjs``, which is committed
and shipped, so ``pip install`` never needs node. ``tests/frontend/test_bundle.py``
rebuilds them in a temporary directory and fails when a committed bundle is stale.
anywidget loads a widget's ``_esm`` from a string (a blob URL), where relative
imports cannot resolve: the bundle has none. Node (``node.py``) runs the same files.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "js"
BUNDLES = HERE / "bundle"
#: The widgets' bundles (js/entries/NAME.js -> bundle/NAME.mjs).
BUNDLE_NAMES = ("address", "fault", "writes", "guest", "real")


def bundle_path(name: str) -> Path:
    """The bundled module of one widget entry."""
    if name not in BUNDLE_NAMES:
        raise ValueError(f"no front-end bundle {name!r}; the bundles are {', '.join(BUNDLE_NAMES)}")
    return BUNDLES / f"{name}.mjs"


@lru_cache(maxsize=None)
def esm_source(name: str = "address") -> str:
    """One widget's bundled ES module (its ``_esm``)."""
    return bundle_path(name).read_text(encoding="utf-8")


def module_text(name: str) -> str:
    """One of the ES module sources, as written (``js/NAME``)."""
    return (SOURCES / name).read_text(encoding="utf-8")


def css_source(*extra: str) -> str:
    """The explorers' style sheet (the widgets' ``_css``), plus any extra sheets named."""
    return "\n".join((HERE / name).read_text(encoding="utf-8") for name in ("explorer.css", *extra))
