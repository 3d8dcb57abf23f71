"""What the fuzz tests share: their example budget and the typed-number strategies and oracle.

Budget: the profile (tests/conftest.py) sets ``max_examples``; a costly target
takes a fraction of it so the whole fuzz run stays near a minute in CI.

Oracle: ``spelled_numbers()`` builds a number first and then a spelling of it,
so the expected value is known without any parser; ``digits_spell()`` judges
arbitrary text by its own digits. Neither imports the code under test.
"""

from __future__ import annotations

import string

from hypothesis import settings
from hypothesis import strategies as st


def examples(divisor: int = 1) -> int:
    """The current profile's max_examples divided by divisor, at least 10."""
    return max(10, settings.default.max_examples // divisor)


def budget(divisor: int = 1) -> settings:
    """A settings object for one fuzz test: the profile's, with examples(divisor)."""
    return settings(settings.default, max_examples=examples(divisor))


VA_MAX = 0xFFFFFFFF
RANGE_TEXT = "0x00000000..0xFFFFFFFF"


def underscored(digits: str, cuts: list[int]) -> str:
    """digits with one underscore after each cut position (between digits only)."""
    out, last = [], 0
    for c in sorted({c for c in cuts if 0 < c < len(digits)}):
        out.append(digits[last:c])
        last = c
    out.append(digits[last:])
    return "_".join(out)


@st.composite
def spelled_numbers(draw):
    """(n, text): a number and one way a reader could type it."""
    n = draw(st.one_of(st.integers(0, VA_MAX), st.integers(VA_MAX + 1, 1 << 40),
                       st.sampled_from([0, 1, VA_MAX, VA_MAX + 1, 0xC0000000])))
    how = draw(st.sampled_from(["dec", "0x", "0X", "bare"]))
    if how == "dec":
        digits = str(n)
    else:
        digits = format(n, draw(st.sampled_from(["x", "X"])))
        if how == "bare" and not any(c in "abcdefABCDEF" for c in digits):
            how = "0x"  # digits-only without 0x would be read as decimal
    digits = underscored(digits, draw(st.lists(st.integers(1, 40), max_size=3)))
    prefix = how if how in ("0x", "0X") else ""
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return n, f"{pad}{prefix}{digits}{pad[::-1]}"


def digits_spell(text: str, value: int) -> bool:
    """Do text's digits (0x, underscores and spaces dropped) spell value in hex or decimal?"""
    t = text.strip().replace("_", "").lower()
    if t.startswith("0x"):
        t = t[2:]
    if not t or not all(c in string.hexdigits for c in t):
        return False
    return int(t, 16) == value or (t.isdecimal() and int(t, 10) == value)


ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
NEAR_MISS = st.text(alphabet="0123456789abcdefxX_ -+.bBoO\u0660\uff11", max_size=14)
