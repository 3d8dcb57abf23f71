"""A text check over the notebooks' prose (issue 13): terms and reviewer citations.

Two rules, read off the markdown cells of notebooks/NN-*.ipynb in series order and off
notebooks/glossary.md; the code cells and outputs are not read.

* Every glossary term is linked to its glossary entry (``glossary.md#<anchor>``) at or
  before its first use in each notebook, so a reader who opens any notebook meets the
  link before the word. Within the glossary, an entry may use a later entry's term only
  through a link (``#<anchor>``), so the glossary reads top to bottom.
* Every "for reviewers" callout (a blockquote opening ``> **For reviewers``) carries at
  least one commit ID (12 to 40 lower-case hex digits) or mailing-list Message-Id
  (``<local@domain>``); and the words "for reviewers" occur nowhere else, so a callout
  with a typo in its opening is not skipped silently.

What counts as a use of a term is the regular expression below, written by hand for this
series; it is deliberately broad (``zap`` counts ``zapped``, ``unsync`` counts ``resync``).
This is a small check, not a spell checker: it cannot tell whether a definition is good.
"""

import doctest
import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
GLOSSARY = NOTEBOOKS / "glossary.md"
SERIES = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

#: anchor in glossary.md -> what counts as a use of the term in prose.
TERMS = {
    "gva-gpa-hpa": r"\b(?:gVA|gPA|hPA)s?\b|guest-virtual|guest-physical|host-physical",
    "gfn": r"\bgfns?\b",
    "role": r"\broles?\b",
    "shadow-page": r"\bshadow pages?\b",
    "spte": r"\b[sS]PTEs?\b",
    "link-leaf-spte": r"\b(?:link|leaf|non-leaf) sPTEs?\b|\bleaf\b|\bleaves\b",
    "pae-root": r"\bpae_root\b",
    "quadrant": r"\bquadrants?\b",
    "zap": r"\b[Zz]ap\w*",
    "write-protected": r"\b[Ww]rite[- ]protect\w*",
    "write-tracked": r"\b[Ww]rite[- ]track\w*",
    "unprotect": r"\b[Uu]nprotect\w*",
    "unsync": r"\b[Uu]nsync\w*|\b[Rr]esync\w*",
    "write-flooding": r"\b[Ww]rite[- ]flooding\b|\bflood\w*",
    "direct-page": r"\bdirect (?:shadow )?pages?\b|\bdirect child\w*",
    "obsolete-root": r"\b[Oo]bsolete\b",
}

COMMIT = re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{12,40}(?![0-9a-zA-Z])")
MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+\.[a-z]+>")
CALLOUT_OPEN = "> **For reviewers"
ANCHOR = re.compile(r'<a id="([a-z0-9-]+)" name="\1"></a>')


def markdown_of(path: Path) -> str:
    """The prose of a notebook: its markdown cells, without heading lines (a title may
    name a term that the paragraph under it introduces)."""
    nb = nbformat.read(path, as_version=4)
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def uses_before_links(text: str, terms: dict, link: str) -> list[str]:
    """The terms of `terms` whose first use in `text` comes before any link to their entry:

        >>> uses_before_links("we zap it; [zap](g.md#zap)", {"zap": r"\\bzap"}, "g.md#{}")
        ["zap: first used at 3 ('zap it; [zap](g.md#z'), first linked at 11"]
        >>> uses_before_links("[zap](g.md#zap) then zap", {"zap": r"\\bzap"}, "g.md#{}")
        []

    `link` is the link target with {} for the anchor. A term not used passes; a link
    counts from the start of its ``[text](target)``, so the link's own text is covered.
    """
    problems = []
    for anchor, pattern in terms.items():
        use = re.search(pattern, text)
        if use is None:
            continue
        target = re.escape("](" + link.format(anchor) + ")")
        # link text may hold one level of brackets, as in [`pae_root[3]`](...)
        linked = re.search(r"\[(?:[^\[\]]|\[[^\]]*\])*" + target, text)
        if linked is None or linked.start() > use.start():
            where = "never" if linked is None else str(linked.start())
            problems.append(f"{anchor}: first used at {use.start()} "
                            f"({text[use.start():use.start() + 20]!r}), first linked at {where}")
    return problems


def callout_problems(text: str) -> list[str]:
    """Callouts without a commit ID or Message-Id, and stray "for reviewers" lines:

        >>> callout_problems("> **For reviewers.** merged as 2e65e842c57d.")
        []
        >>> callout_problems("> **For reviewers.** Paolo said so.\\n> (no ID)")
        ['callout without a commit ID or Message-Id: "> **For reviewers.** Paolo said so."']
        >>> callout_problems("For reviewers: see the thread")
        ['"for reviewers" outside a callout: \\'For reviewers: see the thread\\'']
    """
    problems, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(CALLOUT_OPEN):
            block = [line]
            while i + 1 < len(lines) and lines[i + 1].startswith(">"):
                i += 1
                block.append(lines[i])
            body = "\n".join(block)
            if not (COMMIT.search(body) or MESSAGE_ID.search(body)):
                problems.append(f'callout without a commit ID or Message-Id: "{block[0][:60]}"')
        elif "for reviewers" in line.lower():
            problems.append(f'"for reviewers" outside a callout: {line.strip()[:60]!r}')
        i += 1
    return problems


def glossary_entries() -> list[tuple[str, str]]:
    """(anchor, text) per entry of glossary.md, in order."""
    text = GLOSSARY.read_text()
    marks = list(ANCHOR.finditer(text))
    return [(m.group(1), text[m.end(): marks[k + 1].start() if k + 1 < len(marks) else len(text)])
            for k, m in enumerate(marks)]


def test_the_series_and_glossary_are_there():
    assert len(SERIES) == 10 and GLOSSARY.exists()


def test_glossary_has_one_entry_per_term():
    anchors = [a for a, _ in glossary_entries()]
    assert len(anchors) == len(set(anchors)), "an anchor appears twice"
    assert set(anchors) == set(TERMS), (sorted(set(TERMS) - set(anchors)),
                                        sorted(set(anchors) - set(TERMS)))


def test_glossary_defines_each_term_before_using_it():
    entries = glossary_entries()
    order = [a for a, _ in entries]
    problems = []
    for k, (anchor, text) in enumerate(entries):
        later = {a: TERMS[a] for a in order[k + 1:]}
        problems += [f"{anchor} uses {p}" for p in uses_before_links(text, later, "#{}")]
    assert not problems, problems


@pytest.mark.parametrize("path", SERIES, ids=[p.stem for p in SERIES])
def test_terms_are_linked_at_first_use(path):
    problems = uses_before_links(markdown_of(path), TERMS, "glossary.md#{}")
    assert not problems, f"{path.name}: {problems}"


@pytest.mark.parametrize("path", SERIES, ids=[p.stem for p in SERIES])
def test_reviewer_callouts_cite(path):
    problems = callout_problems(markdown_of(path))
    assert not problems, f"{path.name}: {problems}"


def test_the_series_has_callouts():
    # the callout rule must have something to check
    assert sum(markdown_of(p).count(CALLOUT_OPEN) for p in SERIES) >= len(SERIES)


def test_the_checks_catch_planted_violations():
    # a term never linked, a term linked to another entry, a use before its link,
    # and a callout without an ID
    text = "Each shadow page is zapped by quadrant. [quadrant](glossary.md#zap)\n\n> **For reviewers.** x"
    found = uses_before_links(text, TERMS, "glossary.md#{}")
    assert [p.split(":")[0] for p in found] == ["shadow-page", "quadrant", "zap"]
    assert len(callout_problems(text)) == 1
    # a hex address is not a commit ID, an e-mail address is not a Message-Id
    assert callout_problems("> **For reviewers.** 0xDEADBEEFCAFE, dmatlack@google.com")


def test_docstring_examples():
    assert doctest.testmod(sys.modules[__name__]).failed == 0
