"""Notebook 08's views: a whole guest's shadow pages, overhead, address map and bug lab.

Knows: ``MMUStats`` records, mapping rows, matplotlib (for the address map,
drawn to an SVG string). Does not know: Guest or ShadowMMU objects,
ipywidgets.
"""

from __future__ import annotations

import io
from typing import Mapping

import matplotlib
from matplotlib.figure import Figure

from ..consts import PAGE_SIZE
from ..rules import QUADRANT_RULES
from .common import PALETTE, esc, kind_label, render_table, wrap_box


def census_rows(stats_by_name: Mapping[str, object]) -> list[tuple]:
    """Shadow pages per (level, quadrant, direct), one column per MMUStats, plus a total row."""
    keys = sorted({k for s in stats_by_name.values() for k in s.shadow_pages},
                  key=lambda k: (-k[0], k[2], k[1]))
    rows = [(kind_label(*k),) + tuple(s.shadow_pages.get(k, 0) for s in stats_by_name.values())
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


def address_map_rows(spaces) -> list[tuple[str, list[tuple[int, int]]]]:
    """(row label, [(va, size)...]) for the map: the shared kernel half once, then each process's user half.

    ``spaces``: sim.records.address_spaces(); the kernel half is read from the first.
    """
    kernel_base = spaces[0].kernel_base if spaces[0].kernel_base is not None else 1 << 32
    rows = [("kernel (shared)", [(va, size) for va, size, _, _ in spaces[0].mappings
                                 if va >= kernel_base])]
    for space in spaces:
        rows.append((space.name, [(va, size) for va, size, _, _ in space.mappings if va < kernel_base]))
    return rows


def _merge(ranges):
    out = []
    for va, size in sorted(ranges):
        if out and va <= out[-1][1]:
            out[-1][1] = max(out[-1][1], va + size)
        else:
            out.append([va, va + size])
    return out


def render_address_map(spaces, title: str = "") -> str:
    """A matplotlib map of the 4 GiB address space, coloured by PD quadrant; one SVG string.

    Drawn once per call with a fixed figsize, a fixed SVG hash salt and no
    date, so one matplotlib version gives the same bytes every run. Every
    quadrant band is labelled in text, not only by colour; mapped ranges are
    black, at least a hair wide so a single 4 KiB page shows.
    """
    rows = address_map_rows(spaces)
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


def quadrant_usage_rows(spaces) -> list[tuple]:
    """Per PD quadrant: the VA range, how many 4 KiB and 4 MiB mappings each address space has there."""
    rows = []
    for q in range(4):
        lo, hi = q << 30, ((q + 1) << 30) - 1
        counts = []
        for space in spaces:
            small = large = 0
            for va, size, _, _ in space.mappings:
                if lo <= va <= hi:
                    if size > PAGE_SIZE:
                        large += 1
                    else:
                        small += 1
            counts.append(f"{small} x 4K, {large} x 4M")
        rows.append((q, f"0x{lo:08X}-0x{hi:08X}", *counts))
    return rows


def render_quadrant_usage(spaces) -> str:
    """Notebook 08/10: what each address space (sim.records.address_spaces()) maps in each quarter."""
    return render_table(("PD quadrant", "VA range") + tuple(s.name for s in spaces),
                        quadrant_usage_rows(spaces), caption="Guest.mappings(), by VA bits 31:30")


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
    return wrap_box(out, "smmu-bug-lab")
