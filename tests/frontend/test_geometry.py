"""Every picture in every state the explorers precompute or reach from their presets: the
address explorers (02-05) at every preset address, rule and hidden quadrant, and every step
of every precomputed state of 06 and 07, every state of 08 and 10. No text leaves its
picture or the box it starts in; no arrow crosses a box or a label it does not connect
(tests/frontend/geometry.py). The drawings are the page's own, run under node; SVG units
do not depend on the page's width (at 390 px the picture scales or scrolls as a whole)."""

from __future__ import annotations

import pytest

from shadowmmu.frontend.explorers import draw_with_node
from shadowmmu.frontend.fault_explorer import page_fault_explorer
from shadowmmu.frontend.node import node_call
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.frontend.viewdata import explorer_tables
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.frontend.writes_explorer import guest_write_explorer

from .geometry import problems

T = explorer_tables()
ADDRESSES = sorted(set(T["presets"]) | {0, 0xFFFFFFFF, 0xDEADBEEF, 0x00200000, 0xBFC00000, 0x3FFFF000})


def views():
    out = []
    for kind in ("address-anatomy", "pd-split", "pt-split", "rule"):
        for va in ADDRESSES:
            for rule in (T["rule_order"] if kind == "rule" else [None]):
                for hide in ([None, "pd", "pt"] if kind in ("pd-split", "pt-split") else [None]):
                    out.append({"kind": kind, "va": va, **({"rule": rule} if rule else {}), **({"hide": hide} if hide else {})})
    return out


@pytest.fixture(scope="module")
def drawn(node):
    vs = views()
    return list(zip(vs, draw_with_node(vs)))


def test_every_state_has_its_text_inside_and_no_arrow_through_a_box_or_label(drawn):
    found = {f"{v}: {p}" for v, svg in drawn for p in problems(svg)}
    assert not found, sorted(found)[:20]
    assert len(drawn) > 100


def test_the_check_sees_an_arrow_through_a_box():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
           '<rect x="0" y="0" width="20" height="20"/><rect x="80" y="0" width="20" height="20"/>'
           '<rect x="180" y="0" width="20" height="20"/><text x="150" y="60" font-size="11">far out of the picture</text>'
           '<line x1="20" y1="10" x2="180" y2="10" marker-end="url(#a)"/></svg>')
    got = problems(svg)
    assert any("crosses rect at 80,0" in p for p in got) and any("leaves the picture" in p for p in got)
    assert not any("rect at 0,0" in p or "rect at 180,0" in p for p in got)  # the boxes it connects


def _sim_calls(x):
    for key, r in sorted(x.states.items()):
        if x.draw_function == "drawFault":
            for at in range(len(r["steps"])):
                yield f"{key} step {at}", [x.tables, x.spec, r, r["inputs"], {"step": at, "asking": None}]
        elif x.draw_function == "drawWrite":
            for at in range(len(r["steps"])):
                yield f"{key} step {at}", [x.tables, x.spec, r, r["inputs"], at]
        else:
            yield key, [x.tables, x.spec, r, x.inputs]


@pytest.mark.parametrize("build", [page_fault_explorer, guest_write_explorer, whole_guest_explorer,
                                   real_guest_explorer, cr3_switch_explorer], ids=lambda b: b.__name__)
def test_every_precomputed_state_of_a_simulator_explorer(node, build):
    x = build()
    names, calls = zip(*_sim_calls(x))
    svgs = node_call(x.bundle, x.draw_function, list(calls))
    found = [f"{x.kind} {n}: {p}" for n, svg in zip(names, svgs) for p in problems(svg)]
    assert not found, found[:20]
    assert len(svgs) >= len(x.states)
