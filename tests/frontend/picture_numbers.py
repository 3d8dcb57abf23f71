"""Every number a picture shows, accounted for by an oracle (issue 20, point 11).

``texts(svg)`` reads every <text> and <title> of a drawn picture, tags stripped.
``audit(texts, claims, constants)`` then does two things:

* each *claim* is a regular expression with a check: every match is checked
  (the check returns an error string, or None when an independent oracle
  computed the same numbers) and blanked out of the text;
* what is left, after the *constants* (fixed phrases such as "2 MiB" or
  "bits 31:30", which carry no computed number) are blanked too, must hold no
  number at all: a number in a picture that no claim accounts for is an error.

The claims are written per picture in the test, against oracles that compute
each number another way than the code under test (raw reads of the guest's
32-bit tables, the shadow tables read entry by entry, bit slicing). Knows
nothing of any explorer.
"""

from __future__ import annotations

import html
import re

#: A number as pictures print them: hex (0x...), or decimal with optional digit grouping.
NUMBER = re.compile(r"0x[0-9A-Fa-f]+|(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")


def texts(svg: str) -> list[str]:
    """The words of every <text> and <title> element, in document order."""
    return [html.unescape(re.sub(r"<[^>]+>", "", body))
            for _, body in re.findall(r"<(text|title)\b[^>]*>(.*?)</\1>", svg, re.S)]


def audit(lines, claims, constants=(), *, constants_first: bool = False) -> list[str]:
    """Errors: a claim whose numbers its oracle refutes, or a number no claim accounts for.

    ``claims``: (pattern, check) with check(match) -> error string or None.
    ``constants``: regular expressions of fixed phrases, blanked before the last look
    (or, with ``constants_first``, before the claims: for a claim that matches any number).
    """
    errors = []
    for line in lines:
        rest = line
        if constants_first:
            for c in constants:
                rest = re.sub(c, lambda m: " " * len(m.group(0)), rest)
        for pattern, check in claims:
            def blank(m, check=check, line=line):
                err = check(m)
                if err:
                    errors.append(f"{line!r}: {err}")
                return " " * len(m.group(0))
            rest = re.sub(pattern, blank, rest)
        for c in constants:
            rest = re.sub(c, lambda m: " " * len(m.group(0)), rest)
        for m in NUMBER.finditer(rest):
            errors.append(f"{line!r}: {m.group(0)} is accounted for by no oracle")
    return errors


def num(s: str) -> int:
    """A printed number back to an int: hex or decimal, digit grouping dropped."""
    s = s.replace(",", "")
    return int(s, 16) if s.lower().startswith("0x") else float(s) if "." in s else int(s)


def expect(what: str, got, want) -> str | None:
    return None if got == want else f"{what}: the picture says {got}, the oracle {want}"


def draw_states(x, records: list[dict], inputs: list[dict]) -> list[str]:
    """Each record of the simulator explorer ``x`` drawn by its page's own function under node."""
    from shadowmmu.frontend.node import node_call
    return node_call(x.bundle, x.draw_function, [[x.tables, x.spec, r, i] for r, i in zip(records, inputs)])
