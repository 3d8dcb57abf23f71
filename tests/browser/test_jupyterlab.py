"""Every notebook, opened and run in JupyterLab in a real browser; the explorers, driven.

What "clean" means: no error or stderr output anywhere (the notebook model *and* the page,
which also catches tracebacks a widget callback printed into an Output widget), every code
cell executed, and every widget output rendered as a widget — not as its text fallback
such as ``Text(value='0x…')``, which is what a reader sees when jupyterlab_widgets is missing.
"""

import pytest

from .conftest import (
    IN_CI, NOTEBOOK_DIR, exercise_address_box, exercise_bit_toggles, notebook_paths,
    require_notebook,
)

EXPLORER_NOTEBOOKS = ["02-address-anatomy.ipynb", "03-pd-split.ipynb", "04-pt-split.ipynb"]
NOTEBOOKS = notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS or [pytest.param(None, id="no-notebooks")])
def test_notebook_runs_clean(request, path):
    if path is None:
        msg = f"no notebooks in {NOTEBOOK_DIR}"
        pytest.fail(msg) if IN_CI else pytest.skip(msg)
    nb = request.getfixturevalue("lab")(path)
    problems = nb.report().problems()
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", EXPLORER_NOTEBOOKS)
def test_address_box_updates_and_rejects(request, path):
    require_notebook(path)
    nb = request.getfixturevalue("lab")(path)
    exercise_address_box(nb.page)
    problems = nb.report().problems()
    assert not problems, f"{path} after typing addresses:\n" + "\n".join(problems)


def test_bit_toggles_flip_the_address(request):
    path = "02-address-anatomy.ipynb"
    require_notebook(path)
    nb = request.getfixturevalue("lab")(path)
    exercise_bit_toggles(nb.page)
    assert not nb.report().problems()
