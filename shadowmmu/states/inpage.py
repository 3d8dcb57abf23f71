"""The entry point of the page's own Python: one request in, one answer out, as JSON.

On the static site there is no kernel; a simulator explorer that meets an input it has no
record for asks a Web Worker running Pyodide with this package's wheel
(``frontend/pyodide_worker.js``). The worker calls ``answer_json()`` with what the page
knows about the explorer -- its ``key_fields`` and the *names* of its two ``states``
functions, ``check`` and ``record`` (``"module:function"``, sent in the widget's spec by
``SimExplorer``) -- and the inputs. The answer is what a kernel's widget would send back:
``{"key", "inputs", "record"}``, or ``{"error"}`` naming the bad input. Same functions,
same checks, same record: the kernel and the page cannot disagree.

Only functions of ``shadowmmu.states`` may be named. Knows: ``states.space``. Does not
know: widgets, the DOM, Pyodide itself.
"""

from __future__ import annotations

import importlib
import json
from typing import Callable

from .space import canonical_json, check_record, state_key

PACKAGE = "shadowmmu.states."


def resolve(name: str) -> Callable:
    """``"shadowmmu.states.fault:fault_record"`` -> that function; ValueError for anything else."""
    module, _, attr = str(name).partition(":")
    if not module.startswith(PACKAGE) or not attr.isidentifier():
        raise ValueError(f"{name!r} is not a function of shadowmmu.states ('shadowmmu.states.MODULE:NAME')")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn):
        raise ValueError(f"{name!r}: {module} has no function {attr}")
    return fn


def function_name(fn: Callable) -> str:
    """The name ``resolve()`` takes back: ``module:qualname`` (a module-level function of states)."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    if resolve(name) is not fn:
        raise ValueError(f"{name} does not name itself (not a module-level function of shadowmmu.states)")
    return name


def answer(key_fields, check: str, record: str, inputs: dict) -> dict:
    """The record of these inputs, as SimExplorer.record_for computes it in a kernel."""
    try:
        checked = resolve(check)(dict(inputs))
    except ValueError as err:
        return {"error": str(err)}
    key = state_key(tuple(key_fields), checked)
    rec = resolve(record)(checked)
    check_record(rec, f"state {key}")
    return {"key": key, "inputs": checked, "record": rec}


def answer_json(request: str) -> str:
    """``answer()`` for a JSON request ``{"key_fields", "check", "record", "inputs"}``, as JSON
    (canonical: sorted keys). A failure of the simulator itself is named, not raised."""
    req = json.loads(request)
    try:
        out = answer(req["key_fields"], req["check"], req["record"], req["inputs"])
    except Exception as err:  # the page shows it; the picture stays
        out = {"error": f"the simulator failed on these inputs: {type(err).__name__}: {err}"}
    return canonical_json(out)
