"""App mode: the explorers served by Voila (as `make app` does), driven in a real browser.

Voila runs every cell on the server before the page finishes loading, strips the code, and
renders the widgets with its own manager — a different path from JupyterLab's, so the same
address-box checks run here too.
"""

import pytest

from .harness import exercise_address_box, exercise_bit_toggles, require_notebook, scan_dom
from .test_jupyterlab import exercise_sim_address_box

EXPLORER_NOTEBOOKS = ["02-address-anatomy.ipynb", "03-pd-split.ipynb", "04-pt-split.ipynb"]


@pytest.mark.parametrize("path", EXPLORER_NOTEBOOKS)
def test_voila_address_box(request, path):
    require_notebook(path)
    page = request.getfixturevalue("voila")(path)
    problems = scan_dom(page).problems()
    assert not problems, f"{path} under Voila:\n" + "\n".join(problems)
    assert page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor").count() == 0, "Voila shows code cells (app mode strips them)"
    exercise_address_box(page)
    if path == "02-address-anatomy.ipynb":
        exercise_bit_toggles(page)
    problems = scan_dom(page).problems()
    assert not problems, f"{path} under Voila after typing addresses:\n" + "\n".join(problems)


def test_voila_page_fault_address_box(request):
    """06's fault view under Voila: one simulator explorer, the same checks as in JupyterLab."""
    path = "06-page-fault.ipynb"
    require_notebook(path)
    page = request.getfixturevalue("voila")(path)
    exercise_sim_address_box(page, path)
    problems = scan_dom(page).problems()
    assert not problems, f"{path} under Voila after typing addresses:\n" + "\n".join(problems)
