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
    hints = _HINTS[ex.kind]
    return {"seed": ex.seed, "number": ex.number, "kind": ex.kind, "question": ex.question,
            "va": va, "answers": [{"name": n, "label": labels[n], "value": v, "hint": hints[n]}
                                  for n, v in ex.answers]}


#: What a wrong answer is told, per exercise kind and field: where the number comes from.
_HINTS = {
    "address": {"pd_quadrant": "bits 31:30 of the address (it picks pae_root[0..3])",
                "guest_pde_index": "bits 31:22 of the address",
                "shadow_pde_index": "bits 29:21 of the address",
                "pt_quadrant": "bit 21 of the address, the low bit of the PAE PDE index",
                "guest_pte_index": "bits 21:12 of the address",
                "shadow_pte_index": "bits 20:12 of the address"},
    "pt-write": {"pt_quadrant": "gPTE = byte offset / 4; gPTEs 0-511 are quadrant 0, 512-1023 quadrant 1",
                 "shadow_pte_index": "gPTE = byte offset / 4; the sPTE is gPTE mod 512"},
    "pd-write": {"pd_quadrant": "gPDE = byte offset / 4; each PAE PD shadows 256 gPDEs (gPDE div 256)",
                 "spte_lo": "one gPDE is two PAE PDEs: the first is 2 x (gPDE mod 256)",
                 "spte_hi": "the second PAE PDE is the first plus one"},
}


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
