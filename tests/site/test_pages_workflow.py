"""The GitHub Pages workflow builds the site the README's way, checks its links, deploys site/.

Read as data (PyYAML, which the test environment has through Jupyter); the expected steps are
written out here, and the README must say where the site lives and how a fork publishes it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def steps(job: dict) -> list[dict]:
    return job["steps"]


def test_pages_workflow_builds_checks_and_deploys_the_site():
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow.get("on", flow.get(True))           # YAML 1.1 reads a bare `on:` as True
    assert on["push"]["branches"] == ["main"] and "workflow_dispatch" in on
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    uses = [s.get("uses", "").split("@")[0] for s in steps(build)]
    runs = [s.get("run", "") for s in steps(build)]
    assert uses[0] == "actions/checkout"
    python = next(s for s in steps(build) if s.get("uses", "").startswith("actions/setup-python"))
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11" and python["with"]["python-version"] == "3.11"
    assert "actions/setup-node" in uses                          # make site runs npm ci
    order = [i for i, r in enumerate(runs) if r == "make site"] + \
            [i for i, r in enumerate(runs) if "tests/site/test_links.py" in r] + \
            [uses.index("actions/upload-pages-artifact")]
    assert order == sorted(order) and len(order) == 3, "make site, then the links, then upload"
    upload = steps(build)[uses.index("actions/upload-pages-artifact")]
    assert upload["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in steps(deploy)] == ["actions/deploy-pages"]


def test_readme_says_where_the_site_lives_and_how_a_fork_publishes_it():
    readme = (REPO / "README.md").read_text()
    assert "https://<owner>.github.io/<repository>/" in readme
    assert ".github/workflows/pages.yml" in readme
    assert re.search(r"Settings → Pages → Source: GitHub\s+Actions", readme)
    assert re.search(r'pip install "git\+https://github\.com/<owner>/<repository>"', readme)
