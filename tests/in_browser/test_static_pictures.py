"""The static picture a committed notebook carries is the page's first picture of the same explorer.

For each explorer cell of the committed notebooks (the address explorers of 02-05 and 09,
the simulator explorers of 06, 07, 08 and 10), the explorer is built again at the same
state, rendered in Chromium on the bare harness page (tests/frontend/harness.py: the
page's own ES module, no kernel), and the SVG the page puts in the DOM is compared with
the ``image/svg+xml`` committed in the notebook: both parsed and serialised by the
browser, ids and the references to them blanked ("modulo ids"). The predicting explorers
(03's and 04's ``predict=True``) are left out on purpose: their first state hides the
answer the static copy shows. The page-fault explorer is compared after "show all", the
state its static copy draws (it opens at step 1, to ask first).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from frontend.harness import offline_file_page, page, sim_page
from shadowmmu.frontend.explorers import Explorer
from shadowmmu.states.exercises import exercise_record
from shadowmmu.frontend.fault_explorer import page_fault_explorer
from shadowmmu.frontend.figures import drawing_of
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.frontend.writes_explorer import guest_write_explorer

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SVG = "image/svg+xml"

#: The simulator explorer cells of the series, as written there, each with no precomputed space
#: beyond its first state (the first picture depends on that state only).
SIM_CELLS = {
    ("06-page-fault", "page_fault_explorer(0xDEADBEEF)"): lambda: page_fault_explorer(0xDEADBEEF, space=[]),
    ("07-guest-writes", 'guest_write_explorer("pd", 0x080, 4, space=[])'):
        lambda: guest_write_explorer("pd", 0x080, 4, space=[]),
    ("07-guest-writes", 'guest_write_explorer("pt", 0x800, 4, unsync=False)'):
        lambda: guest_write_explorer("pt", 0x800, 4, unsync=False, space=[]),
    ("08-whole-guest", "whole_guest_explorer(processes=3)"): lambda: whole_guest_explorer(processes=3, space=[]),
    ("10-real-guest", 'real_guest_explorer("user-1", 0x08048000)'):
        lambda: real_guest_explorer("user-1", 0x08048000, space=[]),
    ("10-real-guest", 'cr3_switch_explorer("user-1", host_large_pages=True, rule="mainline")'):
        lambda: cr3_switch_explorer("user-1", host_large_pages=True, rule="mainline", space=[]),
}


#: The page-fault explorer opens at step 1, to ask before it shows; its static copy is the
#: whole fault, the state its "show all" button reaches: the same state is compared.
SHOW_ALL = {("06-page-fault", "page_fault_explorer(0xDEADBEEF)")}


def committed(stem: str, call: str) -> str:
    """The committed static SVG of the cell whose last line is ``call``."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.strip().splitlines()[-1] == call:
            svgs = [o.data[SVG] for o in cell.outputs if SVG in o.get("data", {})]
            assert len(svgs) == 1, f"{stem}: {call} has {len(svgs)} static pictures"
            return svgs[0]
    raise AssertionError(f"{stem}: no cell ends with {call}")


def address_explorer_cells():
    """(stem, drawing, svg) of every committed address explorer that is not predicting."""
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or "predict=True" in cell.source or "explorer_picture(" in cell.source:
                continue
            for o in cell.outputs:
                d = drawing_of(o.get("metadata", {}))
                if d and (d.get("function") == "drawExplorer" or "stack" in d):
                    out.append((path.stem, d, o.data[SVG]))
    return out


def explorers_at(drawing: dict) -> list[Explorer]:
    return [explorer_at(d) for d in drawing["stack"]] if "stack" in drawing else [explorer_at(drawing)]


def explorer_at(drawing: dict) -> Explorer:
    kind, view = drawing["args"]
    if kind == "exercise":
        ex = view["exercise"]
        return Explorer(kind=kind, exercises=[exercise_record(ex["seed"], ex["number"])], address=view["va"])
    return Explorer(kind=kind, address=view["va"], rule=view.get("rule", "mainline"))


_NORMALISE = """(committed) => {
  const s = new XMLSerializer();
  const root = new DOMParser().parseFromString(committed, "image/svg+xml").documentElement;
  // linked explorers are stacked in one SVG (node.stack_svgs): one inner <svg x= y=> each
  let theirs = [root];
  if (!root.getAttribute("class")) {
    theirs = [...root.children].filter((e) => e.tagName === "svg");
    for (const e of theirs) { e.removeAttribute("x"); e.removeAttribute("y"); }
  }
  const selector = "svg." + theirs[0].getAttribute("class").trim().split(/\\s+/).join(".");
  const mine = [...document.querySelectorAll(selector)];
  return [mine.map((e) => s.serializeToString(e)), theirs.map((e) => s.serializeToString(e))];
}"""


def modulo_ids(svg: str) -> str:
    return re.sub(r'(id="|url\(#|href="#)[^")]+', r"\1ID", svg)


def page_pictures(pg, committed_svg: str) -> tuple[list[str], list[str]]:
    """The page's SVGs of the committed one's root class, and the committed one(s), both as the
    browser serialises them, ids blanked."""
    mine, theirs = pg.evaluate(_NORMALISE, committed_svg)
    return [modulo_ids(s) for s in mine], [modulo_ids(s) for s in theirs]


ADDRESS = address_explorer_cells()


def test_every_address_notebook_has_an_explorer_to_compare():
    assert {"02-address-anatomy", "05-role-from-parent", "09-exercises"} <= {s for s, *_ in ADDRESS}


@pytest.mark.parametrize("stem,drawing,svg", ADDRESS, ids=[f"{s}-{n}" for n, (s, _, _) in enumerate(ADDRESS)])
def test_address_explorer_first_picture_is_the_committed_one(chromium_context, tmp_path, stem, drawing, svg):
    html = tmp_path / "page.html"
    html.write_text(page(explorers_at(drawing)), encoding="utf-8")
    with offline_file_page(chromium_context, html) as pg:
        mine, theirs = page_pictures(pg, svg)
    assert len(theirs) >= 1 and mine == theirs, f"{stem}: the page draws {drawing} differently from the committed picture"


@pytest.mark.parametrize("stem,call", list(SIM_CELLS), ids=[f"{s}-{c.split('(')[0]}" for s, c in SIM_CELLS])
def test_simulator_explorer_first_picture_is_the_committed_one(chromium_context, tmp_path, stem, call):
    svg = committed(stem, call)
    html = tmp_path / "page.html"
    html.write_text(sim_page(SIM_CELLS[stem, call]()), encoding="utf-8")
    with offline_file_page(chromium_context, html) as pg:
        if (stem, call) in SHOW_ALL:
            pg.click(".smmu-step-end")
            pg.wait_for_function("(e => e.dataset.step === String(Number(e.dataset.steps) - 1))"
                                 "(document.querySelector('.smmu-explorer'))")
        mine, theirs = page_pictures(pg, svg)
    assert len(theirs) == 1 and mine == theirs, f"{stem}: the page draws {call} differently from the committed picture"
