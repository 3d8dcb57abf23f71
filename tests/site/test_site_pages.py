"""tools/site_pages.py by hand, then the built pages: markers gone, code folded, navigation.

Expected values are written out here (links, markers, the README's lines); the built pages
are read as a reader's browser would get them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import build_tool  # noqa: E402

build_tool()                       # puts tools/ on sys.path
import site_pages as sp  # noqa: E402

SRC = "https://github.com/someone/shadowmmu"


@pytest.mark.parametrize("href, want", [
    ("02-address-anatomy.ipynb", "02-address-anatomy.html"),
    ("10-real-guest.ipynb#the-cr3-switch", "10-real-guest.html#the-cr3-switch"),
    ("glossary.md#gfn", "glossary.html#gfn"),
    ("glossary.md", "glossary.html"),
    ("#local", "#local"),
    ("https://lore.kernel.org/kvm/", "https://lore.kernel.org/kvm/"),
    ("../README.md#set-up-two-commands", f"{SRC}/blob/HEAD/README.md#set-up-two-commands"),
    ("../shadowmmu/role.py", f"{SRC}/blob/HEAD/shadowmmu/role.py"),
    ("03-pd-split.html", "03-pd-split.html"),
    ("mailto:20220516232138.1783324-5-dmatlack@google.com",
     "https://lore.kernel.org/r/20220516232138.1783324-5-dmatlack@google.com"),
    ("mailto:CAJhGHyDQn=atFmn5o2TREW9cSY5Tv1F1vsSekzor6uYQxDgcfQ@mail.gmail.com",
     "https://lore.kernel.org/r/CAJhGHyDQn=atFmn5o2TREW9cSY5Tv1F1vsSekzor6uYQxDgcfQ@mail.gmail.com"),
])
def test_rewrite_href(href, want):
    assert sp.rewrite_href(href, SRC) == want


def test_the_sites_own_files_stay_served_with_a_source_address():
    served = frozenset({"site.css", "LICENSE.txt"})
    page = '<link rel="stylesheet" href="site.css"><a href="LICENSE.txt">MIT</a><a href="../LICENSE">'
    assert sp.rewrite_links(page, SRC, served) == (
        f'<link rel="stylesheet" href="site.css"><a href="LICENSE.txt">MIT</a>'
        f'<a href="{SRC}/blob/HEAD/LICENSE">')


def test_without_a_source_address_repository_links_stay_as_written():
    assert sp.rewrite_href("../README.md", None) == "../README.md"
    assert sp.rewrite_href("glossary.md#zap", None) == "glossary.html#zap"


def test_rewrite_links_touches_only_href_attributes():
    page = ('<a href="glossary.md#gfn">gfn</a> <p>see glossary.md#gfn</p> '
            "<a class='x' href='05-role-from-parent.ipynb'>05</a>")
    assert sp.rewrite_links(page, SRC) == (
        '<a href="glossary.html#gfn">gfn</a> <p>see glossary.md#gfn</p> '
        "<a class='x' href='05-role-from-parent.html'>05</a>")


def test_strip_markers_leaves_the_code():
    nb = new_notebook(cells=[
        new_code_cell("# NBVAL_IGNORE_OUTPUT\nx = 1\n# NBVAL_SKIP why\ny = 2"),
        new_code_cell("  #  NBVAL_CHECK_OUTPUT\nprint(1)  # NBVAL_ is fine mid-line"),
        new_markdown_cell("# NBVAL_IGNORE_OUTPUT is named in prose")])
    assert sp.strip_markers(nb) == 3
    assert [c.source for c in nb.cells] == [
        "x = 1\ny = 2", "print(1)  # NBVAL_ is fine mid-line", "# NBVAL_IGNORE_OUTPUT is named in prose"]


def test_reading_lines_come_from_the_readme():
    readme = ("1. [`01-start-here`](notebooks/01-start-here.ipynb) — what the series *explains*.\n"
              "2. [`02-x`](notebooks/02-x.ipynb) — `role.quadrant` 0..3 & **both**.\n"
              "3. [`03-y`](notebooks/04-z.ipynb) — a mismatched link is not a line.\n")
    assert sp.reading_lines(readme) == {
        "01-start-here": "what the series <em>explains</em>.",
        "02-x": "<code>role.quadrant</code> 0..3 &amp; <strong>both</strong>."}


def test_neighbours_and_nav():
    pages = [sp.Page("index.html", "Index"), sp.Page("01-a.html", "A", "01"),
             sp.Page("glossary.html", "Glossary")]
    around = sp.neighbours(pages)
    assert around["index.html"] == (None, pages[1]) and around["glossary.html"] == (pages[1], None)
    nav = sp.nav_html(*around["01-a.html"])
    assert re.findall(r'href="([^"]+)"', nav) == ["index.html", "index.html", "glossary.html"]
    assert 'rel="prev"' in nav and 'rel="next"' in nav and "01" not in nav


# --------------------------------------------------------------------------- the built pages

def series():
    return sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]-*.py"))


def test_every_page_has_previous_index_next_and_its_own_title(site):
    order = ["index", *series(), "glossary"]
    titles = set()
    for i, stem in enumerate(order):
        text = (site / f"{stem}.html").read_text(encoding="utf-8")
        navs = re.findall(r'<nav[^>]*class="smmu-site-nav"[^>]*>(.*?)</nav>', text, re.S)
        assert len(navs) == 2, f"{stem}: a bar above and below"
        for nav in navs:
            prev = re.search(r'rel="prev"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*rel="prev"', nav)
            nxt = re.search(r'rel="next"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*rel="next"', nav)
            assert 'href="index.html"' in nav, stem
            assert (prev and (prev[1] or prev[2])) == (f"{order[i - 1]}.html" if i else None)
            assert (nxt and (nxt[1] or nxt[2])) == (f"{order[i + 1]}.html" if i + 1 < len(order)
                                                    else None)
        title = re.search(r"<title>([^<]+)</title>", text)[1]
        titles.add(title)
        if stem[:2].isdigit():
            heading = re.search(r"^# # (.+?)\s*$", (REPO / "notebooks" / f"{stem}.py").read_text(),
                                re.M)[1]
            assert title.startswith(f"{stem[:2]} · ") and heading.replace("'", "&#39;") in title \
                or heading in title.replace("&#39;", "'"), (stem, title)
    assert len(titles) == len(order)


def test_no_test_marker_shows_and_every_code_cell_is_folded(site):
    for stem in series():
        text = (site / f"{stem}.html").read_text(encoding="utf-8")
        assert "NBVAL" not in text, stem
        inputs = len(re.findall(r'class="jp-Cell jp-CodeCell', text))
        folded = len(re.findall(r'<details class="smmu-code"><summary>code</summary>\s*'
                                r'<div class="jp-Cell-inputWrapper"', text))
        assert inputs and folded == inputs, f"{stem}: {folded} of {inputs} code cells folded"


def test_index_is_a_landing_page(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    for words in ("For whom", "Reading order", "Run it yourself", "make lab", "pip install",
                  "Source and licence", 'href="LICENSE.txt"', 'href="glossary.html"'):
        assert words in text, words
    assert (site / "LICENSE.txt").read_text() == (REPO / "LICENSE").read_text()
    # the two-trees picture: the SVG notebook 06 carries, inline
    nb = nbformat.read(REPO / "notebooks" / sp.PICTURE_NOTEBOOK, as_version=4)
    svgs = [o["data"]["image/svg+xml"] for c in nb.cells for o in c.get("outputs", [])
            if "image/svg+xml" in o.get("data", {})]
    assert svgs and svgs[0] in text
    readme = (REPO / "README.md").read_text()
    for stem in series():        # a line each, the README's
        line = re.search(rf"\(notebooks/{stem}\.ipynb\) — (.+)$", readme, re.M)[1]
        first_words = re.sub(r"[`*]", "", line).split(",")[0][:30]
        item = re.search(rf'<li><a href="{stem}\.html">[^<]+</a><br>(.*?)</li>', text, re.S)[1]
        assert first_words in re.sub(r"<[^>]+>", "", item).replace("&amp;", "&"), stem
