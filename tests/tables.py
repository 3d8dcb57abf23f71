"""Reading the HTML tables the views render, for tests: body rows as lists of cell texts."""

import html
import re


def table_rows(markup: str) -> list[list[str]]:
    """The body rows of every table in markup, cell texts unescaped and stripped of tags."""
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", markup, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        if cells:
            rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def row_named(markup: str, first: str) -> list[str]:
    """The one body row whose first cell is first (fails if there are none or several)."""
    hits = [r for r in table_rows(markup) if r[0] == first]
    assert len(hits) == 1, (first, table_rows(markup))
    return hits[0]
