"""The committed notebooks read where HTML is sanitised (GitHub, nbviewer-like renderers).

A sanitiser drops ``<script>``, ``<style>`` and every ``style`` attribute, and keeps text,
tables, ``title`` and ``image/svg+xml`` (shown as an image). So, in every committed output:

* a cell that builds an explorer carries its picture as ``image/svg+xml`` (a widget view
  alone would be a line of text there);
* no HTML output hides anything with ``style`` (``display: none``, ``visibility: hidden``):
  a sanitiser would show it (an answer, a second state) as if it were meant to be read;
* no element says something *only* by its style: a coloured box (``background`` or
  ``color``) has text or a ``title`` of its own;
* every HTML output still says something once the styles are gone.

A hand-made output shows each rule failing first.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
BUILDERS = re.compile(r"^(?!\s*#).*\b(\w+_explorer|address_anatomy|pd_split|pt_split|exercise|linked)\(",
                      re.MULTILINE)
HIDING = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
COLOURING = re.compile(r"(?:^|;)\s*(?:background(?:-color)?|color)\s*:", re.IGNORECASE)
VOID = {"br", "hr", "img", "input", "col", "wbr", "meta", "link", "source", "area"}


class _Sanitised(HTMLParser):
    """The text a sanitiser leaves, and the ways this output leans on style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.problems: list[str] = []
        self._open: list[dict] = []          # styled-with-colour elements awaiting their text
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        style = a.get("style", "")
        if HIDING.search(style):
            self.problems.append(f"<{tag}> hidden by style ({style!r}): a sanitiser shows it")
        if tag in VOID:
            return
        self._open.append({"tag": tag, "colour": bool(COLOURING.search(style)),
                           "title": bool(a.get("title") or a.get("aria-label")), "text": ""})

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        while self._open:
            el = self._open.pop()
            if el["colour"] and not el["text"].strip() and not el["title"]:
                self.problems.append(f"<{el['tag']}> says something only by its colour "
                                     "(no text, no title)")
            if self._open:
                self._open[-1]["text"] += el["text"]
            if el["tag"] == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._open:
            self._open[-1]["text"] += data


def sanitised_problems(html: str) -> list[str]:
    p = _Sanitised()
    p.feed(html)
    p.close()
    problems = list(p.problems)
    if not "".join(p.text).strip():
        problems.append("nothing left to read once styles and scripts are gone")
    return problems


def test_each_rule_can_fail():
    assert sanitised_problems('<div style="display:none">answer: 3</div><p>q</p>') == [
        "<div> hidden by style ('display:none'): a sanitiser shows it"]
    assert sanitised_problems('<p>legend <span style="background:#f00"></span></p>') == [
        "<span> says something only by its colour (no text, no title)"]
    assert sanitised_problems('<span style="background:#f00" title="quadrant 1"></span>x') == []
    assert sanitised_problems('<td style="border:1px solid"></td>ok') == []
    assert sanitised_problems("<style>p{}</style><script>x()</script>") == [
        "nothing left to read once styles and scripts are gone"]


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_committed_outputs_read_without_styles(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        kinds = [set(o.get("data", {})) for o in cell.outputs if "data" in o]
        if BUILDERS.search(cell.source):
            assert any("image/svg+xml" in k for k in kinds), (
                f"{path.name} cell {i}: an explorer with no image/svg+xml picture")
        for o in cell.outputs:
            html = o.get("data", {}).get("text/html")
            if html:
                problems = sanitised_problems(html)
                assert not problems, f"{path.name} cell {i}: {problems[:3]}"
