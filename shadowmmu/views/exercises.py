"""Notebook 09's views: an exercise, the feedback on the reader's answers, the solution.

Knows: the ``exercises.Exercise`` record and ``exercises.check_answers()``.
Does not know: how questions are made (the model's ``exercises``), ipywidgets.
"""

from __future__ import annotations

from typing import Mapping

from ..address import decompose
from ..exercises import Exercise, check_answers, make_exercise
from .address import render_address_anatomy
from .common import READOUT_FIELDS, esc, render_note, render_table, value_span, wrap_box


def render_exercise(ex: Exercise) -> str:
    """The question, with its seed and number so a class can share it."""
    return wrap_box(f'<div class="smmu-exercise" data-kind="{ex.kind}"><b>Exercise {ex.number} '
                 f"(seed {ex.seed})</b>: {esc(ex.question)}</div>", "smmu-exercise-view")


def render_feedback(ex: Exercise, given: Mapping[str, str]) -> str:
    """Right/wrong per answer, in words, without giving the answer away."""
    verdicts = check_answers(ex, given)
    words = {True: "right", False: "not yet", None: "no number given"}
    rows = [(esc(label), f'<span class="smmu-verdict" data-field="{name}" '
                         f'data-correct="{str(verdicts[name]).lower()}">'
                         f"{words[verdicts[name]]}</span>")
            for name, label in ex.fields]
    n_right = sum(v is True for v in verdicts.values())
    return render_table(("answer", "verdict"), rows, raw=True,
                        caption=f"{n_right} of {len(verdicts)} right")


def render_solution(ex: Exercise) -> str:
    """The answers and the reasoning, every number from the package."""
    answers = dict(ex.answers)
    if ex.kind == "address":
        d = decompose(ex.va)
        why = [render_address_anatomy(d)]
    elif ex.kind == "pt-write":
        j = ex.offset // 4
        why = [render_note(f"gPTE {j} = 512 x {answers['pt_quadrant']} + "
                           f"{answers['shadow_pte_index']}: the byte offset is doubled to "
                           f"8-byte entries; the part above 4 KiB is the quadrant.")]
    else:
        k = ex.offset // 4
        why = [render_note(f"gPDE {k} = 256 x {answers['pd_quadrant']} + {k % 256}; one 4 MiB "
                           f"guest PDE is two 2 MiB PAE PDEs, 2 x {k % 256} and the next.")]
    if ex.effects:
        rows = [(f"quadrant {e.role.quadrant}", e.role.describe(), e.action,
                 ", ".join(map(str, e.sptes)) or "-") for e in ex.effects]
        why.append(render_table(("shadow page", "role", "action", "sPTEs"), rows,
                                caption="shadowmmu.write_effects()"))
    rows = [(esc(label), value_span(name, answers[name]) if name in READOUT_FIELDS
             else f'<span class="smmu-v" data-field="{name}">{answers[name]}</span>')
            for name, label in ex.fields]
    return wrap_box(render_table(("answer", "value"), rows, raw=True) + "".join(why),
                 "smmu-solution")


def exercise_rows(seed: int, count: int) -> list[tuple[str, ...]]:
    """A static list of the first `count` questions of a seed (for the notebook's table)."""
    return [(str(n), ex.kind, ex.question) for n in range(count)
            for ex in [make_exercise(seed, n)]]
