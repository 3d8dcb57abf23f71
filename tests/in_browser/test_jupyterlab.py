"""Every notebook, opened and run in JupyterLab in a real browser; the explorers, driven.

What "clean" means: no error or stderr output anywhere (the notebook model *and* the page,
which also catches tracebacks a widget callback printed into an Output widget), every code
cell executed, and every widget output rendered as a widget — not as its text fallback
such as ``Text(value='0x…')``, which is what a reader sees when jupyterlab_widgets is missing.

Each notebook is run in JupyterLab once per session: when another test already ran it (the
explorer and simulator tests open most of them), the ``lab`` fixture recorded what the page
showed right after Run All (conftest.RUN_REPORTS), and that report is checked here; this file
runs last (conftest orders it) and opens only the notebooks no other test ran.
"""

import pytest

from in_browser.conftest import RUN_REPORTS
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
    problems = RUN_REPORTS.get(path)
    if problems is None:          # no earlier test ran it: run it here (which records it)
        request.getfixturevalue("lab")(path)
        problems = RUN_REPORTS[path]
    assert not problems, f"{path}:\n" + "\n".join(problems)
