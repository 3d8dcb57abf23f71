"""Every notebook, opened and run in JupyterLab in a real browser; the explorers, driven.

What "clean" means: no error or stderr output anywhere (the notebook model *and* the page,
which also catches tracebacks a widget callback printed into an Output widget), every code
cell executed, and every widget output rendered as a widget — not as its text fallback
such as ``Text(value='0x…')``, which is what a reader sees when jupyterlab_widgets is missing.
"""

import pytest

from .harness import IN_CI, NOTEBOOK_DIR, AddressExplorer, notebook_paths, require_notebook

# The in-page explorers of 02-05 and 09 are driven by test_explorers_kernel.py (and, with no
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


# The simulator explorers: a probe view (10) tags what it shows for the address with .smmu-v
# spans (06's in-page explorer is driven by test_sim_fault.py). Expected values by hand from the golden rules:
# PDPTE = bits 31:30, PAE PDE = 29:21, PAE PTE = 20:12, PT quadrant = bit 21.
SIM_EXPECTED = {
    "10-real-guest.ipynb": [
        # 11 000000000 100000000 ...: the kernel's 0xC0100000 in snapshot user-1
        (0xC0100000, dict(pdpte_index="3", shadow_pde_index="0", shadow_pte_index="256",
                          pt_quadrant="0", guest_pde_index="768", guest_pte_index="256")),
        # 00 001000000 001001001 ...: busybox's second page, next to the explorer's first
        (0x08049000, dict(pdpte_index="0", shadow_pde_index="64", shadow_pte_index="73",
                          pt_quadrant="0")),
    ],
}


def exercise_sim_address_box(page, path: str) -> None:
    """Type the hand-checked addresses of path, then bad ones: the va stays, the alert shows."""
    ex = AddressExplorer(page)
    for va, fields in SIM_EXPECTED[path]:
        want = {"va": f"0x{va:08X}", **fields}
        ex.enter(f"0x{va:08X}")
        got = ex.wait_shows(want, f"{path}: after typing 0x{va:08X}")
        for k, v in want.items():
            assert got.get(k) and all(t.lower() == v.lower() for t in got[k]), (
                f"{path} 0x{va:08X}: {k} shows {got.get(k)}, expected {v}")
    last = f"0x{SIM_EXPECTED[path][-1][0]:08X}"
    before = ex.values()
    ex.enter("0x100000000")
    msg = ex.wait_error_mentioning("0x100000000")
    assert "0x00000000..0xFFFFFFFF" in msg.replace(" ", ""), msg
    ex.enter("not-an-address")           # a barrier: once shown, the first was handled too
    ex.wait_error_mentioning("not-an-address")
    assert ex.values()["va"] == [last], f"{path}: a rejected address changed the va shown"
    assert ex.values() == before, f"{path}: a rejected address changed the displayed values"


@pytest.mark.parametrize("path", sorted(SIM_EXPECTED))
def test_sim_address_box_updates_and_rejects(request, path):
    require_notebook(path)
    nb = request.getfixturevalue("lab")(path)
    exercise_sim_address_box(nb.page, path)
    problems = nb.report().problems()
    assert not problems, f"{path} after typing addresses:\n" + "\n".join(problems)
