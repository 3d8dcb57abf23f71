"""Every notebook run twice in one kernel: the same outputs, and no callback wired twice.

A reader who runs a notebook's cells a second time (or Run All twice) must see the same
thing, and the explorers must not stack callbacks: a second ``address_explorer()`` is a
second explorer with its own observers, and the first one keeps exactly the observers it had.

How: every cell is executed, then every cell again, in one kernel. The outputs of the two
passes are compared (exactly for the cells nbval compares; for cells marked
NBVAL_IGNORE_OUTPUT, which show live widgets or timings, the kinds of output and their MIME
types). After each pass a probe cell lists the live explorers (ipywidgets keeps every open
widget: the in-page ones of ``shadowmmu.frontend``, alone or ``linked()``, and the simulator
explorers) and, for each, the number of trait observers and click handlers on each of its
controls, in widget order. After the second pass the first pass's explorers must have the
same counts as before, and the new ones the same counts as the first ones.

Who runs it: tools/build_site.py, which executes every notebook for the site anyway, runs the
second pass in the same kernel and records the result in site/build-info.json (``record``);
tests/notebooks/test_run_twice.py checks that record (``problems``), or, when there is no
current site, runs both passes itself (``run_twice``). So a notebook is executed twice for
this check, not three times.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

import nbformat

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
            out.append([o["output_type"], sorted(o.get("data", {}))])
            continue
        o = {k: v for k, v in o.items() if k not in ("execution_count", "metadata")}
        out.append(ADDRESS.sub("at 0xADDRESS", MODEL_ID.sub("model_id", json.dumps(o, sort_keys=True))))
    return out


def outputs_of(nb) -> list[str]:
    """One digest per code cell of its normalised outputs (equal outputs, equal digests)."""
    return [hashlib.sha256(json.dumps(normalised(c)).encode()).hexdigest()[:20]
            for c in nb.cells if c.cell_type == "code"]


def run_pass(client, nb) -> list:
    """Execute every code cell of nb in client's kernel; their normalised outputs."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            client.execute_cell(cell, index)
    return outputs_of(nb)


def probe(client) -> list:
    """[model id, handler counts] of every live explorer in the kernel."""
    cell = nbformat.v4.new_code_cell(PROBE)
    client.nb.cells.append(cell)  # nbclient writes the executed cell back at its index
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    finally:
        client.nb.cells.pop()
    text = "".join(o.get("text", "") for o in cell.outputs if o["output_type"] == "stream")
    return json.loads(text)


def second_pass(client, first_nb, original) -> dict:
    """After a first pass over first_nb (still in client's kernel): probe, run original's
    cells again, probe; the record ``problems`` judges (plain JSON)."""
    first = outputs_of(first_nb)
    after_first = probe(client)
    second = run_pass(client, copy.deepcopy(original))
    after_second = probe(client)
    return {"first": first, "second": second, "after_first": after_first,
            "after_second": after_second,
            "builds_explorers": bool(BUILDERS.search("".join(c.source for c in original.cells)))}


def run_twice(client, nb) -> dict:
    """Both passes of nb (unexecuted) in one fresh kernel of client."""
    original = copy.deepcopy(nb)
    with client.setup_kernel():
        run_pass(client, nb)
        return second_pass(client, nb, original)


def problems(name: str, record: dict) -> list[str]:
    """What a record says went wrong (empty: the notebook runs twice cleanly)."""
    out = []
    for i, (a, b) in enumerate(zip(record["first"], record["second"])):
        if a != b:
            out.append(f"{name}: code cell {i} shows something else the second time")
    if len(record["first"]) != len(record["second"]):
        out.append(f"{name}: the passes ran {len(record['first'])} and {len(record['second'])} cells")
    after_first = [tuple(x) for x in record["after_first"]]
    after_second = dict((mid, counts) for mid, counts in record["after_second"])
    if not all(after_second.get(mid) == counts for mid, counts in after_first):
        out.append(f"{name}: the second run added callbacks to the first run's explorers")
    old = dict(after_first)
    new = [counts for mid, counts in record["after_second"] if mid not in old]
    if new != [counts for _, counts in after_first]:
        out.append(f"{name}: the second run's explorers are wired differently from the first's")
    if record["builds_explorers"] and not after_first:
        out.append(f"{name}: shows an explorer, but the probe found none")
    return out
