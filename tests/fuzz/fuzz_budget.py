"""How many examples a fuzz test may run: a share of the hypothesis profile in force.

The profile (tests/conftest.py) sets ``max_examples``; a costly target takes
a fraction of it so the whole fuzz run stays near a minute in CI.
"""

from hypothesis import settings


def examples(divisor: int = 1) -> int:
    """The current profile's max_examples divided by divisor, at least 10."""
    return max(10, settings.default.max_examples // divisor)


def budget(divisor: int = 1) -> settings:
    """A settings object for one fuzz test: the profile's, with examples(divisor)."""
    return settings(settings.default, max_examples=examples(divisor))
