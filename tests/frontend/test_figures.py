"""One renderer per picture: the static pictures in the committed notebooks are the page's JS.

* Every committed ``image/svg+xml`` output names its drawing call
  (``figures.DRAWING_KEY``: the explorers of notebooks 01-10 and the figures of 02, 03,
  04, 08 and 10), and is drawn again, by the same ES module function under node: it
  must be the same bytes, so a notebook whose picture the page would now draw
  differently fails.
* notebook 04's refutation (``refutation.js``) and notebook 10's address map
  (``address_map.js``), checked against quadrants and positions worked out by hand.
The browser half (the page's first state equals the committed picture) is
tests/in_browser/test_static_pictures.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from shadowmmu.frontend.explorers import pd_split, static_svg
from shadowmmu.frontend.figures import DRAWING_KEY, address_map, draw, drawing_of, explorer_picture, refutation
from shadowmmu.frontend.node import stack_svgs
from shadowmmu.sim.records import AddressSpace
from shadowmmu.states.address_map import address_map_record

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SVG = "image/svg+xml"


def committed_pictures():
    """(notebook stem, cell index, drawing, committed svg) of every output naming its drawing."""
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for n, cell in enumerate(nb.cells):
            for o in cell.get("outputs", []):
                if SVG in o.get("data", {}) and DRAWING_KEY in o.get("metadata", {}):
                    out.append((path.stem, n, drawing_of(o["metadata"]), o["data"][SVG]))
    return out


PICTURES = committed_pictures()


def test_every_static_picture_of_the_series_names_its_drawing():
    """Every committed image/svg+xml (explorer or figure) says which JS call drew it."""
    unnamed = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        for n, cell in enumerate(nbformat.read(path, as_version=4).cells):
            unnamed += [(path.stem, n) for o in cell.get("outputs", [])
                        if SVG in o.get("data", {}) and DRAWING_KEY not in o.get("metadata", {})]
    assert unnamed == []
    assert {"02-address-anatomy", "03-pd-split", "04-pt-split", "05-role-from-parent", "06-page-fault",
            "07-guest-writes", "08-whole-guest", "09-exercises", "10-real-guest"} <= {s for s, *_ in PICTURES}
    functions = {d.get("function") for *_, d, _ in PICTURES}
    assert {"drawExplorer", "drawRefutation", "drawAddressMap", "drawFault", "drawWrite", "guestDraw",
            "guestMapDraw", "drawRealProbe", "drawCr3Switch"} <= functions


@pytest.mark.parametrize("stem,cell,drawing,svg", PICTURES,
                         ids=[f"{s}-cell{n}" for s, n, *_ in PICTURES])
def test_committed_picture_is_what_the_page_draws_now(node, stem, cell, drawing, svg):
    if "stack" in drawing:
        again = stack_svgs([draw(d) for d in drawing["stack"]])
    else:
        again = draw(drawing)
    assert again == svg, f"{stem} cell {cell}: rebuild it (tools/build_notebooks.py)"


def test_no_python_drawn_picture_is_left_in_the_notebooks():
    """The old Python renderers' marks (their SVG classes, matplotlib's metadata) are gone."""
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        text = path.read_text(encoding="utf-8")
        for mark in ("smmu-pd-split", "smmu-pt-split", "smmu-refutation\" data-agree", "smmu-anatomy-view",
                     "smmu-real-pd\"", "matplotlib", "render_address_map", "render_pd_split",
                     "render_pt_split", "render_refutation", "render_address_anatomy"):
            assert mark not in text, (path.name, mark)


# ---------------------------------------------------------------- notebook 04's refutation

def cells(svg: str, reading: str) -> dict[int, int]:
    row = re.search(rf'<g data-reading="{reading}">(.*?)</g></g>', svg, re.S).group(0)
    return {int(i): int(q) for i, q in re.findall(r'data-spde="(\d+)" data-quadrant="(\d)"', row)}


@pytest.mark.parametrize("va,spde,bit21,halves", [
    (0x00200000, 1, 1, 0),    # the counterexample: odd PDE in the lower half
    (0xDEADBEEF, 245, 1, 0),  # PAE PDE 245 of PD 3
    (0x00000000, 0, 0, 0),    # agree: even and lower
    (0xFFFFFFFF, 511, 1, 1),  # agree: odd and upper
    (0x3FC00000, 510, 0, 1),  # even in the upper half: halves says 1
])
def test_refutation_reads_the_pd_both_ways(node, va, spde, bit21, halves):
    svg = refutation(va).svg()
    mainline, wrong = cells(svg, "mainline"), cells(svg, "halves")
    assert len(mainline) == len(wrong) == 16 and spde in mainline
    # by hand: the bits say the PAE PDE's parity; the halves reading, which half of 512 it is in
    assert mainline == {i: i & 1 for i in mainline}
    assert wrong == {i: int(i >= 256) for i in wrong}
    assert mainline[spde] == bit21 and wrong[spde] == halves
    assert f'<g data-agree="{str(bit21 == halves).lower()}">' in svg
    assert f"bit 21 = {bit21}, so its page table is PT quadrant {bit21}" in svg
    assert ("WRONG" in svg.split("data-agree")[1]) == (bit21 != halves)


def test_refutation_frames_the_entry_the_address_uses(node):
    svg = refutation(0x00200000).svg()
    assert re.findall(r'data-spde="(\d+)" data-quadrant="\d" data-selected="1"', svg) == ["1", "1"]


# ---------------------------------------------------------------- notebook 10's address map

SPACES = [AddressSpace("p1", 0x1000, 0xC0000000,
                       ((0x08048000, 0x1000, 0, 0), (0x08049000, 0x1000, 0, 0), (0x40000000, 0x1000, 0, 0),
                        (0xC0000000, 0x10000000, 0, 0), (0xC0400000, 0x400000, 0, 0))),
          AddressSpace("p2", 0x2000, 0xC0000000, ((0xBFFFF000, 0x1000, 0, 0), (0xC0000000, 0x400000, 0, 0)))]


def test_address_map_record_joins_ranges_and_shares_the_kernel_half():
    rec = address_map_record(SPACES, "t")
    assert rec == {"title": "t", "rows": [
        {"label": "kernel (shared)", "ranges": [[0xC0000000, 0xD0000000]]},
        {"label": "p1", "ranges": [[0x08048000, 0x0804A000], [0x40000000, 0x40001000]]},
        {"label": "p2", "ranges": [[0xBFFFF000, 0xC0000000]]}]}
    with pytest.raises(ValueError, match="at least one address space"):
        address_map_record([], "t")


def test_address_map_places_ranges_on_the_4_gib_axis(node):
    svg = address_map(SPACES, "t").svg()
    assert re.findall(r'<g data-row="([^"]+)">', svg) == ["kernel (shared)", "p1", "p2"]
    assert re.findall(r'<g data-quadrant="(\d)">', svg) == ["0", "1", "2", "3"]
    # the axis is 800 px from x = 150: 0x40000000 is a quarter of it; one page is widened to 2 px
    rect = re.search(r'<rect data-va="0x40000000" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert rect.groups() == ("350.00", "2.00")
    kernel = re.search(r'<rect data-va="0xC0000000" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert kernel.groups() == ("750.00", "50.00")  # 256 MiB of 4 GiB
    for q in range(4):
        assert f"PD quadrant {q}" in svg and f"pae_root[{q}]" in svg


def test_an_explorer_picture_is_the_explorers_static_svg(node):
    assert explorer_picture("pd-split", 0xDEADBEEF).svg() == static_svg(pd_split(0xDEADBEEF))
