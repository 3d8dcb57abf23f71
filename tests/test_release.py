"""Release hygiene: one version everywhere, the MIT licence in the repository and in the
installed package's metadata, a changelog and a citation file that name the same version.

The version is written once (shadowmmu/_version.py). The expected values here come from the
files a reader sees (CHANGELOG.md, CITATION.cff, LICENSE) and from the installed metadata
(importlib.metadata, which setuptools wrote from pyproject.toml), never from the module under
test alone. The wheel's copy of LICENSE is checked by tools/wheel_smoke.py (`make wheel-check`).
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import shadowmmu

REPO = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"\d+\.\d+\.\d+")


def changelog_versions() -> list[str]:
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$",
                      (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)


def test_one_version_everywhere():
    v = shadowmmu.__version__
    assert SEMVER.fullmatch(v), v
    assert importlib.metadata.version("shadowmmu") == v, (
        "the installed metadata lags the source: reinstall (make .venv/.installed)")
    assert changelog_versions()[0] == v, "CHANGELOG.md's newest release is not the package's"
    cff = (REPO / "CITATION.cff").read_text()
    assert re.search(rf'^version: "{re.escape(v)}"$', cff, re.MULTILINE), "CITATION.cff's version"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]


def test_cli_prints_the_version():
    for cmd in ([sys.executable, "-m", "shadowmmu", "--version"],
                [str(Path(sys.executable).parent / "shadowmmu"), "--version"]):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"shadowmmu {importlib.metadata.version('shadowmmu')}"


def test_licence_is_mit_and_said_so_once():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in text
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert pyproject["license"] == "MIT" and pyproject["license-files"] == ["LICENSE"]
    assert re.search(r"^license: MIT$", (REPO / "CITATION.cff").read_text(), re.MULTILINE)
    meta = importlib.metadata.metadata("shadowmmu")
    assert meta.get("License-Expression") == "MIT"


def test_changelog_starts_with_unreleased_then_dated_releases():
    text = (REPO / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[0] == "[Unreleased]", headings
    assert all(re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", h) for h in headings[1:])
    assert changelog_versions() == sorted(changelog_versions(), reverse=True,
                                          key=lambda v: tuple(map(int, v.split("."))))
