"""The README's picture of the address anatomy explorer, taken by the test suite.

It is a maintenance step, not a check, so an ordinary test run skips it (and does not run
notebook 02 once more in JupyterLab for it): with SHADOWMMU_UPDATE_SCREENSHOT=1 it
overwrites docs/img/address-anatomy.png (then commit it).
"""

import os

import pytest

from .harness import REPO, UPDATE_MS, require_notebook

ANATOMY = "02-address-anatomy.ipynb"
EXPLORER = '.smmu-explorer[data-explorer="address-anatomy"]'


@pytest.mark.skipif(os.environ.get("SHADOWMMU_UPDATE_SCREENSHOT") != "1",
                    reason="refreshes the README's picture only with SHADOWMMU_UPDATE_SCREENSHOT=1")
def test_readme_screenshot(request):
    require_notebook(ANATOMY)
    nb = request.getfixturevalue("lab")(ANATOMY)
    box = nb.page.locator(f"{EXPLORER} input.smmu-address").first
    box.fill("0xC0200000")
    box.press("Enter")
    nb.page.locator(f'{EXPLORER}[data-address="0xC0200000"]').first.wait_for(timeout=UPDATE_MS)
    # the numbers that moved are marked for a moment; the picture is taken after that
    nb.page.locator(f'{EXPLORER}[data-address="0xC0200000"][data-changed=""]').first.wait_for(timeout=UPDATE_MS)
    # The explorer cell's output with its prompt; the code above it is one call.
    cell = (nb.page.locator(".jp-CodeCell").filter(has=nb.page.locator(EXPLORER)).first
            .locator(".jp-Cell-outputWrapper").first)
    cell.scroll_into_view_if_needed()
    target = REPO / "docs" / "img" / "address-anatomy.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    nb.page.mouse.move(0, 0)          # no hover highlight in the picture
    cell.screenshot(path=str(target))
    assert target.stat().st_size > 5_000, f"{target} looks empty"
