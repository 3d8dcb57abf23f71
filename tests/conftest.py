"""The suite's hypothesis profiles, and the count of fuzzed inputs printed at the end of a run.

This file knows how many examples a run may afford and how to count what the
fuzz tests (``tests/fuzz/``) really generate; it knows nothing of addresses,
roles or the simulator.

Profiles (``settings.load_profile`` at import, before any test module is collected):

* ``dev`` (default on a workstation): a quick pass, ~200 examples per fuzz test;
* ``ci`` (chosen when ``CI=true``): enough examples that the fuzz tests generate
  well over 10,000 inputs in total, in about a minute on a 2-core machine;
* ``long``: twenty times ``ci``, for a night run.

Choose one with ``SHADOWMMU_FUZZ=long`` or hypothesis's own flag,
``pytest --hypothesis-profile=long`` (the flag wins). Tests with their own
``@settings(max_examples=...)`` keep it; the profiles only move the default.

Counting: a fuzz test takes the ``fuzz_inputs`` fixture and calls
``fuzz_inputs.add("parse_address")`` once per input it feeds to the code under
test (a CLI batch of 300 addresses adds 300). ``pytest_terminal_summary``
prints the total and the count per target, so CI's log shows what was run.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("ci", max_examples=1000, **_COMMON)
settings.register_profile("long", max_examples=20000, **_COMMON)

PROFILE = os.environ.get("SHADOWMMU_FUZZ") or ("ci" if os.environ.get("CI") == "true" else "dev")
settings.load_profile(PROFILE)


class InputCounter:
    """Inputs fed to each fuzz target during this session."""

    def __init__(self) -> None:
        self.by_target: Counter[str] = Counter()

    def add(self, target: str, n: int = 1) -> None:
        self.by_target[target] += n

    @property
    def total(self) -> int:
        return sum(self.by_target.values())


_COUNTER = InputCounter()


@pytest.fixture(scope="session")
def fuzz_inputs() -> InputCounter:
    """The session's InputCounter: call ``.add(target, n)`` for every input generated."""
    return _COUNTER


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _COUNTER.total:
        return
    profile = settings._current_profile  # the one in force, after --hypothesis-profile
    terminalreporter.section("fuzzed inputs")
    for target, n in sorted(_COUNTER.by_target.items()):
        terminalreporter.write_line(f"{target:>28}: {n:>7,}")
    terminalreporter.write_line(f"fuzzed inputs: {_COUNTER.total:,} in total "
                                f"(hypothesis profile {profile!r})")
