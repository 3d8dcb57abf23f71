"""The static site's pages as a publication: what tools/build_site.py wraps around each export.

Pure functions of strings and notebooks, no execution:

* ``strip_markers``: the test markers (``# NBVAL_IGNORE_OUTPUT`` ...) leave the code cells;
* ``rewrite_links``: every ``href`` turned into what the site serves (``NN-*.ipynb`` ->
  ``NN-*.html``, ``glossary.md#x`` -> ``glossary.html#x``, other files of the repository ->
  the source repository, when its address is known; a Message-Id -> lore.kernel.org);
* ``SITE_TEMPLATE``: nbconvert's ``lab`` template with no CDN script, the code cells folded
  in ``<details>`` (narration and pictures first; "show all code" opens them), and the
  previous / index / next bar above and below the page;
* ``index_html``: the landing page (what the series explains, for whom, the two-trees
  picture, the reading order with a line each, how to run it, source and licence).

Nothing here knows about paging beyond the words of the landing page.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote

import nbformat

#: A test marker line in a code cell (nbval's, and any other NBVAL_ comment).
MARKER = re.compile(r"^[ \t]*#[ \t]*NBVAL_[A-Z_]+\b[^\n]*(?:\n|$)", re.MULTILINE)
NOTEBOOK_LINK = re.compile(r"^(\d\d-[\w-]+)\.ipynb(#.*)?$")
GLOSSARY_LINK = re.compile(r"^glossary\.md(#.*)?$")
HREF = re.compile(r"""(\shref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
LORE = "https://lore.kernel.org/r/"
EXTERNAL = re.compile(r"^(?:[a-z][\w+.-]*:|//|#)", re.IGNORECASE)

# The lab template without its two CDN scripts (MathJax, mermaid); code cells folded; the
# series' navigation bar (resources["site_nav"]) at the top and bottom of every page.
SITE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<link rel="stylesheet" href="site.css">{%- endblock html_head_css -%}
{%- block body_header -%}{{ super() }}
{{ resources.site_nav }}
{%- endblock body_header -%}
{% block input_group -%}
<details class="smmu-code"><summary>code</summary>
{{ super() }}
</details>
{%- endblock input_group %}
{% block body_footer %}
{{ resources.site_nav }}
</main>
<script>{{ resources.site_script }}</script>
</body>
{% endblock body_footer %}
"""

#: The landing page's picture: the first static SVG this committed notebook carries (its
#: explorer's picture, drawn by the explorer's own JS through node, not a new drawing).
PICTURE_NOTEBOOK = "06-page-fault.ipynb"
PICTURE_CAPTION = ("The two trees, as notebook 06's page-fault explorer draws them once a guest "
                   "read of 0xDEADBEEF has been handled: on the left the guest's own tables "
                   "(one page directory and one page table, 4-byte entries), on the right the "
                   "shadow tables KVM built for the same address (<code>pae_root</code>, four "
                   "PAE page directories, one PAE page table, 8-byte entries). "
                   '<a href="06-page-fault.html">Notebook 06</a> steps through it.')


#: Opens or closes every folded code cell of the page (the buttons of the navigation bar).
CODE_TOGGLE_JS = """document.querySelectorAll('.smmu-code-toggle').forEach(b => {
  b.hidden = !document.querySelector('details.smmu-code');
  b.addEventListener('click', () => {
    const open = b.getAttribute('aria-pressed') !== 'true';
    document.querySelectorAll('details.smmu-code').forEach(d => { d.open = open; });
    document.querySelectorAll('.smmu-code-toggle').forEach(x => {
      x.setAttribute('aria-pressed', String(open));
      x.textContent = open ? 'hide all code' : 'show all code';
    });
  });
});"""

SITE_CSS = """.smmu-site-nav{display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap;
  font:15px/1.4 system-ui,sans-serif;padding:0.6rem 0;margin:0 0 1rem;border-bottom:1px solid #ccc}
main > .smmu-site-nav:last-of-type{border-top:1px solid #ccc;border-bottom:0;margin:2rem 0 0}
.smmu-site-nav .smmu-index{font-weight:600}
.smmu-site-nav .smmu-next{margin-left:auto}
.smmu-code-toggle{font:inherit;cursor:pointer}
details.smmu-code > summary{cursor:pointer;color:#555;font:13px/1.6 ui-monospace,monospace;
  margin:0 0 0.2rem}
details.smmu-code:not([open]) > summary::after{content:" (folded: click to show)";color:#888}
body.smmu-landing{font:17px/1.55 system-ui,sans-serif;max-width:50rem;margin:0 auto;padding:0 1rem 3rem}
.smmu-landing figure{margin:1.5rem 0}
.smmu-landing figure svg{max-width:100%;height:auto}
.smmu-landing figcaption{font-size:0.9em;color:#444}
.smmu-landing ol.smmu-reading li{margin:0.4rem 0}
.smmu-landing pre{background:#f4f4f4;padding:0.6rem 0.8rem;overflow-x:auto}
.smmu-landing .note{color:#555;font-size:0.9em}
"""


def strip_markers(nb: nbformat.NotebookNode) -> int:
    """Remove test marker lines from every code cell, in place; returns how many went."""
    gone = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, n = MARKER.subn("", cell.source)
            gone += n
    return gone


def rewrite_href(href: str, source_url: str | None, served: frozenset[str] = frozenset(),
                 here: str = "notebooks") -> str:
    """What the site serves for a link written in a notebook (or the glossary) under here/;
    served: the site's own files, whose links stay as they are."""
    href = html.unescape(href).strip()
    if href.partition("#")[0] in served:
        return href
    if href.lower().startswith("mailto:"):
        # The series writes mailing-list Message-Ids as <id@host>, which markdown renders as
        # a mailto: link; a reader wants the message itself, on lore.kernel.org.
        return LORE + quote(href[len("mailto:"):], safe="@=+-._~")
    if m := NOTEBOOK_LINK.match(href):
        return f"{m.group(1)}.html{m.group(2) or ''}"
    if m := GLOSSARY_LINK.match(href):
        return f"glossary.html{m.group(1) or ''}"
    if not href or EXTERNAL.match(href) or href.endswith(".html") or not source_url:
        return href
    path, _, frag = href.partition("#")
    rel = posixpath.normpath(posixpath.join(here, path))
    if rel.startswith("../"):
        return href
    return f"{source_url.rstrip('/')}/blob/HEAD/{rel}" + (f"#{frag}" if frag else "")


def rewrite_links(page: str, source_url: str | None, served: frozenset[str] = frozenset()) -> str:
    """Every href attribute of an exported page, rewritten by ``rewrite_href``."""
    def one(m: re.Match) -> str:
        href = html.escape(rewrite_href(m.group(3), source_url, served), quote=True)
        return f"{m.group(1)}{m.group(2)}{href}{m.group(2)}"
    return HREF.sub(one, page)


@dataclass(frozen=True)
class Page:
    """One page of the series: its file, its number ("" for the index and the glossary), title."""
    file: str
    title: str
    number: str = ""

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title}" if self.number else self.title


def nav_html(prev: Page | None, nxt: Page | None) -> str:
    """The previous / index / next bar (a button folds or unfolds every code cell)."""
    parts = []
    if prev:
        parts.append(f'<a class="smmu-prev" rel="prev" href="{html.escape(prev.file)}">'
                     f'← {html.escape(prev.label)}</a>')
    parts.append('<a class="smmu-index" href="index.html">Index</a>')
    parts.append('<button type="button" class="smmu-code-toggle" aria-pressed="false">'
                 'show all code</button>')
    if nxt:
        parts.append(f'<a class="smmu-next" rel="next" href="{html.escape(nxt.file)}">'
                     f'{html.escape(nxt.label)} →</a>')
    return f'<nav class="smmu-site-nav" aria-label="the series">{" ".join(parts)}</nav>'


def neighbours(pages: list[Page]) -> dict[str, tuple[Page | None, Page | None]]:
    """file -> (previous, next) along the series: index, the notebooks, the glossary."""
    return {p.file: (pages[i - 1] if i else None, pages[i + 1] if i + 1 < len(pages) else None)
            for i, p in enumerate(pages)}


def reading_lines(readme: str) -> dict[str, str]:
    """The README's one line per notebook ("The notebook series"), as HTML, by notebook stem."""
    lines = {}
    for stem, text in re.findall(r"^\d+\. \[`(\d\d-[\w-]+)`\]\(notebooks/\1\.ipynb\) — (.+)$",
                                 readme, re.MULTILINE):
        lines[stem] = inline_markdown(text)
    return lines


def inline_markdown(text: str) -> str:
    """The little inline markdown the README's lines use: `code`, *emphasis*, **strong**."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"<em>\1</em>", out)


def index_html(notebooks: list[Page], lines: dict[str, str], picture: str, caption: str,
               nav: str, source_url: str | None, version: str) -> str:
    """The landing page. picture: an SVG a notebook carries (its explorer's static picture)."""
    items = "\n".join(
        f'<li><a href="{html.escape(p.file)}">{html.escape(p.title)}</a>'
        + (f"<br>{lines[p.file[:-5]]}" if p.file[:-5] in lines else "") + "</li>"
        for p in notebooks)
    repo = html.escape(source_url or "")
    source = (f'<a href="{repo}">{repo}</a>' if source_url else
              "the repository this site was built from (its address was not given to the build: "
              "<code>SHADOWMMU_SOURCE_URL</code>)")
    clone = f"git clone {repo}" if source_url else "git clone &lt;the repository&gt;"
    pip = (f'pip install "git+{repo}"' if source_url
           else 'pip install "git+https://github.com/&lt;owner&gt;/&lt;repository&gt;"')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shadowmmu: KVM's shadow MMU for a 32-bit guest on PAE tables</title>
<link rel="stylesheet" href="site.css"></head>
<body class="smmu-landing">
{nav}
<h1>How KVM's shadow MMU runs a 32-bit guest on PAE page tables</h1>
<p>A 32-bit x86 guest without PAE walks two levels of 4-byte entries: a page directory of
1024 entries, each covering 4&nbsp;MiB, and page tables of 1024 entries. When KVM cannot let
the hardware walk the guest's tables (no EPT or NPT), it builds <em>shadow</em> tables that
the CPU walks instead, and on a PAE host those have 8-byte entries, 512 to a page. So one
guest table cannot map onto one shadow page: one guest page directory becomes four PAE page
directories, one guest page table becomes two PAE page tables, and KVM tells the pieces apart
by <code>role.quadrant</code>. This series explains how, step by step, from the bits of one
address to a real Linux guest captured under QEMU.</p>
<p><strong>For whom:</strong> readers who know what a page table is and want to understand
KVM's shadow MMU: people reviewing or changing <code>arch/x86/kvm/mmu/</code>, students of
virtualization, and anyone curious why a 4-byte guest entry needs two shadow pages. No KVM
knowledge is assumed; the <a href="glossary.html">glossary</a> defines every term.</p>
<figure>
{picture}
<figcaption>{caption}</figcaption>
</figure>
<h2 id="reading-order">Reading order</h2>
<p>Read in order; each page opens with what you will do, learn and need. The explorers of
each page work here, in your browser, with no kernel and no network; code cells are folded
(open one, or "show all code" above). Every number is computed by the <code>shadowmmu</code>
package and checked by its tests.</p>
<ol class="smmu-reading">
{items}
</ol>
<p>Then the <a href="glossary.html">glossary</a>: every term, defined once.</p>
<h2 id="run-it-yourself">Run it yourself</h2>
<p>With Python 3.11 or later and <code>make</code>, the notebooks run live in JupyterLab, where
every explorer accepts any input:</p>
<pre>{clone}
cd shadowmmu
make lab     # a .venv with shadowmmu and JupyterLab; opens the first notebook
make test    # the whole test suite</pre>
<p>The package alone (the library and the <code>shadowmmu</code> command):</p>
<pre>{pip}
shadowmmu 0xC0200000</pre>
<h2 id="source-and-licence">Source and licence</h2>
<p>The source of this site, the package and its tests: {source}. Version {html.escape(version)}.
Released under the <a href="LICENSE.txt">MIT licence</a>.</p>
{nav}
<script>{CODE_TOGGLE_JS}</script>
</body></html>
"""


def glossary_notebook(markdown: str) -> nbformat.NotebookNode:
    """The glossary as a one-cell notebook, so it is exported with the pages' template."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)])
