"""The built site has no broken link or anchor, and every page is reachable from the index.

The checker (linkcheck.py) is shown to fail first, on a small site with one broken link of
each kind planted by hand; then it crawls the real site (``make test`` builds it first).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from linkcheck import crawl  # noqa: E402  (beside this file; "site" is the stdlib's)


def test_the_checker_finds_every_planted_break(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="a.html">a</a> <a href="a.html#there">ok</a> <a href="a.html#nowhere">x</a>'
        '<a href="missing.html">x</a> <a href="https://example.org/ok">out</a>'
        '<a href="glossary.md#gfn">x</a> <a href="#top">x</a><h1 id="top2">t</h1>'
        '<script src="require.js"></script>')
    (tmp_path / "a.html").write_text(
        '<h2 id="there">t</h2><a name="n"></a><a href="#n">ok</a><a href="../outside.html">x</a>'
        '<script type="application/vnd.jupyter.widget-state+json">'
        '{"state": {"m": {"model_name": "HTMLModel", "state": {"value": '
        '"<a href=\\"index.html#top2\\">ok</a><a href=\\"b.html\\">x</a>"}}}}</script>')
    (tmp_path / "lost.html").write_text("<p>nothing links here</p>")
    (tmp_path / "require.js").write_text("")
    got = crawl(tmp_path)
    assert sorted(got.broken) == sorted([
        "index.html: a.html#nowhere (no id or name 'nowhere' in a.html)",
        "index.html: missing.html (no file missing.html in the site)",
        "index.html: glossary.md#gfn (no file glossary.md in the site)",
        "index.html: #top (no id or name 'top' in index.html)",
        "a.html: ../outside.html (no file ../outside.html in the site)",
        "a.html: b.html (no file b.html in the site)",
    ])
    assert got.unreached == ["lost.html"] and got.reached == ["index.html", "a.html"]


def test_the_site_has_no_broken_link_or_anchor(site):
    got = crawl(site)
    assert got.broken == [], f"{len(got.broken)} broken:\n" + "\n".join(got.broken)
    assert got.unreached == [], f"pages no link reaches: {got.unreached}"
    notebooks = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]-*.py"))
    assert {f"{n}.html" for n in notebooks} | {"index.html", "glossary.html"} <= set(got.reached)


def test_glossary_links_land_on_its_entries(site):
    """The notebooks' glossary.md#x links became glossary.html#x, each an entry of the page."""
    wanted = set()
    for src in (REPO / "notebooks").glob("[0-9][0-9]-*.py"):
        wanted |= set(re.findall(r"glossary\.md#([\w-]+)", src.read_text()))
    served = set()
    for page in site.glob("[0-9][0-9]-*.html"):
        text = page.read_text(encoding="utf-8")
        assert "glossary.md" not in text and ".ipynb#" not in text, page.name
        served |= set(re.findall(r'href="glossary\.html#([\w-]+)"', text))
    assert wanted and served == wanted
    glossary = (site / "glossary.html").read_text(encoding="utf-8")
    assert all(f'id="{a}"' in glossary for a in wanted)
