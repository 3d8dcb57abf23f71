"""Every notebook run twice in one kernel: the same outputs, and no callback wired twice.

The check and its machinery are in tools/run_twice.py (its docstring says what is compared).
The site build (`make site`, which `make test` runs first) executes every notebook anyway and
runs the second pass in the same kernel, recording the result in site/build-info.json; this
test judges that record when the site is current for the sources, and otherwise runs both
passes itself. A planted record shows each verdict failing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
sys.path.insert(0, str(REPO / "tests"))
from in_browser.static_site import build_tool, site_is_current  # noqa: E402

build_tool()                                     # puts tools/ on sys.path
import run_twice as rt  # noqa: E402


def recorded() -> dict:
    """The site build's run-twice records by notebook stem, when site/ is current."""
    site = REPO / "site"
    if not site_is_current(site):
        return {}
    return json.loads((site / "build-info.json").read_text()).get("run_twice", {})


RECORDED = recorded()


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_notebook_run_twice_in_one_kernel(path):
    record = RECORDED.get(path.stem)
    if record is None:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        record = rt.run_twice(client, nb)
    assert rt.problems(path.name, record) == []


def test_each_verdict_can_fail():
    good = {"first": [["a"], []], "second": [["a"], []], "after_first": [["m1", [2, 1]]],
            "after_second": [["m1", [2, 1]], ["m2", [2, 1]]], "builds_explorers": True}
    assert rt.problems("x", good) == []
    bad = dict(good, second=[["b"], []])
    assert rt.problems("x", bad) == ["x: code cell 0 shows something else the second time"]
    bad = dict(good, after_second=[["m1", [3, 1]], ["m2", [2, 1]]])
    assert rt.problems("x", bad) == ["x: the second run added callbacks to the first run's explorers"]
    bad = dict(good, after_second=[["m1", [2, 1]], ["m2", [2, 2]]])
    assert rt.problems("x", bad) == ["x: the second run's explorers are wired differently from the first's"]
    bad = dict(good, after_first=[], after_second=[])
    assert rt.problems("x", bad) == ["x: shows an explorer, but the probe found none"]
