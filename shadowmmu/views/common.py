"""The shared layer of every table: palette, labels, the value span, the table itself.

``PALETTE`` is the Okabe-Ito colour-blind-safe palette, by colour name;
``FIELD_COLOURS`` / ``FIELD_LABELS`` give one colour and one text label per
field name (all three from ``shadowmmu.palette``, the one palette the front end
uses too). Colour never carries meaning alone: every coloured chip also prints
its label. ``value_span(field, value)``
is the one way a value is shown to the reader *and* to the browser tests:
``<span class="smmu-v" data-field="NAME">``.

Knows: HTML, the field names of ``address.Decomposition``. Does not know:
addresses, roles, the simulator, ipywidgets; it computes nothing and displays
nothing (every function returns a string).
"""

from __future__ import annotations

import html
from typing import Iterable, Sequence

from ..consts import PRESETS
from ..palette import FIELD_COLOURS, FIELD_LABELS, INK, PALETTE

#: Fields whose numbers the readouts publish as ``value_span``s, in reading order.
READOUT_FIELDS = (
    "va", "pdpte_index", "pd_quadrant", "guest_pde_index", "shadow_pde_index",
    "pt_quadrant", "guest_pte_index", "shadow_pte_index", "page_offset",
)


#: Colour groups of the 32 address bits, high to low, for the bit diagrams.

_FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
_BOX = "color:#000;background:#fff;" + _FONT + ";font-size:13px;line-height:1.35"


def esc(text: object) -> str:
    """HTML-escape any value for text or attribute use: ``esc('<a>')`` is ``'&lt;a&gt;'``."""
    return html.escape(str(text), quote=True)


def text_colour(background: str) -> str:
    """Black or white, whichever reads on that palette colour."""
    return INK.get(background, "#000")


def format_value(field: str, value: int) -> str:
    """How a field's number is printed everywhere: ``va`` as 0x%08X, the rest in decimal:

        >>> format_value("va", 0xC0200000), format_value("shadow_pde_index", 245)
        ('0xC0200000', '245')
    """
    return f"0x{value:08X}" if field == "va" else str(int(value))


def value_span(field: str, value: int) -> str:
    """The tagged number the reader sees and the browser tests look for:

        >>> value_span("pt_quadrant", 1)
        '<span class="smmu-v" data-field="pt_quadrant">1</span>'
    """
    return f'<span class="smmu-v" data-field="{esc(field)}">{format_value(field, value)}</span>'


def render_note(text: str) -> str:
    """A short plain paragraph in the views' font (text is escaped)."""
    return f'<p class="smmu-note" style="margin:4px 0">{esc(text)}</p>'


def render_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *,
                 caption: str | None = None, raw: bool = False) -> str:
    """A small bordered table. Cells are escaped unless raw=True (cells already HTML):

        >>> render_table(["a"], [[1]]).count("<td")
        1
    """
    cell = (lambda c: str(c)) if raw else esc
    th = "".join(f'<th style="border:1px solid #999;padding:2px 6px">{esc(h)}</th>'
                 for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="border:1px solid #999;padding:2px 6px;text-align:right">'
                         f"{cell(c)}</td>" for c in row) + "</tr>"
        for row in rows)
    cap = f'<caption style="text-align:left">{esc(caption)}</caption>' if caption else ""
    return (f'<table class="smmu-table" style="border-collapse:collapse;{_BOX}">'
            f"{cap}<thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")


def wrap_box(inner: str, cls: str) -> str:
    return f'<div class="{cls}" style="{_BOX}">{inner}</div>'


def gfn_text(gfn: int) -> str:
    return f"gfn 0x{gfn:X}"


def kind_label(level: int, quadrant: int, direct: bool) -> str:
    """A shadow page's kind in words: "L2 page directory, PD quadrant 3", "L1 page table, quadrant 1"."""
    if level == 2:
        return f"L2 page directory, PD quadrant {quadrant}"
    return f"L1 {'direct page' if direct else 'page table'}, quadrant {quadrant}"
