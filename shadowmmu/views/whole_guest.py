"""Notebook 08's tables: a whole guest's shadow pages, overhead, quadrant usage and bug lab.

The address map is a picture, drawn in the page (``frontend/guest.js`` for
notebook 08, ``frontend/address_map.js`` for notebook 10), not here.

Knows: ``MMUStats`` records, mapping rows. Does not know: Guest or ShadowMMU
objects, ipywidgets.
"""

from __future__ import annotations

from typing import Mapping

from ..consts import PAGE_SIZE
from ..rules import QUADRANT_RULES
from .common import esc, kind_label, render_table, wrap_box


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
