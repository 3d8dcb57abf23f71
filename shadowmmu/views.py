"""Pictures and tables as strings: every view of notebooks 02-05 and 09 (and the simulator's later).

This module knows how to *draw* what the other modules compute. It imports
nothing from ipywidgets and displays nothing: every ``render_*()`` is a pure,
deterministic function returning an HTML or SVG string, so the same string is
shown by a live widget (``widgets``), by a static cell (``IPython.display.HTML``)
on GitHub or nbviewer, and asserted on by ``tests/test_views.py``. No arithmetic
about addresses happens here that the package does not already do: indices come
from ``address.decompose()``, quadrants from ``rules``, zapped sPTEs from
``writes.write_effects()``.

The shared layer, for every notebook including the simulator's (06-08):

* ``PALETTE`` — the Okabe-Ito colour-blind-safe palette, by colour name;
* ``FIELD_COLOURS`` / ``FIELD_LABELS`` — one colour and one text label per
  field name. Colour never carries meaning alone: every coloured cell also
  prints its label (``field_chip()``, ``render_legend()``);
* ``value_span(field, value)`` — the one way a value is shown to the reader
  *and* to the browser tests: ``<span class="smmu-v" data-field="NAME">``;
* ``render_table()``, ``render_error()``, ``render_legend()``, ``render_note()``.

The bit budget the pictures are drawn from (``consts.GUEST_4K`` and
``consts.PAE_4K``), for one real value:

    0xDEADBEEF =   11     01111010    1    011011011   111011101111
                  31:30     29:22     21      20:12         11:0
                  PDPTE   PDE pair   PT q    PAE PTE       offset
                   = 3     = 122     = 1      = 219        = 0xEEF
                 guest PDE 890 = 256 x 3 + 122;  PAE PDE 245 = 2 x 122 + 1

Bits 31:30 pick the PDPTE and so the PD quadrant; 29:22 pick the *pair* of
PAE PDEs that one guest PDE becomes; bit 21 picks one PAE PDE of the pair and
is the PT quadrant; 20:12 the PAE PTE; 11:0 the byte in the page.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .address import Decomposition, decompose, parse_address
from .consts import GUEST_4K, PAE_4K, PT32_ROOT_LEVEL, PG_LEVEL_4K, Field
from .events import (
    GuestFaultInjected,
    GuestWalkStep,
    GuestWrite,
    PageSynced,
    PageUnsync,
    QuadrantSkip,
    RootsLoaded,
    ShadowPageCreated,
    ShadowPageFound,
    ShadowPageZapped,
    ShadowWalkStep,
    SpteInstalled,
    SpteZapped,
    TlbFlush,
    WriteProtect,
)
from .exhaustive import RuleCheck
from .palette import FIELD_COLOURS, FIELD_LABELS, PALETTE
from .role import PageRole, pae_root_roles, root_role
from .role import RoleWarning
from .rules import QUADRANT_RULES, Rule, get_rule
from .writes import WriteEffect, shadowed_part, write_effects

# --------------------------------------------------------------------------
# Palette, labels, the generic helpers
# --------------------------------------------------------------------------

#: Fields whose numbers the readouts publish as ``value_span``s, in reading order.
READOUT_FIELDS = (
    "va", "pdpte_index", "pd_quadrant", "guest_pde_index", "shadow_pde_index",
    "pt_quadrant", "guest_pte_index", "shadow_pte_index", "page_offset",
)

#: The addresses every notebook tabulates before its live widget.
PRESETS = (0x00000000, 0x00200000, 0xC0000000, 0xC0200000, 0xDEADBEEF, 0xFFFFFFFF)

#: Colour groups of the 32 address bits, high to low, for the bit diagrams.
BIT_GROUPS = (
    ("pd_quadrant", 31, 30, "31:30 PDPTE index = PD quadrant"),
    ("pde_pair", 29, 22, "29:22 the pair of PAE PDEs"),
    ("pt_quadrant", 21, 21, "21 PT quadrant (low bit of the PAE PDE index)"),
    ("shadow_pte_index", 20, 12, "20:12 PAE PTE index"),
    ("page_offset", 11, 0, "11:0 page offset"),
)

_DARK = {PALETTE["black"], PALETTE["vermillion"], PALETTE["blue"], PALETTE["bluish_green"]}
_FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
_BOX = "color:#000;background:#fff;" + _FONT + ";font-size:13px;line-height:1.35"


def esc(text: object) -> str:
    """HTML-escape any value for text or attribute use: ``esc('<a>')`` is ``'&lt;a&gt;'``."""
    return html.escape(str(text), quote=True)


def text_colour(background: str) -> str:
    """Black or white, whichever reads on that palette colour."""
    return "#fff" if background in _DARK else "#000"


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


def field_chip(field: str, text: str | None = None) -> str:
    """A coloured label that also *says* what it is (colour is never the only cue)."""
    bg = FIELD_COLOURS[field]
    label = esc(text if text is not None else FIELD_LABELS[field])
    return (f'<span class="smmu-chip smmu-f-{field}" style="background:{bg};'
            f'color:{text_colour(bg)};padding:0 4px;border-radius:3px">{label}</span>')


def render_legend(fields: Iterable[str]) -> str:
    """A row of colour chips, one per field, each with its text label."""
    chips = " ".join(field_chip(f) for f in fields)
    return f'<div class="smmu-legend" style="margin:4px 0">{chips}</div>'


def render_error(err: object) -> str:
    """An inline error, for bad input; the message is the exception's text:

        >>> render_error(ValueError("address 'x' is not a number"))
        '<div class="smmu-error" role="alert">address &#x27;x&#x27; is not a number</div>'
    """
    return f'<div class="smmu-error" role="alert">{esc(err)}</div>'


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


def render_debug(text: str) -> str:
    """A traceback from a widget callback, shown where the reader can see it."""
    return (f'<pre class="smmu-debug" style="color:#000;background:#fee;border:1px solid '
            f'{PALETTE["vermillion"]};padding:4px;white-space:pre-wrap">{esc(text)}</pre>')


def _wrap(inner: str, cls: str) -> str:
    return f'<div class="{cls}" style="{_BOX}">{inner}</div>'


# --------------------------------------------------------------------------
# Notebook 02: address anatomy
# --------------------------------------------------------------------------

def _group_of_bit(bit: int) -> str:
    for name, hi, lo, _ in BIT_GROUPS:
        if lo <= bit <= hi:
            return name
    raise ValueError(bit)


def _field_row(d: Decomposition, layout: tuple[Field, ...]) -> str:
    cells = []
    for f in layout:
        value = getattr(d, f.name)
        shown = f"0x{value:03X}" if f.name == "page_offset" else str(value)
        cells.append(
            f'<td colspan="{f.width}" data-layout-field="{f.name}" title="{esc(f.label)} '
            f'{f.hi}:{f.lo} = {shown}" style="border:1px solid #000;text-align:center;'
            f'padding:1px 2px;font-size:11px;line-height:1.2">{esc(f.label)}<br>'
            f"{f.hi}:{f.lo}<br>= {shown}</td>")
    return "".join(cells)


def render_address_anatomy(d: Decomposition | int | str) -> str:
    """One address, read 10/10/12 by the guest and 2/9/9/12 by the PAE shadow (notebook 02).

    Two rows of the same 32 bits, each bit coloured by the part it plays (see
    ``BIT_GROUPS``), with the fields of each split bracketed underneath:

        >>> "guest PDE 31:22 = 890" in render_address_anatomy(0xDEADBEEF)
        True
    """
    d = d if isinstance(d, Decomposition) else decompose(d)
    bit_cells = []
    for b in range(31, -1, -1):
        group = _group_of_bit(b)
        bg = FIELD_COLOURS[group]
        bit_cells.append(
            f'<td class="smmu-bit-cell smmu-f-{group}" data-bit="{b}" title="bit {b}: '
            f'{esc(FIELD_LABELS[group])}" style="background:{bg};color:{text_colour(bg)};'
            f'width:17px;text-align:center;border:1px solid #fff">{(d.va >> b) & 1}</td>')
    bits_row = "".join(bit_cells)
    numbers = "".join(f'<td style="font-size:9px;text-align:center;color:#555">{b}</td>'
                      for b in range(31, -1, -1))
    label = 'style="text-align:right;padding-right:6px;white-space:nowrap"'
    table = (
        f'<table class="smmu-anatomy" style="border-collapse:collapse">'
        f"<tr><td {label}>bit</td>{numbers}</tr>"
        f"<tr><td {label}>guest 10/10/12</td>{bits_row}</tr>"
        f'<tr data-split="guest"><td {label}></td>{_field_row(d, GUEST_4K)}</tr>'
        f'<tr><td {label}>PAE 2/9/9/12</td>{bits_row}</tr>'
        f'<tr data-split="pae"><td {label}></td>{_field_row(d, PAE_4K)}</tr>'
        "</table>")
    legend = "".join(
        f"<li>{field_chip(name, text)}</li>" for name, _, _, text in BIT_GROUPS)
    same = (f"guest PDE {d.guest_pde_index} = 256 &times; {d.pdpte_index} + "
            f"{d.shadow_pde_index // 2}; PAE PDE {d.shadow_pde_index} = 2 &times; "
            f"{d.shadow_pde_index // 2} + {d.pt_quadrant}; guest PTE {d.guest_pte_index} = "
            f"512 &times; {d.pt_quadrant} + {d.shadow_pte_index}")
    return _wrap(
        f'<div style="font-weight:bold">0x{d.va:08X}</div>{table}'
        f'<ul style="list-style:none;padding:0;margin:4px 0">{legend}</ul>'
        f'<div class="smmu-identities">{same}</div>', "smmu-anatomy-view")


def render_readout(d: Decomposition | int | str) -> str:
    """Every number of one address as tagged ``value_span``s, one row per field (all notebooks)."""
    d = d if isinstance(d, Decomposition) else decompose(d)
    rows = []
    for name in READOUT_FIELDS:
        value = d.va if name == "va" else getattr(d, name)
        extra = f" (0x{value:03X})" if name == "page_offset" else ""
        rows.append((field_chip(name) if name != "va" else esc(FIELD_LABELS[name]),
                     value_span(name, value) + extra))
    return render_table(["field", "value"], rows, raw=True)


def preset_rows(addresses: Iterable[int] = PRESETS) -> list[tuple[str, ...]]:
    """The numbers of the preset table, as strings (for tests and for render_preset_table)."""
    rows = []
    for va in addresses:
        d = decompose(va)
        rows.append((f"0x{va:08X}", str(d.guest_pde_index), str(d.guest_pte_index),
                     str(d.pdpte_index), str(d.pd_quadrant), str(d.shadow_pde_index),
                     str(d.shadow_pte_index), str(d.pt_quadrant), f"0x{d.page_offset:03X}"))
    return rows


PRESET_HEADERS = ("VA", "guest PDE 31:22", "guest PTE 21:12", "PDPTE 31:30", "PD quadrant",
                  "PAE PDE 29:21", "PAE PTE 20:12", "PT quadrant (bit 21)", "offset 11:0")


def render_preset_table(addresses: Iterable[int] = PRESETS) -> str:
    """The static table each notebook shows before its live widget."""
    return render_table(PRESET_HEADERS, preset_rows(addresses),
                        caption="Computed by shadowmmu.decompose()")


# --------------------------------------------------------------------------
# Notebook 03: one page directory, four PAE page directories
# --------------------------------------------------------------------------

def _svg(width: int, height: int, body: str, cls: str, label: str) -> str:
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{esc(label)}" style="background:#fff" '
            f'font-family="monospace" font-size="11">{body}</svg>')


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{esc(s)}</text>'


def svg_legend(fields: Iterable[str], x: float, y: float) -> str:
    """A one-line SVG key: a swatch and the text label of each field, left to right."""
    parts, cx = [], x
    for name in fields:
        label = FIELD_LABELS[name]
        parts.append(f'<rect class="smmu-f-{name}" x="{cx:.1f}" y="{y - 9:.1f}" width="10" '
                     f'height="10" fill="{FIELD_COLOURS[name]}"/>')
        parts.append(_text(cx + 14, y, label))
        cx += 24 + 6.7 * len(label)
    return f'<g class="smmu-legend">{"".join(parts)}</g>'


def pd_split_layout(d: Decomposition) -> dict:
    """The numbers the PD-split picture is drawn from (all from decompose()):

        >>> pd_split_layout(decompose(0xDEADBEEF))["pae_pdes"]
        (244, 245)
    """
    k = d.guest_pde_index
    first = 2 * (k % 256)
    return {"guest_pde": k, "pd_quadrant": d.pd_quadrant, "pae_pdes": (first, first + 1),
            "pae_pde": d.shadow_pde_index,
            "quarter": (256 * d.pd_quadrant, 256 * d.pd_quadrant + 255)}


def render_pd_split(d: Decomposition | int | str) -> str:
    """The 1024 guest PDEs against the four PAE page directories of pae_root (notebook 03).

    Top: the guest PD as a strip of 1024 entries, cut into quarters of 256.
    Middle: each quarter feeds one PAE PD (role.quadrant 0..3, 1 GiB each);
    256 guest PDEs become 512 PAE PDEs. Bottom: a zoom on the chosen guest PDE
    and its neighbours, each one becoming two PAE PDEs. The chosen address is
    marked in all three (``data-highlight`` attributes name what is marked).
    """
    d = d if isinstance(d, Decomposition) else decompose(d)
    lay = pd_split_layout(d)
    k, q = lay["guest_pde"], lay["pd_quadrant"]
    x0, w_strip = 20.0, 720.0
    ux = w_strip / 1024
    orange, blue, verm = FIELD_COLOURS["guest_pde_index"], FIELD_COLOURS["shadow_pde_index"], \
        FIELD_COLOURS["pd_quadrant"]
    parts = [_text(x0, 14, "guest page directory: 1024 guest PDEs (4 bytes each), one 4 KiB page")]
    pd_w, gap = 172.5, 10.0
    for i in range(4):
        gx = x0 + 256 * i * ux
        px = x0 + i * (pd_w + gap)
        opacity = "1" if i == q else "0.55"
        parts.append(
            f'<rect class="smmu-f-guest_pde_index" data-quarter="{i}" x="{gx:.1f}" y="20" '
            f'width="{256 * ux - 1:.1f}" height="26" fill="{orange}" fill-opacity="{opacity}"/>')
        parts.append(_text(gx + 128 * ux, 37, f"guest PDEs {256 * i}-{256 * i + 255}", "middle"))
        parts.append(
            f'<polygon points="{gx:.1f},46 {gx + 256 * ux - 1:.1f},46 {px + pd_w:.1f},96 '
            f'{px:.1f},96" fill="{verm}" fill-opacity="{0.35 if i == q else 0.12}"/>')
        parts.append(
            f'<rect class="smmu-f-shadow_pde_index" data-pd-quadrant="{i}" x="{px:.1f}" y="96" '
            f'width="{pd_w:.1f}" height="26" fill="{blue}" fill-opacity="{opacity}"/>')
        parts.append(_text(px + pd_w / 2, 113, f"PAE PDEs 0-511", "middle",
                           'fill="#fff"'))
        lo = i << 30
        parts.append(_text(px + pd_w / 2, 136, f"pae_root[{i}]: PD quadrant {i}", "middle"))
        parts.append(_text(px + pd_w / 2, 150, f"VA 0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}",
                           "middle", 'font-size="10"'))
    # the chosen entry, in the strip and in its PAE PD
    gx = x0 + k * ux
    parts.append(
        f'<rect data-highlight="guest-pde" data-index="{k}" x="{gx - 1:.1f}" y="17" '
        f'width="{max(ux, 2.5):.1f}" height="32" fill="#000"/>')
    px = x0 + q * (pd_w + gap)
    sx = pd_w / 512
    for idx in lay["pae_pdes"]:
        parts.append(
            f'<rect data-highlight="pae-pde" data-pd-quadrant="{q}" data-index="{idx}" '
            f'x="{px + idx * sx - 0.5:.1f}" y="93" width="{max(sx, 1.5):.1f}" height="32" '
            f'fill="#000"/>')
    parts.append(_text(x0, 172, f"guest PDE {k} -> PAE PDEs {lay['pae_pdes'][0]}, "
                                f"{lay['pae_pdes'][1]} of PD quadrant {q}",
                       extra='font-weight="bold"'))
    # zoom: neighbours of k, one guest PDE over two PAE PDEs
    y = 195
    parts.append(_text(x0, y, "zoom: each guest PDE (4 MiB) is two PAE PDEs (2 MiB each)"))
    lo_k = min(max(k - 2, 0), 1019)
    cell = 140.0
    for n, kk in enumerate(range(lo_k, lo_k + 5)):
        cx = x0 + n * (cell + 4)
        chosen = kk == k
        stroke = 'stroke="#000" stroke-width="3"' if chosen else 'stroke="#fff"'
        parts.append(
            f'<rect data-zoom-guest-pde="{kk}" x="{cx:.1f}" y="{y + 8}" width="{cell:.1f}" '
            f'height="24" fill="{orange}" {stroke}/>')
        parts.append(_text(cx + cell / 2, y + 24, f"guest PDE {kk}", "middle"))
        qq, first = kk // 256, 2 * (kk % 256)
        for h in range(2):
            hx = cx + h * cell / 2
            parts.append(
                f'<rect data-zoom-pae-pde="{first + h}" data-pd-quadrant="{qq}" x="{hx:.1f}" '
                f'y="{y + 44}" width="{cell / 2 - 2:.1f}" height="24" fill="{blue}" {stroke}/>')
            parts.append(_text(hx + cell / 4 - 1, y + 60, f"PD{qq} #{first + h}", "middle",
                               'fill="#fff"'))
            parts.append(f'<line x1="{cx + cell / 2:.1f}" y1="{y + 32}" '
                         f'x2="{hx + cell / 4 - 1:.1f}" y2="{y + 44}" stroke="#000"/>')
    parts.append(svg_legend(("guest_pde_index", "shadow_pde_index", "pd_quadrant"), x0, y + 92))
    return _svg(760, 295, "".join(parts), "smmu-pd-split",
                f"guest PDE {k} maps to PAE PDEs {lay['pae_pdes'][0]} and "
                f"{lay['pae_pdes'][1]} of PD quadrant {q}")


def render_pd_presets(addresses: Iterable[int] = PRESETS) -> str:
    """Static table for notebook 03: each preset's guest PDE, PD quadrant and PAE PDE pair."""
    rows = []
    for va in addresses:
        lay = pd_split_layout(decompose(va))
        rows.append((f"0x{va:08X}", lay["guest_pde"], lay["pd_quadrant"],
                     f"{lay['quarter'][0]}-{lay['quarter'][1]}",
                     f"{lay['pae_pdes'][0]}, {lay['pae_pdes'][1]}", lay["pae_pde"]))
    return render_table(("VA", "guest PDE", "PD quadrant", "guest PDEs of that PD",
                         "its two PAE PDEs", "the one VA uses"), rows,
                        caption="Computed by shadowmmu.decompose()")


def pd_quarter_rows() -> list[tuple[str, ...]]:
    """One row per PAE page directory: role, guest PDEs, bytes of the guest PD, VA range."""
    rows = []
    for role in pae_root_roles():
        part = shadowed_part(role)
        lo = role.quadrant << 30
        rows.append((f"pae_root[{role.quadrant}]", role.describe(),
                     f"{part.first_gpte}-{part.first_gpte + part.nr_gptes - 1}",
                     f"0x{part.byte_lo:03X}-0x{part.byte_hi:03X}",
                     f"{part.nr_gptes * part.sptes_per_gpte}",
                     f"0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}"))
    return rows


def render_pd_quarters() -> str:
    """The four PAE page directories as a table (from pae_root_roles() and shadowed_part())."""
    return render_table(("slot", "role", "guest PDEs", "guest PD bytes", "PAE PDEs used",
                         "VA range"), pd_quarter_rows(),
                        caption="Computed by shadowmmu.pae_root_roles() and shadowed_part()")


# --------------------------------------------------------------------------
# Notebook 04: one page table, two PAE page tables
# --------------------------------------------------------------------------

def interleave_window(d: Decomposition, width: int = 8) -> list[tuple[int, int, int]]:
    """(PAE PDE index, PT quadrant, guest PDE index) for `width` PAE PDEs around d's:

        >>> [q for _, q, _ in interleave_window(decompose(0x00200000), 4)]
        [0, 1, 0, 1]

    The quadrant is the mainline rule applied to each entry (``spte_index & 1``).
    """
    rule = QUADRANT_RULES["mainline"]
    even = d.shadow_pde_index - d.shadow_pde_index % 2
    start = min(max(even - 2 * ((width - 2) // 4), 0), 512 - width)
    base = 256 * d.pdpte_index
    return [(i, int(rule.pt_quadrant_from(i, d.va)), base + i // 2)
            for i in range(start, start + width)]


def halves_verdict(d: Decomposition) -> dict:
    """What the halves misconception and the mainline rule say about d's page table."""
    wrong, right = QUADRANT_RULES["halves"], QUADRANT_RULES["mainline"]
    return {"shadow_pde_index": d.shadow_pde_index, "bit21": d.pt_quadrant,
            "halves": int(wrong.pt_quadrant(d.va)), "mainline": int(right.pt_quadrant(d.va))}


def render_pt_presets(addresses: Iterable[int] = PRESETS) -> str:
    """Static table for notebook 04: PT quadrant by the bits, by mainline and by the halves reading."""
    rows = []
    for va in addresses:
        d = decompose(va)
        v = halves_verdict(d)
        rows.append((f"0x{va:08X}", d.guest_pte_index, d.shadow_pde_index, v["bit21"],
                     v["mainline"], v["halves"], d.shadow_pte_index,
                     "agree" if v["halves"] == v["mainline"] else "HALVES WRONG"))
    return render_table(("VA", "guest PTE", "parent PAE PDE", "bit 21", "mainline PT q",
                         "halves PT q (wrong)", "PAE PTE", "verdict"), rows,
                        caption="Computed by shadowmmu.decompose() and QUADRANT_RULES")


def render_refutation(d: Decomposition | int | str) -> str:
    """One sentence, computed for d, that puts the halves reading to the test (notebook 04)."""
    d = d if isinstance(d, Decomposition) else decompose(d)
    v = halves_verdict(d)
    side = "below" if v["shadow_pde_index"] < 256 else "at or above"
    head = (f"0x{d.va:08X}: bit 21 = {v['bit21']}, so its page table is PT quadrant "
            f"{v['mainline']} (mainline spte_index &amp; 1 of PAE PDE {v['shadow_pde_index']}). "
            f"The halves reading sees PAE PDE {v['shadow_pde_index']} {side} 256 and says "
            f"quadrant {v['halves']}")
    if v["halves"] != v["mainline"]:
        tail = (" &mdash; <b>wrong</b>: the two readings disagree, and the bits side with "
                "the interleave.")
    else:
        tail = (" &mdash; the same answer here, by luck; try 0x00200000, where they part.")
    agree = str(v["halves"] == v["mainline"]).lower()
    return (f'<p class="smmu-refutation" data-agree="{agree}" style="{_BOX}">'
            f"{head}{tail}</p>")


def render_pt_split(d: Decomposition | int | str) -> str:
    """One guest page table against its two PAE page tables, and where they hang (notebook 04).

    Top: the guest PT's 1024 gPTEs; its lower 512 are shadowed by the PAE PT of
    quadrant 0, its upper 512 by quadrant 1 (in the guest PT the two *are*
    halves). Middle: a window of the parent PAE PD, where consecutive PAE PDEs
    alternate quadrant 0, 1, 0, 1 (``data-spde``/``data-quadrant``). Bottom: the
    whole parent PD read two ways, side by side: the misconception (top and
    bottom halves, labelled as such) and the interleave, with d's PAE PDE marked
    on both.
    """
    d = d if isinstance(d, Decomposition) else decompose(d)
    gte, ste, pq = FIELD_COLOURS["guest_pte_index"], FIELD_COLOURS["shadow_pte_index"], \
        FIELD_COLOURS["pt_quadrant"]
    blue = FIELD_COLOURS["shadow_pde_index"]
    x0, w = 20.0, 720.0
    ux = w / 1024
    j, q, s = d.guest_pte_index, d.pt_quadrant, d.shadow_pte_index
    P = [_text(x0, 14, f"the guest page table behind guest PDE {d.guest_pde_index}: 1024 guest "
                       f"PTEs (4 bytes each)")]
    for h in range(2):
        gx = x0 + 512 * h * ux
        P.append(f'<rect class="smmu-f-guest_pte_index" data-guest-half="{h}" x="{gx:.1f}" '
                 f'y="20" width="{512 * ux - 1:.1f}" height="24" fill="{gte}" '
                 f'fill-opacity="{1 if h == q else 0.5}"/>')
        P.append(_text(gx + 256 * ux, 36, f"guest PTEs {512 * h}-{512 * h + 511} "
                                          f"(bytes 0x{2048 * h:03X}-0x{2048 * h + 2047:03X})",
                       "middle"))
        tx = x0 + h * (w / 2 + 10)
        tw = w / 2 - 10
        P.append(f'<polygon points="{gx:.1f},44 {gx + 512 * ux - 1:.1f},44 {tx + tw:.1f},70 '
                 f'{tx:.1f},70" fill="{pq}" fill-opacity="{0.4 if h == q else 0.12}"/>')
        P.append(f'<rect class="smmu-f-shadow_pte_index" data-pt-quadrant="{h}" x="{tx:.1f}" '
                 f'y="70" width="{tw:.1f}" height="24" fill="{ste}" '
                 f'fill-opacity="{1 if h == q else 0.5}"/>')
        P.append(_text(tx + tw / 2, 86, f"PAE PT, PT quadrant {h}: PAE PTEs 0-511", "middle",
                       'fill="#fff"'))
    P.append(f'<rect data-highlight="guest-pte" data-index="{j}" x="{x0 + j * ux - 1:.1f}" '
             f'y="17" width="2.5" height="30" fill="#000"/>')
    tx = x0 + q * (w / 2 + 10)
    sx = (w / 2 - 10) / 512
    P.append(f'<rect data-highlight="pae-pte" data-pt-quadrant="{q}" data-index="{s}" '
             f'x="{tx + s * sx - 1:.1f}" y="67" width="2.5" height="30" fill="#000"/>')
    P.append(_text(x0, 110, f"guest PTE {j} = 512 x {q} + {s}: PAE PTE {s} of the PT with "
                            f"quadrant {q}", extra='font-weight="bold"'))
    # window of the parent PAE PD
    y = 135
    P.append(_text(x0, y, f"the parent: PAE PDEs of PD quadrant {d.pd_quadrant}, around PAE "
                          f"PDE {d.shadow_pde_index} (quadrant = index & 1)"))
    win = interleave_window(d)
    cw = w / len(win)
    for n, (i, qq, k) in enumerate(win):
        cx = x0 + n * cw
        chosen = i == d.shadow_pde_index
        stroke = 'stroke="#000" stroke-width="3"' if chosen else 'stroke="#fff" stroke-width="2"'
        fill = pq if qq else blue
        P.append(f'<rect data-spde="{i}" data-quadrant="{qq}" x="{cx:.1f}" y="{y + 6}" '
                 f'width="{cw - 2:.1f}" height="26" fill="{fill}" {stroke}/>')
        P.append(_text(cx + cw / 2, y + 23, f"PDE {i}: q{qq}", "middle",
                       f'fill="{text_colour(fill)}"'))
        if i % 2 == 0:
            P.append(_text(cx + cw, y + 46, f"guest PDE {k}", "middle", 'font-size="10"'))
            P.append(f'<line x1="{cx + 4:.1f}" y1="{y + 35}" x2="{cx + 2 * cw - 6:.1f}" '
                     f'y2="{y + 35}" stroke="#000"/>')
    # the whole parent PD, two readings
    y = 205
    v = halves_verdict(d)
    bw = w / 2 - 15
    ex = 512
    P.append(
        '<defs><pattern id="smmu-evenodd" width="4" height="10" patternUnits="userSpaceOnUse">'
        f'<rect width="2" height="10" fill="{blue}"/><rect x="2" width="2" height="10" '
        f'fill="{pq}"/></pattern></defs>')
    for panel, title in ((0, "MISCONCEPTION (wrong): top/bottom halves"),
                         (1, "actual: evens and odds (spte_index & 1)")):
        bx = x0 + panel * (bw + 30)
        P.append(_text(bx, y, title, extra='font-weight="bold"'))
        sx = bw / ex
        if panel == 0:
            P.append(f'<g data-reading="halves"><rect x="{bx:.1f}" y="{y + 6}" width="{bw / 2:.1f}" '
                     f'height="22" fill="{blue}" stroke="#000" stroke-dasharray="4 3"/>'
                     f'<rect x="{bx + bw / 2:.1f}" y="{y + 6}" width="{bw / 2:.1f}" height="22" '
                     f'fill="{pq}" stroke="#000" stroke-dasharray="4 3"/></g>')
            P.append(_text(bx + bw / 4, y + 21, "PDEs 0-255: q0", "middle", 'fill="#fff"'))
            P.append(_text(bx + 3 * bw / 4, y + 21, "PDEs 256-511: q1", "middle"))
            said = v["halves"]
        else:
            P.append(f'<g data-reading="interleave"><rect x="{bx:.1f}" y="{y + 6}" '
                     f'width="{bw:.1f}" height="22" fill="url(#smmu-evenodd)" stroke="#000"/></g>')
            said = v["mainline"]
        mx = bx + d.shadow_pde_index * sx
        P.append(f'<path data-marker="{"halves" if panel == 0 else "interleave"}" '
                 f'd="M{mx:.1f},{y + 31} l-5,9 h10 z" fill="#000"/>')
        P.append(_text(bx, y + 54, f"PAE PDE {d.shadow_pde_index} -> says PT quadrant {said}"))
    P.append(_text(x0, y + 72,
                   f"bit 21 of 0x{d.va:08X} is {d.pt_quadrant}: the halves reading is "
                   f"{'right here by luck' if v['halves'] == v['mainline'] else 'WRONG here'}",
                   extra='font-size="11"'))
    P.append(svg_legend(("guest_pte_index", "shadow_pte_index", "pt_quadrant",
                         "shadow_pde_index"), x0, y + 92))
    return _svg(760, 305, "".join(P), "smmu-pt-split",
                f"guest PTE {j} is PAE PTE {s} of the page table with PT quadrant {q}")


# --------------------------------------------------------------------------
# Notebook 05: the role from the parent, rule by rule
# --------------------------------------------------------------------------

def _levels(rule: Rule) -> str:
    return ", ".join(f"L{level}" for level in sorted(rule.levels))


def rule_rows(rules: Mapping[str, Rule] = QUADRANT_RULES) -> list[tuple[str, ...]]:
    """One row per rule: name, formula, child levels it derives, roots, status, origin."""
    return [(r.name, r.formula, _levels(r), r.roots, r.status, r.origin)
            for r in rules.values()]


def render_rule_table(rules: Mapping[str, Rule] = QUADRANT_RULES) -> str:
    """The rules of shadowmmu.rules.QUADRANT_RULES and what became of each (notebook 05)."""
    return render_table(("rule", "quadrant of a child", "derives", "PD roots", "status",
                         "origin"), rule_rows(rules),
                        caption="From shadowmmu.rules.QUADRANT_RULES")


def rule_quadrants(rule: str | Rule, d: Decomposition) -> dict:
    """What one rule makes of d: PD and PT quadrants, against the bits, plus both roles.

        >>> r = rule_quadrants("halves", decompose(0x00200000))
        >>> r["pt_quadrant"], r["bit21"]
        (0, 1)
    """
    rule = get_rule(rule)
    pd = int(rule.pd_quadrant(d.va))
    pt = int(rule.pt_quadrant(d.va))
    pd_role = rule.pd_roles()[d.pdpte_index]
    try:
        child = rule.child_role(pd_role, d.shadow_pde_index, va=d.va).describe()
    except RoleWarning as err:  # the kernel form would WARN; say so instead of a role
        child = f"WARN: {err}"
    try:
        l2 = rule.quadrant(PT32_ROOT_LEVEL, d.pdpte_index, d.va)
        level2 = f"derived: {int(l2)}"
    except RoleWarning:
        level2 = "not derived (WARN_ON_ONCE if asked); from mmu_alloc_root()"
    return {"rule": rule.name, "pd_quadrant": pd, "pt_quadrant": pt, "bits31_30": d.pdpte_index,
            "bit21": d.pt_quadrant, "pd_role": pd_role.describe(), "child_role": child,
            "level2": level2, "correct_here": pd == d.pdpte_index and pt == d.pt_quadrant}


def render_rule_view(rule: str | Rule, d: Decomposition | int | str) -> str:
    """One rule applied to one address: its quadrants beside the bits they must equal."""
    d = d if isinstance(d, Decomposition) else decompose(d)
    rule = get_rule(rule)
    r = rule_quadrants(rule, d)
    ok = lambda a, b: "agrees" if a == b else "<b>DISAGREES</b>"  # noqa: E731
    rows = [
        ("PD quadrant", f'<span class="smmu-rule-v" data-field="pd_quadrant">{r["pd_quadrant"]}'
                        f"</span>", f"bits 31:30 = {r['bits31_30']}",
         ok(r["pd_quadrant"], r["bits31_30"])),
        ("PT quadrant", f'<span class="smmu-rule-v" data-field="pt_quadrant">{r["pt_quadrant"]}'
                        f"</span>", f"bit 21 = {r['bit21']}", ok(r["pt_quadrant"], r["bit21"])),
    ]
    head = (f'<div class="smmu-rule" data-rule="{esc(rule.name)}"><b>{esc(rule.name)}</b>: '
            f"quadrant of a child = <code>{esc(rule.formula)}</code> &mdash; {esc(rule.status)}"
            f"{' (the misconception)' if not rule.correct else ''}</div>")
    roles = (f"<div>level-2 quadrant: {esc(r['level2'])}. PD role {esc(r['pd_role'])}; "
             f"child of PAE PDE {d.shadow_pde_index}: {esc(r['child_role'])}</div>")
    table = render_table(("quadrant", f"rule at 0x{d.va:08X}", "must equal", "verdict"),
                         [(a, b, esc(c), e) for a, b, c, e in rows], raw=True)
    return _wrap(head + table + roles, "smmu-rule-view")


def render_rule_check(check: RuleCheck) -> str:
    """The verdict of shadowmmu.exhaustive.check_rule() over all pages, one line."""
    rule = QUADRANT_RULES[check.rule]
    if check.agrees:
        body = (f"<b>{esc(check.rule)}</b>: all {check.pages:,} pages agree with VA bits 31:30 "
                f"and 21.")
    else:
        body = (f"<b>{esc(check.rule)}</b>: {check.wrong_pd:,} wrong PD quadrants and "
                f"{check.wrong_pt:,} wrong PT quadrants out of {check.pages:,} pages; first "
                f'counterexample <span class="smmu-counterexample">'
                f"{esc(check.first_counterexample)}</span>.")
    tag = "" if rule.correct else " (the misconception)"
    return (f'<div class="smmu-check" data-rule="{esc(check.rule)}" '
            f'data-agrees="{str(check.agrees).lower()}">{body}{tag}</div>')


def render_rule_checks(checks: Mapping[str, RuleCheck]) -> str:
    """All rules' exhaustive verdicts as one table (shadowmmu.exhaustive.check_all_rules())."""
    rows = []
    for name, c in checks.items():
        rows.append((name, f"{c.pages:,}", "yes" if c.agrees else "NO", f"{c.wrong_pd:,}",
                     f"{c.wrong_pt:,}", str(c.first_counterexample or "-")))
    return render_table(("rule", "pages", "agrees", "wrong PD q", "wrong PT q",
                         "first counterexample"), rows,
                        caption="Computed by shadowmmu.exhaustive.check_all_rules()")


# --------------------------------------------------------------------------
# Notebook 09: exercises
# --------------------------------------------------------------------------

EXERCISE_KINDS = ("address", "pt-write", "pd-write")

#: What each kind of exercise asks for, in order, with the question's words.
EXERCISE_FIELDS = {
    "address": (("pd_quadrant", "PD quadrant"), ("guest_pde_index", "guest PDE index"),
                ("shadow_pde_index", "PAE PDE index"), ("pt_quadrant", "PT quadrant"),
                ("guest_pte_index", "guest PTE index"), ("shadow_pte_index", "PAE PTE index")),
    "pt-write": (("pt_quadrant", "quadrant of the PAE PT that is hit"),
                 ("shadow_pte_index", "the zapped sPTE index")),
    "pd-write": (("pd_quadrant", "quadrant of the PAE PD that is hit"),
                 ("spte_lo", "first zapped PAE PDE"), ("spte_hi", "second zapped PAE PDE")),
}


@dataclass(frozen=True, slots=True)
class Exercise:
    """One seeded question and its answers, all computed by the package."""

    seed: int
    number: int
    kind: str
    va: int | None
    offset: int | None
    question: str
    answers: tuple[tuple[str, int], ...]
    effects: tuple[WriteEffect, ...] = ()

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return EXERCISE_FIELDS[self.kind]


def _pt_roles() -> tuple[PageRole, ...]:
    return tuple(PageRole(level=PG_LEVEL_4K, has_4_byte_gpte=True, quadrant=i) for i in (0, 1))


def make_exercise(seed: int, number: int = 0) -> Exercise:
    """Exercise `number` of series `seed`; the same pair gives the same question on every run:

        >>> make_exercise(7, 0) == make_exercise(7, 0)
        True

    Kinds cycle address, guest-PT write, guest-PD write. Answers come from
    decompose() and write_effects() (4-byte aligned writes, as Linux makes).
    """
    rng = random.Random(f"shadowmmu-exercise:{int(seed)}:{int(number)}")
    kind = EXERCISE_KINDS[int(number) % len(EXERCISE_KINDS)]
    if kind == "address":
        va = rng.getrandbits(32)
        d = decompose(va)
        answers = tuple((name, getattr(d, name)) for name, _ in EXERCISE_FIELDS[kind])
        question = (f"The guest touches 0x{va:08X}. Which PD quadrant, guest PDE, PAE PDE, "
                    f"PT quadrant, guest PTE and PAE PTE does it use?")
        return Exercise(seed, number, kind, va, None, question, answers)
    entry = rng.randrange(1024)
    offset = 4 * entry
    if kind == "pt-write":
        effects = write_effects(_pt_roles(), offset, 4)
        hit = next(e for e in effects if e.action == "zap")
        answers = (("pt_quadrant", hit.role.quadrant), ("shadow_pte_index", hit.sptes[0]))
        question = (f"The guest writes 4 bytes at byte 0x{offset:03X} of one of its page "
                    f"tables (gPTE {entry}), and KVM traps the write (the table is kept "
                    f"write-protected, not unsync). Both PAE page tables of it exist. Which "
                    f"one is hit, and which sPTE is zapped?")
    else:
        effects = write_effects(pae_root_roles(root_role()), offset, 4)
        hit = next(e for e in effects if e.action == "zap")
        answers = (("pd_quadrant", hit.role.quadrant), ("spte_lo", hit.sptes[0]),
                   ("spte_hi", hit.sptes[1]))
        question = (f"The guest writes 4 bytes at byte 0x{offset:03X} of its page directory "
                    f"(gPDE {entry}). Which of the four PAE page directories is hit, and "
                    f"which two PAE PDEs are zapped?")
    return Exercise(seed, number, kind, None, offset, question, answers, effects)


def parse_answer(text: str) -> int | None:
    """A reader's answer as an int (decimal or 0x hex), or None if blank or not a number."""
    text = (text or "").strip().replace("_", "")
    if not text:
        return None
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        return None


def check_answers(ex: Exercise, given: Mapping[str, str]) -> dict[str, bool | None]:
    """Per field: True (right), False (wrong) or None (blank or not a number)."""
    out = {}
    for name, want in ex.answers:
        got = parse_answer(given.get(name, ""))
        out[name] = None if got is None else got == want
    return out


def render_exercise(ex: Exercise) -> str:
    """The question, with its seed and number so a class can share it."""
    return _wrap(f'<div class="smmu-exercise" data-kind="{ex.kind}"><b>Exercise {ex.number} '
                 f"(seed {ex.seed})</b>: {esc(ex.question)}</div>", "smmu-exercise-view")


def render_feedback(ex: Exercise, given: Mapping[str, str]) -> str:
    """Right/wrong per answer, in words, without giving the answer away."""
    verdicts = check_answers(ex, given)
    words = {True: "right", False: "not yet", None: "no number given"}
    rows = [(esc(label), f'<span class="smmu-verdict" data-field="{name}" '
                         f'data-correct="{str(verdicts[name]).lower()}">'
                         f"{words[verdicts[name]]}</span>")
            for name, label in ex.fields]
    n_right = sum(v is True for v in verdicts.values())
    return render_table(("answer", "verdict"), rows, raw=True,
                        caption=f"{n_right} of {len(verdicts)} right")


def render_solution(ex: Exercise) -> str:
    """The answers and the reasoning, every number from the package."""
    answers = dict(ex.answers)
    if ex.kind == "address":
        d = decompose(ex.va)
        why = [render_address_anatomy(d)]
    elif ex.kind == "pt-write":
        j = ex.offset // 4
        why = [render_note(f"gPTE {j} = 512 x {answers['pt_quadrant']} + "
                           f"{answers['shadow_pte_index']}: the byte offset is doubled to "
                           f"8-byte entries; the part above 4 KiB is the quadrant.")]
    else:
        k = ex.offset // 4
        why = [render_note(f"gPDE {k} = 256 x {answers['pd_quadrant']} + {k % 256}; one 4 MiB "
                           f"guest PDE is two 2 MiB PAE PDEs, 2 x {k % 256} and the next.")]
    if ex.effects:
        rows = [(f"quadrant {e.role.quadrant}", e.role.describe(), e.action,
                 ", ".join(map(str, e.sptes)) or "-") for e in ex.effects]
        why.append(render_table(("shadow page", "role", "action", "sPTEs"), rows,
                                caption="shadowmmu.write_effects()"))
    rows = [(esc(label), value_span(name, answers[name]) if name in READOUT_FIELDS
             else f'<span class="smmu-v" data-field="{name}">{answers[name]}</span>')
            for name, label in ex.fields]
    return _wrap(render_table(("answer", "value"), rows, raw=True) + "".join(why),
                 "smmu-solution")


def exercise_rows(seed: int, count: int) -> list[tuple[str, ...]]:
    """A static list of the first `count` questions of a seed (for the notebook's table)."""
    return [(str(n), ex.kind, ex.question) for n in range(count)
            for ex in [make_exercise(seed, n)]]



# --------------------------------------------------------------------------
# Notebooks 06-08 and 10: the simulator's traces, write path and whole guests
# --------------------------------------------------------------------------
#
# Everything below draws records made by shadowmmu.mmu / shadowmmu.scenarios:
# the frozen events of ShadowMMU.last_trace, scenarios.AccessResult and
# WriteResult, MMUStats. The numbers shown are the ones the simulator used
# (the index of the sPTE it wrote, the quadrant of the page it created), not
# recomputed from the address; the tests compare them with the golden table.

#: One colour and one label per kind of trace event; the label is always printed.
EVENT_STYLE = {
    "ShadowWalkStep": ("shadow walk", PALETTE["blue"]),
    "GuestWalkStep": ("guest walk", PALETTE["orange"]),
    "GuestFaultInjected": ("guest #PF", PALETTE["vermillion"]),
    "ShadowPageCreated": ("new shadow page", PALETTE["bluish_green"]),
    "ShadowPageFound": ("cached shadow page", PALETTE["sky_blue"]),
    "SpteInstalled": ("install sPTE", PALETTE["reddish_purple"]),
    "SpteZapped": ("zap sPTE", PALETTE["vermillion"]),
    "ShadowPageZapped": ("zap whole page", PALETTE["vermillion"]),
    "QuadrantSkip": ("quadrant skip", PALETTE["grey"]),
    "GuestWrite": ("guest write", PALETTE["black"]),
    "PageUnsync": ("unsync", PALETTE["orange"]),
    "PageSynced": ("resync", PALETTE["sky_blue"]),
    "WriteProtect": ("write-protect", PALETTE["grey"]),
    "RootsLoaded": ("roots", PALETTE["black"]),
    "TlbFlush": ("flush", PALETTE["grey"]),
}


def event_chip(event: object) -> str:
    """The coloured, labelled kind of one trace event: ``<span class="smmu-event ...">shadow walk</span>``."""
    name = type(event).__name__
    label, bg = EVENT_STYLE.get(name, (name, PALETTE["grey"]))
    return (f'<span class="smmu-event" data-event="{esc(name)}" style="background:{bg};'
            f'color:{text_colour(bg)};padding:0 4px;border-radius:3px;white-space:nowrap">'
            f"{esc(label)}</span>")


def _span(field: str, value: int) -> str:
    return value_span(field, value)


def _gfn(gfn: int) -> str:
    return f"gfn 0x{gfn:X}"


def explain_event(event: object) -> str:
    """Why the simulator took this step, in HTML, its numbers as value_spans (notebooks 06-07)."""
    e = event
    if isinstance(e, ShadowWalkStep):
        state = ("empty" if not e.spte & 1 else
                 "a 2 MiB leaf" if e.level == 2 and e.spte & 0x80 else "present")
        if e.level == 3:
            return (f"root choice: VA bits 31:30 = {_span('pdpte_index', e.index)} pick "
                    f"<code>pae_root[{e.index}]</code>, the PAE page directory with PD quadrant "
                    f"{_span('pd_quadrant', e.index)} (<code>shadow_walk_init_using_root()</code>); {state}")
        if e.level == 2:
            more = {"empty": ": nothing maps this 2 MiB yet, so this is a shadow page fault",
                    "present": ": it links to a PAE page table"}.get(state, "")
            return (f"PAE PDE {_span('shadow_pde_index', e.index)} = VA bits 29:21 of that "
                    f"page directory: {state}{more}")
        more = ": a shadow page fault" if state == "empty" else ": the CPU would use it"
        return f"PAE PTE {_span('shadow_pte_index', e.index)} = VA bits 20:12: {state}{more}"
    if isinstance(e, GuestWalkStep):
        if e.level == 2:
            if e.entry & 0x80:
                tail = "a 4 MiB page (PS set): the guest walk ends here"
            else:
                tail = f"points at the guest page table at {_gfn(e.entry >> 12)}"
            return (f"KVM walks the guest's own tables (<code>FNAME(walk_addr_generic)</code>): "
                    f"guest PDE {_span('guest_pde_index', e.index)} = VA bits 31:22, in the "
                    f"guest PD at {_gfn(e.table_gfn)}: {tail}")
        return (f"guest PTE {_span('guest_pte_index', e.index)} = VA bits 21:12: frame "
                f"0x{e.entry >> 12:X}")
    if isinstance(e, GuestFaultInjected):
        return f"the guest's own tables refuse ({esc(e.reason)}): KVM injects #PF; no shadow page is made"
    if isinstance(e, (ShadowPageCreated, ShadowPageFound)):
        r = e.role
        if isinstance(e, ShadowPageFound):
            head = ("<code>kvm_mmu_find_shadow_page()</code> finds this (gfn, role) in the "
                    "cache: reused, nothing new")
        else:
            head = "not in the cache: a new shadow page"
        if r.level == 2:
            return (f"{head}; PD quadrant {_span('pd_quadrant', r.quadrant)} of the guest PD at "
                    f"{_gfn(e.gfn)} (<code>mmu_alloc_root()</code> gives root i quadrant i)")
        if r.direct:
            return (f"{head}: a <b>direct</b> page mapping the 2 MiB from {_gfn(e.gfn)} (half of a "
                    f"guest 4 MiB page that cannot be one 2 MiB sPTE: the host backs it with "
                    f"4 KiB pages, or a guest table lies inside it); quadrant "
                    f"{_span('pt_quadrant', r.quadrant)}, inherited bookkeeping")
        lo = 512 * r.quadrant
        return (f"{head} for the guest PT at {_gfn(e.gfn)}, level 1, quadrant "
                f"{_span('pt_quadrant', r.quadrant)} = parent PAE PDE index &amp; 1 "
                f"(<code>kvm_mmu_child_role()</code>, Linux 6.0+): it shadows guest PTEs "
                f"{lo}..{lo + 511}")
    if isinstance(e, SpteInstalled):
        if e.what == "link":
            return (f"PAE PDE {_span('shadow_pde_index', e.index)} of the {e.role.describe()} "
                    f"page now points at that page table (<code>link_shadow_page()</code>)")
        flags = ("writable" if e.spte & 2 else "read-only") + (", user" if e.spte & 4 else ", supervisor")
        if e.what == "leaf 2M":
            return (f"a 2 MiB leaf in PAE PDE {_span('shadow_pde_index', e.index)}: frame "
                    f"0x{(e.spte >> 12) & 0xFFFFFFFFFF:X}, {flags}; no page table below it "
                    f"(the host has a large page there)")
        return (f"leaf sPTE {_span('shadow_pte_index', e.index)} of the {e.role.describe()} page: "
                f"frame 0x{(e.spte >> 12) & 0xFFFFFFFFFF:X}, {flags} (<code>mmu_set_spte()</code>)")
    if isinstance(e, SpteZapped):
        return (f"sPTE {e.index} of the {e.role.describe()} page at {_gfn(e.gfn)} cleared: "
                f"{esc(e.reason)} (<code>mmu_page_zap_pte()</code>)")
    if isinstance(e, ShadowPageZapped):
        return f"the whole {e.role.describe()} page at {_gfn(e.gfn)} is dropped: {esc(e.reason)}"
    if isinstance(e, QuadrantSkip):
        return (f"<code>get_written_sptes()</code> returns NULL for the {e.role.describe()} page: "
                f"byte 0x{e.offset:X} belongs to another quadrant, so it is skipped")
    if isinstance(e, GuestWrite):
        what = {"emulate": "the frame is write-protected: KVM emulates the store, then "
                           "<code>kvm_mmu_track_write()</code> (Linux 6.6+) zaps what it changed",
                "unsync": "first store to a protected page table: its shadow pages go unsync "
                          "and the store goes through (<code>mmu_try_to_unsync_pages()</code>)",
                "store": "nothing traps: a plain store"}.get(e.action, esc(e.action))
        return f"{e.size}-byte store of 0x{e.value:X} at gpa 0x{e.gpa:X}: {what}"
    if isinstance(e, PageUnsync):
        return f"the {e.role.describe()} page at {_gfn(e.gfn)} may now disagree with the guest PT"
    if isinstance(e, PageSynced):
        tail = ("; it stays unsync and writable until the guest flushes"
                if getattr(e, "still_unsync", False) else "")
        return (f"gPTE(s) re-read for the {e.role.describe()} page at {_gfn(e.gfn)}: "
                f"{e.zapped} changed sPTE(s) dropped{tail}")
    if isinstance(e, RootsLoaded):
        return "<code>pae_root</code> filled: four PAE page directories, one guest PD"
    if isinstance(e, TlbFlush):
        return "the guest flushes its TLB" + (f" for 0x{e.va:08X}" if e.va is not None else "")
    if isinstance(e, WriteProtect):
        return (f"{e.sptes} leaf sPTE(s) mapping {_gfn(e.gfn)} lose W: a guest table KVM shadows "
                f"(newly, or again as the guest's flush resyncs it) must trap stores")
    return esc(getattr(event, "describe", lambda: str(event))())


def fault_summary(trace) -> dict:
    """What one access did, read off its events (not recomputed from the address):

    keys ``root`` (pae_root index), ``shadow_pde_index``, ``guest_pde_index``,
    ``guest_pte_index``, ``pt_quadrant`` (of the level-1 page used, or None),
    ``shadow_pte_index`` (the 4 KiB leaf installed, or None), ``large`` (a 2 MiB
    leaf was installed), ``created``/``found`` (role descriptions), ``fault``
    (the injected #PF reason or None), ``hit`` (no shadow fault at all).
    """
    out = {"root": None, "shadow_pde_index": None, "guest_pde_index": None,
           "guest_pte_index": None, "pt_quadrant": None, "shadow_pte_index": None,
           "large": False, "created": [], "found": [], "fault": None, "hit": True}
    for e in trace:
        if isinstance(e, ShadowWalkStep):
            if e.level == 3 and out["root"] is None:
                out["root"] = e.index
            elif e.level == 2 and out["shadow_pde_index"] is None:
                out["shadow_pde_index"] = e.index
        elif isinstance(e, GuestWalkStep):
            out["hit"] = False
            out["guest_pde_index" if e.level == 2 else "guest_pte_index"] = e.index
        elif isinstance(e, GuestFaultInjected):
            out["hit"], out["fault"] = False, e.reason
        elif isinstance(e, (ShadowPageCreated, ShadowPageFound)):
            out["created" if isinstance(e, ShadowPageCreated) else "found"].append(e.role.describe())
            if e.role.level == 1:
                out["pt_quadrant"] = e.role.quadrant
        elif isinstance(e, SpteInstalled):
            if e.what == "leaf":
                out["shadow_pte_index"] = e.index
                if out["pt_quadrant"] is None:
                    out["pt_quadrant"] = e.role.quadrant
            elif e.what == "leaf 2M":
                out["large"] = True
    return out


def render_fault_summary(result) -> str:
    """One access (a scenarios.AccessResult) in a sentence of tagged numbers (notebook 06)."""
    s = fault_summary(result.trace)
    parts = [f"{'write' if result.write else 'read'} of {_span('va', result.va)}: "]
    if s["root"] is not None:
        parts.append(f"root <code>pae_root[{_span('pdpte_index', s['root'])}]</code> (PD quadrant "
                     f"{_span('pd_quadrant', s['root'])})")
    if s["shadow_pde_index"] is not None:
        parts.append(f", PAE PDE {_span('shadow_pde_index', s['shadow_pde_index'])}")
    if s["guest_pde_index"] is not None:
        parts.append(f", guest PDE {_span('guest_pde_index', s['guest_pde_index'])}")
    if s["guest_pte_index"] is not None:
        parts.append(f", guest PTE {_span('guest_pte_index', s['guest_pte_index'])}")
    if s["pt_quadrant"] is not None:
        parts.append(f", level-1 page quadrant {_span('pt_quadrant', s['pt_quadrant'])}")
    if s["shadow_pte_index"] is not None:
        parts.append(f", leaf sPTE {_span('shadow_pte_index', s['shadow_pte_index'])}")
    if s["large"]:
        parts.append(", a 2 MiB leaf sPTE")
    if s["fault"]:
        verdict = f"the guest's tables refuse it: #PF injected ({esc(s['fault'])})"
    elif s["hit"]:
        verdict = "no fault: the shadow tables already map it"
    else:
        made = ", ".join(s["created"]) or "none"
        reused = ", ".join(s["found"]) or "none"
        verdict = f"shadow pages created: {esc(made)}; found in the cache: {esc(reused)}"
    gpa = "" if result.gpa is None else f" &rarr; gpa 0x{result.gpa:X}"
    return (f'<div class="smmu-fault-summary" data-va="0x{result.va:08X}">{"".join(parts)}'
            f"{gpa}. {verdict}.</div>")


def render_trace(trace, *, current: int | None = None, caption: str | None = None) -> str:
    """Every event of one simulator call, numbered, each with why (notebooks 06-07).

    ``current`` (0-based) marks one row with a "&#9654;" and the class
    ``smmu-step-current``, for the step-by-step view; the mark is text, not
    only colour.
    """
    rows = []
    for n, e in enumerate(trace):
        here = n == current
        mark = "&#9654; " if here else ""
        style = ' style="background:#eef;font-weight:bold"' if here else ""
        cls = ' class="smmu-step smmu-step-current"' if here else ' class="smmu-step"'
        rows.append(f'<tr{cls} data-step="{n}"{style}><td style="border:1px solid #999;'
                    f'padding:2px 6px;text-align:right">{mark}{n + 1}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px">{event_chip(e)}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px">{esc(e.describe())}</td>'
                    f'<td style="border:1px solid #999;padding:2px 6px;text-align:left">'
                    f"{explain_event(e)}</td></tr>")
    if not rows:
        rows.append('<tr><td colspan="4">no events</td></tr>')
    th = "".join(f'<th style="border:1px solid #999;padding:2px 6px">{h}</th>'
                 for h in ("step", "kind", "event (describe())", "why"))
    cap = f'<caption style="text-align:left">{esc(caption)}</caption>' if caption else ""
    return (f'<table class="smmu-table smmu-trace" style="border-collapse:collapse;{_BOX}">'
            f"{cap}<thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_fault_step(result, step: int) -> str:
    """Step `step` (0-based) of one access: a card for that event, then the whole trace marked."""
    trace = result.trace
    if not trace:
        return _wrap(render_fault_summary(result) + render_note("No events."), "smmu-fault-step")
    step = max(0, min(int(step), len(trace) - 1))
    e = trace[step]
    card = (f'<div class="smmu-step-card" data-step="{step}" style="border:2px solid #000;'
            f'padding:4px;margin:4px 0"><b>Step {step + 1} of {len(trace)}</b> '
            f"{event_chip(e)} <code>{esc(e.describe())}</code><br>{explain_event(e)}</div>")
    return _wrap(render_fault_summary(result) + card + render_trace(trace, current=step),
                 "smmu-fault-step")


def render_fault_presets(results) -> str:
    """One row per access (scenarios.AccessResult), each on a fresh guest (notebook 06's static table)."""
    rows = []
    for r in results:
        s = fault_summary(r.trace)
        show = lambda v: "-" if v is None else str(v)  # noqa: E731
        outcome = (f"#PF: {s['fault']}" if s["fault"] else
                   f"gpa 0x{r.gpa:X}" if r.gpa is not None else "-")
        leaf = ("2 MiB leaf" if s["large"] else show(s["shadow_pte_index"]))
        rows.append((f"0x{r.va:08X}", outcome, show(s["root"]), show(s["shadow_pde_index"]),
                     show(s["guest_pde_index"]), show(s["guest_pte_index"]),
                     ", ".join(s["created"]) or "-", show(s["pt_quadrant"]), leaf))
    return render_table(("VA", "outcome", "pae_root", "PAE PDE", "guest PDE", "guest PTE",
                         "shadow pages created", "L1 quadrant", "leaf sPTE"), rows,
                        caption="Each address faulted on a fresh scenarios.small_guest(), "
                                "by ShadowMMU.access()")


def render_shadow_pages(mmu, gfn: int | None = None, caption: str | None = None) -> str:
    """The shadow-page cache (or the pages of one gfn): role, present sPTEs, unsync, parents."""
    rows = []
    for sp in mmu.shadow_pages():
        if gfn is not None and sp.gfn != gfn:
            continue
        present = sum(1 for s in sp.spt if s & 1)
        kind = ("root in use" if sp.root_count else "direct" if sp.role.direct else
                "PD, not loaded" if sp.role.level == 2 else "page table")
        rows.append((f"0x{sp.gfn:X}", sp.role.level, sp.role.quadrant,
                     "yes" if sp.role.direct else "no", kind, present,
                     "yes" if sp.unsync else "no"))
    return render_table(("gfn", "level", "quadrant", "direct", "kind", "sPTEs present",
                         "unsync"), rows, caption=caption or "ShadowMMU.shadow_pages()")


# --- notebook 07: guest writes ---------------------------------------------

def _gpa_text(v: int | None) -> str:
    return "not mapped" if v is None else f"0x{v:X}"


def write_outcome(r) -> dict:
    """What one scenarios.WriteResult did, counted off its write trace."""
    action = next((e.action for e in r.write_trace if isinstance(e, GuestWrite)), "-")
    return {
        "action": action,
        "zapped": [(e.role.describe(), e.index) for e in r.write_trace
                   if isinstance(e, SpteZapped)],
        "skipped": [e.role.describe() for e in r.write_trace if isinstance(e, QuadrantSkip)],
        "pages_zapped": [e.role.describe() for e in r.write_trace
                         if isinstance(e, ShadowPageZapped)],
        "unsynced": sum(isinstance(e, PageUnsync) for e in r.write_trace),
    }


def render_translate_timeline(r) -> str:
    """translate() for the written entry's VA: before, after the write, after the guest's invlpg."""
    rows = [("before the write", _gpa_text(r.translate_before), "the old frame"),
            ("after the write, before any flush", _gpa_text(r.translate_after_write),
             "STALE: the guest now says " + _gpa_text(r.guest_after_write)
             if r.translate_after_write is not None and r.translate_after_write != r.guest_after_write
             else "nothing stale left"),
            ("after the guest's invlpg", _gpa_text(r.translate_after_invlpg),
             "the next access faults the new entry in" if r.translate_after_invlpg is None
             else "mapped"),
            ("next access (a fault)", _gpa_text(r.access_after), "what the guest asked for")]
    return render_table(("moment", f"ShadowMMU.translate(0x{r.va:08X})", "meaning"), rows,
                        caption="What the shadow tables alone give, with no fault")


def render_write_result(r) -> str:
    """One guest store into a page table: what trapped, what was zapped or skipped, and the stale window."""
    o = write_outcome(r)
    table = "guest page table (of guest PDE 32)" if r.table == "pt" else "guest page directory"
    entry = r.offset // 4
    from .writes import detect_write_misaligned
    mis = detect_write_misaligned(r.offset & 0xFFF, r.size)
    head = (f'<div class="smmu-write" data-table="{r.table}" data-action="{esc(o["action"])}">'
            f"<b>{r.size}-byte store at byte 0x{r.offset:03X} of the {table}</b> (entry {entry}, "
            f"the one for VA 0x{r.va:08X}); page tables "
            f"{'may go unsync (KVM default)' if r.unsync else 'kept write-protected'}; "
            f"{'misaligned for 4-byte gPTEs: every shadow page of the frame is zapped' if mis else 'aligned'}."
            f"</div>")
    before = render_table(("shadow page", "sPTEs present", "unsync"),
                          [(a, b, "yes" if c else "no") for a, b, c in r.pages_before],
                          caption="shadow pages of the written frame, before")
    after = render_table(("shadow page", "sPTEs present", "unsync"),
                         [(a, b, "yes" if c else "no") for a, b, c in r.pages_after] or
                         [("(none left)", "-", "-")],
                         caption="... and after the write")
    pages = f'<div style="display:flex;gap:12px;align-items:flex-start">{before}{after}</div>'
    return _wrap(head + render_trace(r.write_trace, caption="ShadowMMU.guest_write(): events")
                 + pages + render_translate_timeline(r), "smmu-write-view")


def render_write_presets(results) -> str:
    """One row per scenarios.WriteResult: the static table of notebook 07."""
    rows = []
    for r in results:
        o = write_outcome(r)
        rows.append((r.table.upper(), f"0x{r.offset:03X}", r.size,
                     "unsync" if r.unsync else "kept protected", o["action"],
                     "; ".join(f"{p} sPTE {i}" for p, i in o["zapped"]) or "-",
                     ", ".join(o["skipped"]) or "-", ", ".join(o["pages_zapped"]) or "-",
                     _gpa_text(r.translate_after_write), _gpa_text(r.translate_after_invlpg)))
    return render_table(("table", "byte", "size", "PTs", "handled as", "sPTEs zapped",
                         "quadrant skips", "pages zapped", "translate() after write",
                         "after invlpg"), rows,
                        caption="scenarios.write_experiment() on a fresh scenarios.write_lab()")


# --- notebook 08: a whole guest ---------------------------------------------

def _kind_label(level: int, quadrant: int, direct: bool) -> str:
    if level == 2:
        return f"L2 page directory, PD quadrant {quadrant}"
    return f"L1 {'direct page' if direct else 'page table'}, quadrant {quadrant}"


def census_rows(stats_by_name: Mapping[str, object]) -> list[tuple]:
    """Shadow pages per (level, quadrant, direct), one column per MMUStats, plus a total row."""
    keys = sorted({k for s in stats_by_name.values() for k in s.shadow_pages},
                  key=lambda k: (-k[0], k[2], k[1]))
    rows = [(_kind_label(*k),) + tuple(s.shadow_pages.get(k, 0) for s in stats_by_name.values())
            for k in keys]
    rows.append(("total",) + tuple(s.total_shadow_pages for s in stats_by_name.values()))
    return rows


def render_census(stats_by_name: Mapping[str, object], caption: str | None = None) -> str:
    """Notebook 08/10: shadow pages per level and quadrant, side by side (e.g. host large pages on/off)."""
    return render_table(("shadow pages",) + tuple(stats_by_name), census_rows(stats_by_name),
                        caption=caption or "ShadowMMU.stats().shadow_pages")


def overhead_rows(stats_by_name: Mapping[str, object]) -> list[tuple]:
    """Shadow bytes vs guest page-table bytes (and the ratio), per MMUStats."""
    rows = []
    for name, s in stats_by_name.items():
        ratio = s.shadow_bytes / s.guest_table_bytes if s.guest_table_bytes else 0.0
        rows.append((name, f"{s.shadow_bytes:,}", f"{s.guest_table_bytes:,}", f"{ratio:.1f}x",
                     s.leaf_sptes, s.large_sptes, s.faults))
    return rows


def render_overhead(stats_by_name: Mapping[str, object]) -> str:
    """Notebook 08/10: memory of the shadow against memory of the guest's own tables."""
    return render_table(("run", "shadow page bytes", "guest page-table bytes", "ratio",
                         "leaf sPTEs", "of them 2 MiB", "shadow faults"),
                        overhead_rows(stats_by_name),
                        caption="MMUStats.shadow_bytes and .guest_table_bytes (4 KiB per page)")


#: Colour of each PD quadrant in the address-space map (and its label).
QUADRANT_COLOURS = (PALETTE["sky_blue"], PALETTE["bluish_green"], PALETTE["orange"],
                    PALETTE["reddish_purple"])


def address_map_rows(guest, cr3s, names=None) -> list[tuple[str, list[tuple[int, int]]]]:
    """(row label, [(va, size)...]) for the map: the shared kernel half once, then each process's user half."""
    kernel_base = guest.kernel_base if guest.kernel_base is not None else 1 << 32
    rows = [("kernel (shared)", [(va, size) for va, size, _, _ in guest.mappings(cr3s[0])
                                 if va >= kernel_base])]
    for n, cr3 in enumerate(cr3s):
        label = names[n] if names else f"process {n + 1}"
        rows.append((label, [(va, size) for va, size, _, _ in guest.mappings(cr3)
                             if va < kernel_base]))
    return rows


def _merge(ranges):
    out = []
    for va, size in sorted(ranges):
        if out and va <= out[-1][1]:
            out[-1][1] = max(out[-1][1], va + size)
        else:
            out.append([va, va + size])
    return out


def render_address_map(guest, cr3s, names=None, title: str = "") -> str:
    """A matplotlib map of the 4 GiB address space, coloured by PD quadrant; one SVG string.

    Drawn once per call with a fixed figsize, a fixed SVG hash salt and no
    date, so one matplotlib version gives the same bytes every run. Every
    quadrant band is labelled in text, not only by colour; mapped ranges are
    black, at least a hair wide so a single 4 KiB page shows.
    """
    import io

    import matplotlib
    from matplotlib.figure import Figure

    rows = address_map_rows(guest, cr3s, names)
    gib = float(1 << 30)
    with matplotlib.rc_context({"svg.hashsalt": "shadowmmu", "svg.fonttype": "path",
                                "font.size": 9}):
        fig = Figure(figsize=(9.0, 1.2 + 0.45 * len(rows)))
        ax = fig.add_subplot()
        for q in range(4):
            ax.axvspan(q, q + 1, color=QUADRANT_COLOURS[q], alpha=0.35, lw=0)
            ax.text(q + 0.5, len(rows) - 0.35, f"PD quadrant {q}\npae_root[{q}]",
                    ha="center", va="bottom", fontsize=8)
        for y, (label, ranges) in enumerate(reversed(rows)):
            for lo, hi in _merge(ranges):
                ax.broken_barh([(lo / gib, max((hi - lo) / gib, 0.004))], (y - 0.3, 0.6),
                               facecolors="black")
        ax.set_yticks(range(len(rows)), [label for label, _ in reversed(rows)])
        ax.set_xticks([0, 1, 2, 3, 4], ["0x00000000", "0x40000000", "0x80000000",
                                        "0xC0000000", "0xFFFFFFFF"])
        ax.set_xlim(0, 4)
        ax.set_ylim(-0.6, len(rows) + 0.5)
        ax.set_xlabel("guest virtual address (black: mapped)")
        if title:
            ax.set_title(title)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "shadowmmu"})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return f'<div class="smmu-address-map" role="img" aria-label="address map by PD quadrant">{svg}</div>'


def quadrant_usage_rows(guest, cr3s) -> list[tuple]:
    """Per PD quadrant: the VA range, how many 4 KiB and 4 MiB mappings each address space has there."""
    rows = []
    for q in range(4):
        lo, hi = q << 30, ((q + 1) << 30) - 1
        counts = []
        for cr3 in cr3s:
            small = large = 0
            for va, size, _, _ in guest.mappings(cr3):
                if lo <= va <= hi:
                    if size > 4096:
                        large += 1
                    else:
                        small += 1
            counts.append(f"{small} x 4K, {large} x 4M")
        rows.append((q, f"0x{lo:08X}-0x{hi:08X}", *counts))
    return rows


def render_quadrant_usage(guest, cr3s, names=None) -> str:
    """Notebook 08/10: what each address space maps in each quarter of the 4 GiB."""
    heads = tuple(names) if names else tuple(f"process {n + 1}" for n in range(len(cr3s)))
    return render_table(("PD quadrant", "VA range") + heads, quadrant_usage_rows(guest, cr3s),
                        caption="Guest.mappings(), by VA bits 31:30")


def render_bug_lab(verdicts: Mapping[str, object], example=None) -> str:
    """Notebook 08: every rule's ShadowMMU.check() verdict on the whole guest, then the smallest example."""
    rows = []
    for name, m in verdicts.items():
        rule = QUADRANT_RULES[name]
        tag = "" if rule.correct else " (the misconception)"
        verdict = ("agrees with the guest everywhere" if m is None else
                   f'<span class="smmu-mismatch" data-rule="{esc(name)}">WRONG: '
                   f"{esc(m.describe())}</span>")
        rows.append((f'<span data-rule="{esc(name)}">{esc(name)}{tag}</span>',
                     esc(rule.formula), verdict))
    out = render_table(("rule", "quadrant of a child", "ShadowMMU.check()"), rows, raw=True,
                       caption="The Linux-like guest run under each quadrant rule")
    if example is not None:
        out += (f'<div class="smmu-misconception-example"><b>Smallest example</b> '
                f"(<code>find_misconception_example(\"halves\")</code>): one guest PT maps VA "
                f"0x00000000 (gPTE 0) to gpa 0x1000 and VA 0x00200000 (gPTE 512) to gpa 0x2000. "
                f"Behind PAE PDEs 0 and 1 the halves rule gives both the same quadrant, so they "
                f"share one shadow page and sPTE 0 of it; the second fault overwrites the first. "
                f"check() says: <code>{esc(example.describe())}</code></div>")
    return _wrap(out, "smmu-bug-lab")

__all__ = [
    "PALETTE", "FIELD_COLOURS", "FIELD_LABELS", "READOUT_FIELDS", "PRESETS", "BIT_GROUPS",
    "esc", "text_colour", "format_value", "value_span", "field_chip", "render_legend",
    "render_error", "render_note", "render_table", "render_debug",
    "render_address_anatomy", "render_readout", "preset_rows", "render_preset_table",
    "svg_legend", "pd_split_layout", "render_pd_split", "render_pd_presets", "render_pt_presets", "pd_quarter_rows", "render_pd_quarters",
    "interleave_window", "halves_verdict", "render_refutation", "render_pt_split",
    "rule_rows", "render_rule_table", "rule_quadrants", "render_rule_view",
    "render_rule_check", "render_rule_checks",
    "EXERCISE_KINDS", "EXERCISE_FIELDS", "Exercise", "make_exercise", "parse_answer",
    "check_answers", "render_exercise", "render_feedback", "render_solution", "exercise_rows",
    "parse_address",
    # simulator notebooks 06-08, 10
    "EVENT_STYLE", "event_chip", "explain_event", "fault_summary", "render_fault_summary",
    "render_trace", "render_fault_step", "render_fault_presets", "render_shadow_pages",
    "write_outcome", "render_translate_timeline", "render_write_result", "render_write_presets",
    "census_rows", "render_census", "overhead_rows", "render_overhead", "QUADRANT_COLOURS",
    "address_map_rows", "render_address_map", "quadrant_usage_rows", "render_quadrant_usage",
    "render_bug_lab",
]


# --------------------------------------------------------------------------
# Notebook 10: a real Linux guest
# --------------------------------------------------------------------------
#
# These draw the records of shadowmmu.scenarios' notebook-10 section
# (RealPde, PageTableHalves, RealSwitch, OracleTally) for page tables captured
# from a real guest under QEMU. The whole-guest views of notebook 08
# (render_census, render_overhead, render_address_map, render_quadrant_usage)
# take a real guest as they are; nothing here recounts what they show.

#: Colours of the two kinds of present PDE in the page-directory picture (each also labelled).
PDE_KIND_COLOURS = {"page table": PALETTE["blue"], "4 MiB page": PALETTE["orange"]}


def real_pd_rows(pdes) -> list[tuple]:
    """Per PD quadrant: VA range, guest PDEs, present PDEs, 4 MiB pages, page tables, PAE PDEs used."""
    rows = []
    for q in range(4):
        mine = [p for p in pdes if p.pd_quadrant == q]
        large = sum(p.large for p in mine)
        lo = q << 30
        rows.append((f"pae_root[{q}]", q, f"0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}",
                     f"{256 * q}-{256 * q + 255}", len(mine), large, len(mine) - large,
                     2 * len(mine)))
    large = sum(p.large for p in pdes)
    rows.append(("total", "", "", "0-1023", len(pdes), large, len(pdes) - large, 2 * len(pdes)))
    return rows


def render_real_pd_counts(pdes) -> str:
    """Notebook 10: the present PDEs of a real page directory, counted per PD quadrant."""
    return render_table(("root", "PD quadrant", "VA range", "guest PDEs", "present PDEs",
                         "4 MiB pages", "page tables", "PAE PDEs they fill"),
                        real_pd_rows(pdes),
                        caption="scenarios.page_directory_entries(), by VA bits 31:30")


def render_real_pd(pdes, title: str = "guest page directory") -> str:
    """Notebook 10: a real guest PD as notebook 03 draws one, its present PDEs marked by kind.

    Top: the 1024 guest PDEs in four quarters. Below: the four PAE page
    directories of ``pae_root``, 512 PAE PDEs each; every present guest PDE
    fills its two PAE PDEs (2 x (index mod 256) and the next). A present PDE
    is drawn at least 2 px wide so a lone one shows. Each rect carries
    ``data-index``/``data-kind``; each row says its counts in words.
    """
    x0, w = 20.0, 720.0
    ux, sx = w / 1024, w / 512
    verm, orange = FIELD_COLOURS["pd_quadrant"], FIELD_COLOURS["guest_pde_index"]
    parts = [_text(x0, 14, f"{title}: 1024 guest PDEs, {len(pdes)} present")]
    for q in range(4):
        gx = x0 + 256 * q * ux
        parts.append(f'<rect data-quarter="{q}" x="{gx:.1f}" y="20" width="{256 * ux - 1:.1f}" '
                     f'height="22" fill="{orange}" fill-opacity="0.18"/>')
        parts.append(_text(gx + 128 * ux, 56, f"guest PDEs {256 * q}-{256 * q + 255}", "middle",
                           'font-size="10"'))
    for p in pdes:
        colour = PDE_KIND_COLOURS[p.kind]
        parts.append(f'<rect class="smmu-real-pde" data-index="{p.index}" data-kind="{esc(p.kind)}" '
                     f'x="{x0 + p.index * ux:.1f}" y="20" width="{max(ux, 2.0):.1f}" height="22" '
                     f'fill="{colour}"/>')
    y = 80
    for q in range(4):
        mine = [p for p in pdes if p.pd_quadrant == q]
        large = sum(p.large for p in mine)
        parts.append(_text(x0, y, f"pae_root[{q}]: PAE page directory, role.quadrant {q} "
                                  f"(VA 0x{q << 30:08X}-0x{(q << 30) + (1 << 30) - 1:08X}): "
                                  f"{len(mine)} present guest PDEs, {large} x 4 MiB, "
                                  f"{len(mine) - large} page tables"))
        parts.append(f'<rect data-pd-quadrant="{q}" x="{x0:.1f}" y="{y + 5}" width="{w:.1f}" '
                     f'height="18" fill="{verm}" fill-opacity="0.12"/>')
        for p in mine:
            first = decompose(p.va).shadow_pde_index  # the even one of its pair: VA bit 21 is 0
            parts.append(f'<rect class="smmu-real-pae-pde" data-pd-quadrant="{q}" '
                         f'data-index="{first}" data-kind="{esc(p.kind)}" '
                         f'x="{x0 + first * sx:.1f}" y="{y + 5}" width="{max(2 * sx, 2.0):.1f}" '
                         f'height="18" fill="{PDE_KIND_COLOURS[p.kind]}"/>')
        y += 46
    cx = x0
    for kind, colour in PDE_KIND_COLOURS.items():
        parts.append(f'<rect x="{cx:.1f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(cx + 14, y, f"{kind} (present PDE)"))
        cx += 190
    parts.append(_text(cx, y, "each guest PDE fills two PAE PDEs of its quarter's PD"))
    large = sum(p.large for p in pdes)
    return _svg(760, y + 12, "".join(parts), "smmu-real-pd",
                f"{title}: {len(pdes)} present PDEs, {large} 4 MiB pages, "
                f"{len(pdes) - large} page tables")


def user_area_rows(guest, cr3s, names=None) -> list[tuple]:
    """Below the kernel half, per address space and guest PDE: first and last mapped VA, 4 KiB pages.

    Read from ``guest.mappings()``; the PD quadrant and the PT quadrants come
    from ``decompose()`` of the mapped addresses.
    """
    kernel_base = guest.kernel_base if guest.kernel_base is not None else 1 << 32
    rows = []
    for n, cr3 in enumerate(cr3s):
        label = names[n] if names else f"process {n + 1}"
        by_pde: dict[int, list[int]] = {}
        for va, size, _, _ in guest.mappings(cr3):
            if va < kernel_base:
                by_pde.setdefault(decompose(va).guest_pde_index, []).append(va)
        for pde, vas in sorted(by_pde.items()):
            d = decompose(vas[0])
            halves = sorted({decompose(va).pt_quadrant for va in vas})
            rows.append((label, pde, d.pd_quadrant, f"0x{vas[0]:08X}", f"0x{vas[-1]:08X}",
                         len(vas), ", ".join(map(str, halves))))
    return rows


def render_user_areas(guest, cr3s, names=None) -> str:
    """Notebook 10: where each process's own mappings are, one row per guest PDE."""
    return render_table(("address space", "guest PDE", "PD quadrant", "first mapped VA",
                         "last mapped VA", "4 KiB pages", "PT quadrants (VA bit 21)"),
                        user_area_rows(guest, cr3s, names),
                        caption="Guest.mappings() below 0xC0000000, grouped by guest PDE")


def pt_half_rows(halves) -> list[tuple]:
    """One row per guest page table (scenarios.PageTableHalves)."""
    return [(h.guest_pde_index, f"0x{h.gfn:X}", h.pd_quadrant,
             f"{h.shadow_pdes[0]}, {h.shadow_pdes[1]}", h.lower, h.upper, h.kind)
            for h in halves]


def render_pt_halves(halves, caption: str | None = None) -> str:
    """Notebook 10: every guest page table, its present gPTEs in the lower and upper half."""
    return render_table(("guest PDE", "PT frame", "PD quadrant", "PAE PDEs (even, odd)",
                         "present gPTEs 0-511", "present gPTEs 512-1023", "in use"),
                        pt_half_rows(halves),
                        caption=caption or "scenarios.page_table_halves()")


def half_summary_rows(halves, stats=None) -> list[tuple]:
    """How many page tables use which halves; and the level-1 pages that implies, against stats."""
    kinds = halves[0].KINDS if halves else ()
    rows = [(kind, sum(h.kind == kind for h in halves)) for kind in kinds]
    q0 = sum(bool(h.lower) for h in halves)
    q1 = sum(bool(h.upper) for h in halves)
    extra = ((stats.shadow_pages.get((1, 0, False), 0),),
             (stats.shadow_pages.get((1, 1, False), 0),)) if stats is not None else ((), ())
    rows = [r + (("",) if stats is not None else ()) for r in rows]
    rows.append(("halves in use: lower (-> level-1 pages, quadrant 0)", q0) + extra[0])
    rows.append(("halves in use: upper (-> level-1 pages, quadrant 1)", q1) + extra[1])
    return rows


def render_half_summary(halves, stats=None) -> str:
    """Notebook 10: page tables by halves in use, and (with stats) the level-1 pages the MMU made."""
    heads = ("guest page tables", "count") + (("ShadowMMU.stats()",) if stats is not None else ())
    return render_table(heads, half_summary_rows(halves, stats),
                        caption="A half with a present gPTE becomes one PAE page table once touched")


def real_switch_rows(sw) -> list[tuple]:
    """One row per kind of shadow page the second process reached: found in the cache vs created."""
    rows = []
    for r in sw.rows:
        half = "kernel, 0xC0000000 up" if r.pd_quadrant == 3 else "user space"
        rows.append((_kind_label(r.level, r.quadrant, r.direct), f"pae_root[{r.pd_quadrant}] ({half})",
                     r.found, r.created))
    rows.append(("total", "", sw.found, sw.created))
    return rows


def render_real_switch(sw) -> str:
    """Notebook 10: after a CR3 switch between two real processes, which shadow pages were reused."""
    first, second = sw.names
    table = render_table(("shadow page", "reached from", "found in the cache", "created"),
                         real_switch_rows(sw),
                         caption=f"{second} after {first}: pages reachable from {second}'s roots "
                                 f"(host large pages {'on' if sw.host_large_pages else 'off'})")
    note = render_note(
        f"Before the switch the cache held {sw.before.total_shadow_pages} shadow pages; after "
        f"{second} ran, {sw.after.total_shadow_pages}. The two page directories share "
        f"{len(sw.shared_tables)} page tables (frames "
        f"{', '.join(f'0x{g:X}' for g in sw.shared_tables)}).")
    return _wrap(table + note, "smmu-real-switch")


def _gpa_or(value) -> str:
    if value is None:
        return "unmapped"
    return value if isinstance(value, str) else f"0x{value:X}"


def oracle_sample_rows(tally) -> list[tuple]:
    """The kept rows of a scenarios.OracleTally: VA, QEMU, walk (with its level), shadow, agree."""
    rows = []
    for a in tally.sample:
        walk = _gpa_or(a.walk) + ("" if a.walk_level is None else
                                  " (4 KiB page)" if a.walk_level == 1 else " (4 MiB page)")
        rows.append((f"0x{a.va:08X}", _gpa_or(a.qemu), walk, _gpa_or(a.shadow),
                     "yes" if a.agrees else "NO"))
    return rows


def render_oracle_sample(tally) -> str:
    """Notebook 10: a few of QEMU's gva2gpa answers next to Guest.walk() and ShadowMMU.access()."""
    return render_table(("VA", "QEMU gva2gpa", "Guest.walk()", "ShadowMMU.access()", "agree"),
                        oracle_sample_rows(tally),
                        caption=f"Snapshot {tally.name}: a few of QEMU's answers")


def oracle_tally_rows(tallies) -> list[tuple]:
    """One row per scenarios.OracleTally: how many of QEMU's answers each translation matched."""
    return [(t.name, "on" if t.host_large_pages else "off", t.answers, t.mapped, t.unmapped,
             t.walk_agrees, t.shadow_agrees,
             "agrees" if t.check is None else t.check.describe())
            for t in tallies]


def render_oracle_tally(tallies) -> str:
    """Notebook 10: every gva2gpa answer of every snapshot, agreeing or not, counted live."""
    return render_table(("snapshot", "host large pages", "QEMU answers", "mapped", "unmapped",
                         "Guest.walk() agrees", "ShadowMMU.access() agrees",
                         "ShadowMMU.check()"),
                        oracle_tally_rows(tallies),
                        caption="scenarios.qemu_oracle(): each answer compared, none skipped")


def render_real_probe(name: str, va: int, qemu, walk, result) -> str:
    """Notebook 10's explorer: one address of a real snapshot, by QEMU, the guest walk and the shadow.

    ``qemu`` is a gpa, None (QEMU said Unmapped) or "not asked"; ``walk`` a
    GuestWalk or the #PF text; ``result`` a scenarios.AccessResult.
    """
    d = decompose(va)
    if isinstance(walk, str):
        walk_text = f"#PF: {esc(walk)}"
        walk_gpa = None
    else:
        walk_gpa = walk.gpa
        steps = f"PDE 0x{walk.pde:08X}" + ("" if walk.pte is None else f", PTE 0x{walk.pte:08X}")
        walk_text = (f"gpa 0x{walk.gpa:X} through a {'4 KiB' if walk.level == 1 else '4 MiB'} "
                     f"page ({steps})")
    if qemu == "not asked":
        qemu_text, verdict = "not asked during the capture", ""
    else:
        qemu_text = _gpa_or(qemu)
        same = qemu == walk_gpa == result.gpa
        verdict = (f' <b class="smmu-oracle" data-agree="{"yes" if same else "no"}">'
                   f'{"all three agree" if same else "DISAGREE"}</b>')
    rows = [("QEMU gva2gpa", esc(qemu_text) + verdict),
            ("Guest.walk()", f"guest PDE {_span('guest_pde_index', d.guest_pde_index)}, "
                             f"guest PTE {_span('guest_pte_index', d.guest_pte_index)}: {walk_text}"),
            ("ShadowMMU.access()", render_fault_summary(result))]
    table = render_table(("who", f"snapshot {name}, VA 0x{va:08X}"), rows, raw=True)
    return _wrap(table, "smmu-real-probe")


__all__ += [
    "PDE_KIND_COLOURS", "real_pd_rows", "render_real_pd_counts", "render_real_pd",
    "user_area_rows", "render_user_areas", "pt_half_rows", "render_pt_halves",
    "half_summary_rows", "render_half_summary", "real_switch_rows", "render_real_switch",
    "oracle_sample_rows", "render_oracle_sample", "oracle_tally_rows", "render_oracle_tally",
    "render_real_probe",
]
