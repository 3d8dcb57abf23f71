"""Static pictures: one state drawn by the page's own JS under node, for a notebook's output.

A notebook figure that is not an explorer (notebook 04's refutation, 10's address
map, or one explorer state shown as a figure) is a ``Picture``: the widget bundle
(``assets.BUNDLE_NAMES``), the function it exports and its arguments after the tables. Shown in a notebook,
it draws itself with ``node.node_call`` (the same code the page runs) and gives
``image/svg+xml``, plus the drawing call in its output metadata
(``DRAWING_KEY``) so that a test can draw the same state again and compare.
Without node the output is only its text line, saying so.

    >>> p = refutation(0x00200000)
    >>> p.function, p.args
    ('drawRefutation', ({'va': 2097152},))

Knows: the bundles' names, the explorers' view format (``explorers``),
the records of ``states``. Does not know what is drawn.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

from ..address import parse_address
from ..states.address_map import address_map_record
from .node import node_call
from .viewdata import explorer_tables

#: The output metadata key holding a static picture's {"bundle", "function", "args"}, as one
#: compact JSON string (``drawing_metadata()``; nbformat would indent a nested record line by line).
DRAWING_KEY = "shadowmmu/drawing"
#: The bundle whose drawExplorer() draws the address explorers (notebooks 02-05, 09).
EXPLORER_BUNDLE = "address"


@dataclass(frozen=True)
class Picture:
    """``function(tables, *args)`` exported by the widget bundle ``bundle``; ``label`` is its text line."""

    bundle: str
    function: str
    args: tuple
    label: str

    def drawing(self) -> dict:
        """The call, JSON-ready, as the output metadata carries it."""
        return {"bundle": self.bundle, "function": self.function, "args": list(self.args)}

    def svg(self) -> str | None:
        """The picture as the page draws it, or None without node."""
        return draw(self.drawing())

    def __repr__(self) -> str:
        return f"<{self.label}>"

    def _repr_mimebundle_(self, **kwargs):
        data = {"text/plain": repr(self)}
        try:
            svg = self.svg()
        except (OSError, RuntimeError, subprocess.TimeoutExpired, ValueError) as err:
            data["text/plain"] += f"\n[no static picture: {err}]"
            return data, {}
        if svg is None:
            data["text/plain"] += "\n[no static picture: node is not on PATH]"
            return data, {}
        data["image/svg+xml"] = svg
        return data, drawing_metadata(self.drawing())


def drawing_metadata(drawing: dict) -> dict:
    """The output metadata naming a static picture's drawing call; ``drawing_of()`` reads it back."""
    return {DRAWING_KEY: json.dumps(drawing, separators=(",", ":"), sort_keys=True)}


def drawing_of(metadata: dict) -> dict | None:
    """The drawing call an output's metadata names, or None."""
    text = metadata.get(DRAWING_KEY)
    return None if text is None else json.loads(text)


def draw(drawing: dict) -> str | None:
    """Run one drawing call ({"bundle", "function", "args"}) under node: the SVG, or None without node."""
    out = node_call(drawing["bundle"], drawing["function"],
                    [[explorer_tables(), *drawing["args"]]])
    return None if out is None else out[0]


def explorer_picture(kind: str, address, rule: str = "mainline") -> Picture:
    """One state of an address explorer (``kind`` as ``explorers.Explorer.kind``), as a figure."""
    va = parse_address(address)
    view = {"kind": kind, "va": va, **({"rule": rule} if kind == "rule" else {})}
    return Picture(EXPLORER_BUNDLE, "drawExplorer", (kind, view), f"{kind} picture at 0x{va:08X}")


def refutation(address=0x00200000) -> Picture:
    """Notebook 04: the parent PAE PD around ``address``'s PAE PDE, read by the bits and by "halves"."""
    va = parse_address(address)
    return Picture(EXPLORER_BUNDLE, "drawRefutation", ({"va": va},),
                   f"refutation of the halves reading at 0x{va:08X}")


def address_map(spaces, title: str) -> Picture:
    """Notebook 10: the 4 GiB by PD quadrant, one row per address space (``sim.records.address_spaces()``)."""
    return Picture("real", "drawAddressMap",
                   (address_map_record(spaces, title),), f"address map: {title}")
