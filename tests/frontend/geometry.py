"""Geometry of a drawn SVG, read from its attributes alone (the pictures use no transforms):
text boxes (monospace: 0.6 em a character), rectangles, and arrows (lines and paths that
end in an arrow head), and the checks of the design note (shadowmmu/frontend/DESIGN.md): text
inside the picture and inside the box it starts in, no arrow through a box it does not connect,
no arrow through a label.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

NS = "{http://www.w3.org/2000/svg}"
CHAR_EM = 0.6


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    what: str

    def contains(self, x: float, y: float, slack: float = 3) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack and self.y0 - slack <= y <= self.y1 + slack

    def hit_by(self, a, b, inset: float = 1.5) -> bool:
        """Does segment a-b pass through this box's interior (shrunk by inset)?"""
        x0, y0, x1, y1 = self.x0 + inset, self.y0 + inset, self.x1 - inset, self.y1 - inset
        if x0 >= x1 or y0 >= y1:
            return False
        (ax, ay), (bx, by) = a, b
        t0, t1 = 0.0, 1.0  # Liang-Barsky clipping
        for p, q in ((-(bx - ax), ax - x0), (bx - ax, x1 - ax), (-(by - ay), ay - y0), (by - ay, y1 - ay)):
            if p == 0:
                if q < 0:
                    return False
            else:
                t = q / p
                if p < 0:
                    t0 = max(t0, t)
                else:
                    t1 = min(t1, t)
                if t0 > t1:
                    return False
        return True


def text_boxes(root) -> list[Box]:
    out = []
    for e in root.iter(f"{NS}text"):
        s = "".join(e.itertext())
        size = float(e.get("font-size", 12))
        w = len(s) * size * CHAR_EM
        x, y = float(e.get("x")), float(e.get("y"))
        anchor = e.get("text-anchor", "start")
        x0 = x - w / 2 if anchor == "middle" else x - w if anchor == "end" else x
        out.append(Box(x0, y - size * 0.8, x0 + w, y + size * 0.2, f"text {s!r}"))
    return out


def rects(root) -> list[Box]:
    out = []
    for e in root.iter(f"{NS}rect"):
        if e.get("x") is None:
            continue  # a pattern's tile
        x, y, w, h = (float(e.get(k)) for k in ("x", "y", "width", "height"))
        out.append(Box(x, y, x + w, y + h, f"rect at {x:g},{y:g}"))
    return out


def arrows(root) -> list[list[tuple[float, float]]]:
    out = []
    for e in root.iter():
        if not e.get("marker-end"):
            continue
        if e.tag == f"{NS}line":
            out.append([(float(e.get("x1")), float(e.get("y1"))), (float(e.get("x2")), float(e.get("y2")))])
        elif e.tag == f"{NS}path":
            pts = [(float(a), float(b)) for a, b in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", e.get("d"))]
            out.append(pts)
    return out


def problems(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    W, H = float(root.get("width")), float(root.get("height"))
    bad = []
    texts, boxes = text_boxes(root), rects(root)
    for t in texts:
        if t.x0 < -0.5 or t.x1 > W + 0.5 or t.y0 < -0.5 or t.y1 > H + 0.5:
            bad.append(f"{t.what} leaves the picture ({t.x0:.0f}..{t.x1:.0f} of {W:g})")
    for t in texts:
        # a text that starts inside a box ends inside it (the smallest box holding its anchor)
        mid = (t.x0 + 1, (t.y0 + t.y1) / 2)
        holders = [b for b in boxes if b.contains(*mid, 0) and (b.x1 - b.x0) < W - 1]
        if holders:
            b = min(holders, key=lambda b: (b.x1 - b.x0) * (b.y1 - b.y0))
            if t.x1 > b.x1 + 1 or t.x0 < b.x0 - 1:
                bad.append(f"{t.what} leaves its box ({t.x0:.0f}..{t.x1:.0f} in {b.x0:.0f}..{b.x1:.0f})")
    for pts in arrows(root):
        start, end = pts[0], pts[-1]
        ends = [b for b in boxes if b.contains(*start) or b.contains(*end)]
        for a, b in zip(pts, pts[1:]):
            for box in boxes:
                if box not in ends and box.hit_by(a, b):
                    bad.append(f"arrow {start}->{end} crosses {box.what}")
            for t in texts:
                # a label inside a box the arrow connects belongs to that box
                if t.hit_by(a, b, inset=1) and not any(e.contains((t.x0 + t.x1) / 2, (t.y0 + t.y1) / 2, 0) for e in ends):
                    bad.append(f"arrow {start}->{end} crosses {t.what}")
    return bad
