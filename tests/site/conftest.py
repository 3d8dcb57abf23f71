"""The built site the tests in this directory read: ``site/`` when current, else a fresh build."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import find_or_build_site  # noqa: E402


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    if not (REPO / "node_modules").is_dir():
        pytest.skip("node_modules/ is missing: run `npm ci --ignore-scripts` (make site does)")
    return find_or_build_site(tmp_path_factory.mktemp("site"))
