"""The two-trees pictures (03, 04, 05, 09) in every state a reader reaches from the presets:
no text leaves the picture, no arrow crosses a box or a label it does not connect
(tests/frontend/geometry.py). The drawings are the page's (draw.js under node)."""

from __future__ import annotations

import pytest

from shadowmmu.frontend.explorers import draw_with_node
from shadowmmu.frontend.viewdata import explorer_tables

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
