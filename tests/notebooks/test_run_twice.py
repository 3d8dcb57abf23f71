"""Every notebook run twice in one kernel: the same outputs, and no callback wired twice.

A reader who runs a notebook's cells a second time (or Run All twice) must see
the same thing, and the explorers must not stack callbacks: a second
``address_explorer()`` is a second explorer with its own observers, and the
first one keeps exactly the observers it had.

How: nbclient executes every cell, then every cell again, in one kernel. The
outputs of the two passes are compared (exactly for the cells nbval compares;
for cells marked NBVAL_IGNORE_OUTPUT, which show live widgets or timings, the
kinds of output and their MIME types). After each pass a probe cell lists the
live explorers (ipywidgets keeps every open widget: the in-page ones of
``shadowmmu.frontend``, alone or ``linked()``, and the simulator explorers) and, for each, the number
of trait observers and click handlers on each of its controls, in widget
order. After the second pass the first pass's explorers must have the same
counts as before, and the new ones the same counts as the first ones.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
IPYNBS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
IGNORE = "NBVAL_IGNORE_OUTPUT"
MODEL_ID = re.compile(r'"model_id": "[0-9a-f]+"|model_id=\'[0-9a-f]+\'')
#: A call that builds an explorer in a notebook's code.
BUILDERS = re.compile(r"\b(\w+_explorer|address_anatomy|pd_split|pt_split|exercise|linked)\(")
ADDRESS = re.compile(r"\bat 0x[0-9a-f]{9,16}\b")  # the same sanitiser nbval uses

PROBE = r'''
import json as _json
from ipywidgets import Button as _Button
from ipywidgets.widgets.widget import _instances as _widgets
from shadowmmu.frontend.explorers import Explorer as _InPage, Linked as _Linked
from shadowmmu.frontend.simexplorer import SimExplorer as _Sim

def _handlers(w):
    n = sum(len(h) for per_type in w._trait_notifiers.values() for h in per_type.values())
    return n + (len(w._click_handlers.callbacks) if isinstance(w, _Button) else 0)

def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)

print(_json.dumps([[mid, [_handlers(c) for c in _walk(w)]]
                   for mid, w in list(_widgets.items()) if isinstance(w, (_InPage, _Linked, _Sim))]))
'''


def normalised(cell) -> list:
    """A cell's outputs as comparable data: exact, or only their kinds for ignored cells."""
    out = []
    for o in cell.get("outputs", []):
        if IGNORE in cell.source:
            out.append((o["output_type"], sorted(o.get("data", {}))))
            continue
        o = {k: v for k, v in o.items() if k not in ("execution_count", "metadata")}
        out.append(ADDRESS.sub("at 0xADDRESS", MODEL_ID.sub("model_id", json.dumps(o, sort_keys=True))))
    return out


def run_pass(client, nb) -> list:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            client.execute_cell(cell, index)
    return [normalised(c) for c in nb.cells if c.cell_type == "code"]


def probe(client) -> list:
    cell = nbformat.v4.new_code_cell(PROBE)
    client.nb.cells.append(cell)  # nbclient writes the executed cell back at its index
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    finally:
        client.nb.cells.pop()
    text = "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")
    return json.loads(text)


@pytest.mark.parametrize("path", IPYNBS, ids=[p.stem for p in IPYNBS])
def test_notebook_run_twice_in_one_kernel(path):
    original = nbformat.read(path, as_version=4)
    first_nb, second_nb = copy.deepcopy(original), copy.deepcopy(original)
    client = NotebookClient(first_nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        first = run_pass(client, first_nb)
        after_first = probe(client)
        second = run_pass(client, second_nb)
        after_second = probe(client)

    for i, (a, b) in enumerate(zip(first, second)):
        assert a == b, f"{path.name}: code cell {i} shows something else the second time"
    old = dict(after_first)
    assert all(counts == dict(after_second)[mid] for mid, counts in after_first), (
        f"{path.name}: the second run added callbacks to the first run's explorers")
    new = [counts for mid, counts in after_second if mid not in old]
    assert new == [counts for _, counts in after_first], (
        f"{path.name}: the second run's explorers are wired differently from the first's")
    if BUILDERS.search("".join(c.source for c in original.cells)):
        assert after_first, f"{path.name}: shows an explorer, but the probe found none"
