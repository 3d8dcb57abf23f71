"""Notebooks 03 and 04's views: one guest PD becomes four PAE PDs, one guest PT two PAE PTs.

Indices come from ``address.decompose()``, roles from ``role``, zapped sPTEs
from ``writes``; the pictures only place them.

Knows: the model (address, role, rules, writes). Does not know: the simulator
or ipywidgets.
"""

from __future__ import annotations

from typing import Iterable

from ..address import Decomposition, decompose
from ..role import pae_root_roles
from ..rules import QUADRANT_RULES
from ..writes import shadowed_part
from .common import (
    _BOX,
    FIELD_COLOURS,
    PRESETS,
    render_table,
    svg_box,
    svg_legend,
    svg_text,
    text_colour,
)


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
    parts = [svg_text(x0, 14, "guest page directory: 1024 guest PDEs (4 bytes each), one 4 KiB page")]
    pd_w, gap = 172.5, 10.0
    for i in range(4):
        gx = x0 + 256 * i * ux
        px = x0 + i * (pd_w + gap)
        opacity = "1" if i == q else "0.55"
        parts.append(
            f'<rect class="smmu-f-guest_pde_index" data-quarter="{i}" x="{gx:.1f}" y="20" '
            f'width="{256 * ux - 1:.1f}" height="26" fill="{orange}" fill-opacity="{opacity}"/>')
        parts.append(svg_text(gx + 128 * ux, 37, f"guest PDEs {256 * i}-{256 * i + 255}", "middle"))
        parts.append(
            f'<polygon points="{gx:.1f},46 {gx + 256 * ux - 1:.1f},46 {px + pd_w:.1f},96 '
            f'{px:.1f},96" fill="{verm}" fill-opacity="{0.35 if i == q else 0.12}"/>')
        parts.append(
            f'<rect class="smmu-f-shadow_pde_index" data-pd-quadrant="{i}" x="{px:.1f}" y="96" '
            f'width="{pd_w:.1f}" height="26" fill="{blue}" fill-opacity="{opacity}"/>')
        parts.append(svg_text(px + pd_w / 2, 113, "PAE PDEs 0-511", "middle",
                           'fill="#fff"'))
        lo = i << 30
        parts.append(svg_text(px + pd_w / 2, 136, f"pae_root[{i}]: PD quadrant {i}", "middle"))
        parts.append(svg_text(px + pd_w / 2, 150, f"VA 0x{lo:08X}-0x{lo + (1 << 30) - 1:08X}",
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
    parts.append(svg_text(x0, 172, f"guest PDE {k} -> PAE PDEs {lay['pae_pdes'][0]}, "
                                f"{lay['pae_pdes'][1]} of PD quadrant {q}",
                       extra='font-weight="bold"'))
    # zoom: neighbours of k, one guest PDE over two PAE PDEs
    y = 195
    parts.append(svg_text(x0, y, "zoom: each guest PDE (4 MiB) is two PAE PDEs (2 MiB each)"))
    lo_k = min(max(k - 2, 0), 1019)
    cell = 140.0
    for n, kk in enumerate(range(lo_k, lo_k + 5)):
        cx = x0 + n * (cell + 4)
        chosen = kk == k
        stroke = 'stroke="#000" stroke-width="3"' if chosen else 'stroke="#fff"'
        parts.append(
            f'<rect data-zoom-guest-pde="{kk}" x="{cx:.1f}" y="{y + 8}" width="{cell:.1f}" '
            f'height="24" fill="{orange}" {stroke}/>')
        parts.append(svg_text(cx + cell / 2, y + 24, f"guest PDE {kk}", "middle"))
        qq, first = kk // 256, 2 * (kk % 256)
        for h in range(2):
            hx = cx + h * cell / 2
            parts.append(
                f'<rect data-zoom-pae-pde="{first + h}" data-pd-quadrant="{qq}" x="{hx:.1f}" '
                f'y="{y + 44}" width="{cell / 2 - 2:.1f}" height="24" fill="{blue}" {stroke}/>')
            parts.append(svg_text(hx + cell / 4 - 1, y + 60, f"PD{qq} #{first + h}", "middle",
                               'fill="#fff"'))
            parts.append(f'<line x1="{cx + cell / 2:.1f}" y1="{y + 32}" '
                         f'x2="{hx + cell / 4 - 1:.1f}" y2="{y + 44}" stroke="#000"/>')
    parts.append(svg_legend(("guest_pde_index", "shadow_pde_index", "pd_quadrant"), x0, y + 92))
    return svg_box(760, 295, "".join(parts), "smmu-pd-split",
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
    P = [svg_text(x0, 14, f"the guest page table behind guest PDE {d.guest_pde_index}: 1024 guest "
                       f"PTEs (4 bytes each)")]
    for h in range(2):
        gx = x0 + 512 * h * ux
        P.append(f'<rect class="smmu-f-guest_pte_index" data-guest-half="{h}" x="{gx:.1f}" '
                 f'y="20" width="{512 * ux - 1:.1f}" height="24" fill="{gte}" '
                 f'fill-opacity="{1 if h == q else 0.5}"/>')
        P.append(svg_text(gx + 256 * ux, 36, f"guest PTEs {512 * h}-{512 * h + 511} "
                                          f"(bytes 0x{2048 * h:03X}-0x{2048 * h + 2047:03X})",
                       "middle"))
        tx = x0 + h * (w / 2 + 10)
        tw = w / 2 - 10
        P.append(f'<polygon points="{gx:.1f},44 {gx + 512 * ux - 1:.1f},44 {tx + tw:.1f},70 '
                 f'{tx:.1f},70" fill="{pq}" fill-opacity="{0.4 if h == q else 0.12}"/>')
        P.append(f'<rect class="smmu-f-shadow_pte_index" data-pt-quadrant="{h}" x="{tx:.1f}" '
                 f'y="70" width="{tw:.1f}" height="24" fill="{ste}" '
                 f'fill-opacity="{1 if h == q else 0.5}"/>')
        P.append(svg_text(tx + tw / 2, 86, f"PAE PT, PT quadrant {h}: PAE PTEs 0-511", "middle",
                       'fill="#fff"'))
    P.append(f'<rect data-highlight="guest-pte" data-index="{j}" x="{x0 + j * ux - 1:.1f}" '
             f'y="17" width="2.5" height="30" fill="#000"/>')
    tx = x0 + q * (w / 2 + 10)
    sx = (w / 2 - 10) / 512
    P.append(f'<rect data-highlight="pae-pte" data-pt-quadrant="{q}" data-index="{s}" '
             f'x="{tx + s * sx - 1:.1f}" y="67" width="2.5" height="30" fill="#000"/>')
    P.append(svg_text(x0, 110, f"guest PTE {j} = 512 x {q} + {s}: PAE PTE {s} of the PT with "
                            f"quadrant {q}", extra='font-weight="bold"'))
    # window of the parent PAE PD
    y = 135
    P.append(svg_text(x0, y, f"the parent: PAE PDEs of PD quadrant {d.pd_quadrant}, around PAE "
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
        P.append(svg_text(cx + cw / 2, y + 23, f"PDE {i}: q{qq}", "middle",
                       f'fill="{text_colour(fill)}"'))
        if i % 2 == 0:
            P.append(svg_text(cx + cw, y + 46, f"guest PDE {k}", "middle", 'font-size="10"'))
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
        P.append(svg_text(bx, y, title, extra='font-weight="bold"'))
        sx = bw / ex
        if panel == 0:
            P.append(f'<g data-reading="halves"><rect x="{bx:.1f}" y="{y + 6}" width="{bw / 2:.1f}" '
                     f'height="22" fill="{blue}" stroke="#000" stroke-dasharray="4 3"/>'
                     f'<rect x="{bx + bw / 2:.1f}" y="{y + 6}" width="{bw / 2:.1f}" height="22" '
                     f'fill="{pq}" stroke="#000" stroke-dasharray="4 3"/></g>')
            P.append(svg_text(bx + bw / 4, y + 21, "PDEs 0-255: q0", "middle", 'fill="#fff"'))
            P.append(svg_text(bx + 3 * bw / 4, y + 21, "PDEs 256-511: q1", "middle"))
            said = v["halves"]
        else:
            P.append(f'<g data-reading="interleave"><rect x="{bx:.1f}" y="{y + 6}" '
                     f'width="{bw:.1f}" height="22" fill="url(#smmu-evenodd)" stroke="#000"/></g>')
            said = v["mainline"]
        mx = bx + d.shadow_pde_index * sx
        P.append(f'<path data-marker="{"halves" if panel == 0 else "interleave"}" '
                 f'd="M{mx:.1f},{y + 31} l-5,9 h10 z" fill="#000"/>')
        P.append(svg_text(bx, y + 54, f"PAE PDE {d.shadow_pde_index} -> says PT quadrant {said}"))
    P.append(svg_text(x0, y + 72,
                   f"bit 21 of 0x{d.va:08X} is {d.pt_quadrant}: the halves reading is "
                   f"{'right here by luck' if v['halves'] == v['mainline'] else 'WRONG here'}",
                   extra='font-size="11"'))
    P.append(svg_legend(("guest_pte_index", "shadow_pte_index", "pt_quadrant",
                         "shadow_pde_index"), x0, y + 92))
    return svg_box(760, 305, "".join(P), "smmu-pt-split",
                f"guest PTE {j} is PAE PTE {s} of the page table with PT quadrant {q}")
