"""Guards on the committed notebooks; nbval (addopts) re-runs them and compares outputs.

nbval only compares cells that were executed and not marked NBVAL_IGNORE_OUTPUT, so a
notebook committed unexecuted, or with every cell ignored, would pass while testing
nothing. These tests make sure there is something to compare, that the .ipynb and its
jupytext .py twin say the same thing, and that notebooks use the installed package.
"""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
MINE = ["01-start-here", "02-address-anatomy", "03-pd-split", "04-pt-split",
        "05-role-from-parent", "09-exercises"]
IGNORE = "NBVAL_IGNORE_OUTPUT"


def ids(paths):
    return [p.stem for p in paths]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_series_is_there():
    stems = {p.stem for p in IPYNBS}
    assert set(MINE) <= stems


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_executed_in_order_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: run Restart and Run All"
    for c in code_cells(nb):
        for out in c.outputs:
            assert out.output_type != "error", f"{path.name}: error output in {c.source[:60]!r}"
            assert not (out.output_type == "stream" and out.name == "stderr"), path.name


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_no_widget_state(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    text = path.read_text()
    assert "application/vnd.jupyter.widget-state+json" not in text
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_has_compared_outputs(path):
    nb = nbformat.read(path, as_version=4)
    compared = [c for c in code_cells(nb)
                if c.execution_count and c.outputs and IGNORE not in c.source]
    assert compared, f"{path.name}: nbval would compare nothing"


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_widget_cells_are_ignored_by_nbval(path):
    nb = nbformat.read(path, as_version=4)
    for c in code_cells(nb):
        if re.search(r"\b\w+_explorer\(", c.source):
            assert c.source.lstrip().startswith(f"# {IGNORE}"), c.source[:80]


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_deterministic_outputs(path):
    text = path.read_text()
    # a Python repr's memory address (our own values print as 0x%08X, upper case)
    assert not re.search(r"\bat 0x[0-9a-f]{9,16}\b", text), "memory address in an output"
    ids = [c["id"] for c in nbformat.read(path, as_version=4).cells]
    assert ids == [f"cell-{i}" for i in range(len(ids))] or path.stem not in MINE
    assert "<Figure size" not in text or "figsize" in text


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_py_twin_in_sync(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{path.name} has no jupytext twin {twin.name}"
    a, b = jupytext.read(path), jupytext.read(twin)
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]  # noqa: E731
    assert cells(a) == cells(b), f"{path.name} and {twin.name} differ: run make notebooks"


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_imports_the_installed_package(path):
    nb = nbformat.read(path, as_version=4)
    first = code_cells(nb)[0].source
    assert re.search(r"^\s*(from|import) shadowmmu\b", first, re.M), first
    for c in code_cells(nb):
        assert "sys.path" not in c.source
        assert not re.search(r"^\s*def |^\s*class ", c.source, re.M), "define it in the package"


@pytest.mark.parametrize("path", IPYNBS, ids=ids(IPYNBS))
def test_opens_with_a_title_and_what_youll_do(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    if path.stem in MINE:
        assert "What you'll" in first.source or "**What you'll" in first.source
