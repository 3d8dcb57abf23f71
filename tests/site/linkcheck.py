"""A link checker for the built static site: crawl it from index.html, resolve every link.

Independent of tools/build_site.py (it reads only the files the site serves): every HTML
page is parsed for the ids and names it defines and for the links it holds (``a``/``area``
``href``, and what ``link``/``script``/``img``/``iframe``/``source`` load); the HTML a
stored widget will render (the ``value`` of the HTML models in the page's widget state) is
parsed too, since a reader clicks those links as well. A link is broken when it points into
the site at a file that is not there, or at an anchor its page does not define. Links that
leave the site (``https:``, ``mailto:``) are not fetched (the tests have no network); they
must only be well formed. The crawl starts at index.html and must reach every page.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINKING = {"a": "href", "area": "href", "link": "href", "script": "src", "img": "src",
           "iframe": "src", "source": "src", "embed": "src"}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.links: list[str] = []
        self._state: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v for k, v in attrs if v is not None}
        for key in ("id", "name") if tag != "meta" else ():
            if a.get(key):
                self.anchors.add(a[key])
        if tag in LINKING and a.get(LINKING[tag]):
            self.links.append(a[LINKING[tag]])
        if tag == "script" and a.get("type") == WIDGET_STATE:
            self._state = []

    def handle_data(self, data):
        if self._state is not None:
            self._state.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._state is not None:
            state = json.loads("".join(self._state))
            self._state = None
            for model in state.get("state", {}).values():
                value = model.get("state", {}).get("value")
                if model.get("model_name") == "HTMLModel" and isinstance(value, str):
                    self.feed(value)


def parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    p.close()
    return p


@dataclass
class Crawl:
    reached: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)       # "page: link (why)"
    unreached: list[str] = field(default_factory=list)    # pages nothing links to


def crawl(site: Path, start: str = "index.html") -> Crawl:
    """Follow every link from start through the site; report what is broken or unreached."""
    result, pages, todo = Crawl(), {}, [start]
    while todo:
        name = todo.pop(0)
        if name in pages:
            continue
        pages[name] = parse((site / name).read_text(encoding="utf-8"))
        result.reached.append(name)
        for link in pages[name].links:
            target = resolve(site, name, link, result.broken)
            if target and target.endswith(".html") and target not in pages:
                todo.append(target)
    for name in pages:                                 # anchors, once every page is parsed
        for link in pages[name].links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.fragment:
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), unquote(parts.path))) \
                if parts.path else name
            if target in pages and unquote(parts.fragment) not in pages[target].anchors:
                result.broken.append(f"{name}: {link} (no id or name {parts.fragment!r} in {target})")
    every = sorted(str(p.relative_to(site)) for p in site.rglob("*.html"))
    result.unreached = [p for p in every if p not in pages]
    return result


def resolve(site: Path, page: str, link: str, broken: list[str]) -> str | None:
    """The site file a link points at (None when it leaves the site); records broken ones."""
    parts = urlsplit(link)
    if parts.scheme in ("http", "https"):
        if not parts.netloc or re.search(r"[<>\s]", link):
            broken.append(f"{page}: {link} (malformed)")
        return None
    if parts.scheme in ("mailto", "data", "javascript") or parts.netloc:
        return None
    if parts.scheme:
        broken.append(f"{page}: {link} (scheme {parts.scheme!r})")
        return None
    if not parts.path:
        return page
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path)))
    if target.startswith("../") or not (site / target).is_file():
        broken.append(f"{page}: {link} (no file {target} in the site)")
        return None
    return target
