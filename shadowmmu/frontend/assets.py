"""The explorers' front end as one ES module string, from the .js files beside this module.

This module knows file names only: no addresses, no widgets. The page's code is
plain ES modules, written to be read and tested one by one:

    model.js     bit slicing, rule-table lookups, the address parser (no DOM)
    draw.js      state -> SVG/HTML strings (no DOM either, so node can run it)
    sim.js       what the simulator explorers share (and the DOM helper everyone uses)
    explorer.js  render({model, el}) for anywidget: events, keys, hover, sync
    trees.js, fault.js, writes.js, guest.js, real_draw.js, real.js
                 one simulator explorer each (notebooks 06, 07, 08, 10)

anywidget loads a widget's ``_esm`` from a string (a blob URL), where relative
imports cannot resolve, so ``esm_source(modules)`` joins the modules an explorer
names (``MODULES`` by default, the four of notebooks 02-05 and 09) into one: each
file's ``import ... from "./x.js";`` lines are dropped, everything else is kept
verbatim, in the order given (dependencies first). No bundler, no npm: the joined
text is what both the browser and the node tests run (``tests/frontend`` imports it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = ("model.js", "draw.js", "sim.js", "explorer.js")
_LOCAL_IMPORT = re.compile(r'^import [^;]* from "\./[a-z_]+\.js";\n', re.M)


def module_text(name: str) -> str:
    """One of the ES module files, as written."""
    return (HERE / name).read_text(encoding="utf-8")


_LOCAL_NAME = re.compile(r'^import [^;]* from "\./([a-z_]+\.js)";$', re.M)


def with_imports(modules: tuple[str, ...]) -> tuple[str, ...]:
    """The modules named, each preceded by the local modules it imports (not named already):

        >>> with_imports(("sim.js",))
        ('pyodide_host.js', 'sim.js')
    """
    out: list[str] = []

    def add(name: str) -> None:
        if name in out:
            return
        for dep in _LOCAL_NAME.findall(module_text(name)):
            if dep not in modules:
                add(dep)
        out.append(name)

    for name in modules:
        add(name)
    return tuple(out)


@lru_cache(maxsize=None)
def esm_source(modules: tuple[str, ...] = MODULES) -> str:
    """The ES modules joined into one, local imports dropped (the widgets' ``_esm``); a module
    one of them imports and the list does not name comes just before it (``with_imports``)."""
    parts = [f"// ---- shadowmmu/frontend/{name}\n" + _LOCAL_IMPORT.sub("", module_text(name))
             for name in with_imports(tuple(modules))]
    return "\n".join(parts)


def css_source(*extra: str) -> str:
    """The explorers' style sheet (the widgets' ``_css``), plus any extra sheets named."""
    return "\n".join(module_text(name) for name in ("explorer.css", *extra))
