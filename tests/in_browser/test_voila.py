"""App mode: the explorers served by Voila (as `make app` does), driven in a real browser.

Voila runs every cell on the server before the page finishes loading, strips the code, and
renders the widgets with its own manager — a different path from JupyterLab's, so the same
address-box checks run here too.

Each notebook is rendered once per session: test_explorers_kernel.py renders these same
notebooks in a Voila started the same way (plus one probe cell) and records what the page
showed before it drove it (conftest.VOILA_REPORTS); that record is checked here, and a page
is rendered here only when no earlier test did.
"""

import pytest

from in_browser.conftest import VOILA_REPORTS
from .harness import require_notebook, voila_problems

# The in-page explorers (02-05, 09): driven under Voila by test_explorers_kernel.py; here
# each page must render them, clean, with the code stripped.
EXPLORER_NOTEBOOKS = {"02-address-anatomy.ipynb": "address-anatomy", "03-pd-split.ipynb": "pd-split",
                      "04-pt-split.ipynb": "pt-split"}


@pytest.mark.parametrize("path", sorted(EXPLORER_NOTEBOOKS))
def test_voila_renders_the_explorer(request, path):
    require_notebook(path)
    problems = VOILA_REPORTS.get(path)     # test_explorers_kernel.py rendered it already?
    if problems is None:
        page = request.getfixturevalue("voila")(path)
        page.locator(f'.smmu-explorer[data-explorer="{EXPLORER_NOTEBOOKS[path]}"]').first.wait_for()
        problems = voila_problems(page)
    assert not problems, f"{path} under Voila:\n" + "\n".join(problems)
