"""The README's picture of the address anatomy explorer, taken by the test suite.

Written to tests/browser/artifacts/address-anatomy.png on every run; with
SHADOWMMU_UPDATE_SCREENSHOT=1 it overwrites docs/img/address-anatomy.png instead (then
commit it), so an ordinary test run never dirties the tree.
"""

import os

from .harness import ARTIFACTS, REPO, UPDATE_MS, require_notebook

ANATOMY = "02-address-anatomy.ipynb"
EXPLORER = '.smmu-explorer[data-explorer="address-anatomy"]'


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
    if os.environ.get("SHADOWMMU_UPDATE_SCREENSHOT") == "1":
        target = REPO / "docs" / "img" / "address-anatomy.png"
    else:
        target = ARTIFACTS / "address-anatomy.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    nb.page.mouse.move(0, 0)          # no hover highlight in the picture
    cell.screenshot(path=str(target))
    assert target.stat().st_size > 5_000, f"{target} looks empty"
