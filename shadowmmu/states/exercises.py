"""Notebook 09's exercises as records for the page: one seed, its first ``count`` exercises.

``exercises.make_exercise(seed, number)`` makes the questions and their answers;
``exercise_record()`` is one of them as plain JSON for the page (with the address its
picture shows), ``exercise_set()`` the set the explorer holds. The explorer's kernel and
the static site's own Python (``states.inpage``) call the same two functions when the
reader picks another seed.

Knows: the model (exercises, consts). Does not know: widgets, HTML.
"""

from __future__ import annotations

from ..consts import GPTE_SIZE, GUEST_4K
from ..exercises import make_exercise

KEY_FIELDS = ("seed", "count")
MAX_SEED = 2**32 - 1
MAX_COUNT = 50


def exercise_record(seed: int, number: int) -> dict:
    """One exercise of ``exercises.make_exercise()`` as plain JSON for the page, with the
    address its picture shows (for a write: an address whose walk uses that entry)."""
    ex = make_exercise(seed, number)
    labels = dict(ex.fields)
    if ex.va is not None:
        va = ex.va
    else:
        entry = ex.offset // GPTE_SIZE
        pde, pte = GUEST_4K[0], GUEST_4K[1]
        va = entry << (pte.lo if ex.kind == "pt-write" else pde.lo)
    return {"seed": ex.seed, "number": ex.number, "kind": ex.kind, "question": ex.question,
            "va": va, "answers": [{"name": n, "label": labels[n], "value": v} for n, v in ex.answers]}


def exercise_inputs(inputs: dict) -> dict:
    """{seed, count} checked: seed a whole number 0..2**32-1, count 1..50; ValueError names it."""
    out = {}
    for name, top in (("seed", MAX_SEED), ("count", MAX_COUNT)):
        v = inputs.get(name, 12 if name == "count" else None)
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())
        lo = 1 if name == "count" else 0
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= top:
            raise ValueError(f"{name} {v!r} must be a whole number in {lo}..{top}")
        out[name] = v
    return out


def exercise_set(inputs: dict) -> dict:
    """The first ``count`` exercises of ``seed``: ``{"exercises": [exercise_record(...), ...]}``."""
    i = exercise_inputs(inputs)
    return {"exercises": [exercise_record(i["seed"], n) for n in range(i["count"])]}
