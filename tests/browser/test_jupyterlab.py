"""Every notebook, opened and run in JupyterLab in a real browser; the explorers, driven.

What "clean" means: no error or stderr output anywhere (the notebook model *and* the page,
which also catches tracebacks a widget callback printed into an Output widget), every code
cell executed, and every widget output rendered as a widget — not as its text fallback
such as ``Text(value='0x…')``, which is what a reader sees when jupyterlab_widgets is missing.
"""

import pytest

from .harness import IN_CI, NOTEBOOK_DIR, notebook_paths

# The in-page explorers of 02-05 and 09 are driven by test_explorers_kernel.py, those of 06-08
# and 10 by test_sim_*.py (and, with no
# kernel, test_static_site.py); here every notebook must run clean.
NOTEBOOKS = notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS or [pytest.param(None, id="no-notebooks")])
def test_notebook_runs_clean(request, path):
    if path is None:
        msg = f"no notebooks in {NOTEBOOK_DIR}"
        pytest.fail(msg) if IN_CI else pytest.skip(msg)
    nb = request.getfixturevalue("lab")(path)
    problems = nb.report().problems()
    assert not problems, f"{path}:\n" + "\n".join(problems)
