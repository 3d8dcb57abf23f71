"""Notebook 09's static views: the table of a series of exercises and each worked solution.

Knows: the ``exercises.Exercise`` record. Does not know: how questions are made
or answers checked (the model's ``exercises``), ipywidgets; the live exercise
explorer is ``frontend.explorers.exercise()``.
"""

from __future__ import annotations

from ..address import decompose
from ..consts import GUEST_4K, PAE_4K
from ..exercises import Exercise, make_exercise
from .common import READOUT_FIELDS, esc, render_note, render_table, value_span, wrap_box


def render_solution(ex: Exercise) -> str:
    """The answers and the reasoning, every number from the package."""
    answers = dict(ex.answers)
    if ex.kind == "address":
        d = decompose(ex.va)
        why = [render_table(("split", "field", "VA bits", "value"),
                            [(split, f.label, f"{f.hi}:{f.lo}", getattr(d, f.name))
                             for split, layout in (("guest 10/10/12", GUEST_4K), ("PAE 2/9/9/12", PAE_4K))
                             for f in layout],
                            caption=f"0x{d.va:08X} cut both ways (shadowmmu.decompose())")]
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


def render_worked_answers(seed: int, worked: int = 3, count: int = 6) -> str:
    """Notebook 09: the answers to exercises 0..count-1 of a seed, folded away in a <details>:
    the worked solution (render_solution()) of the first `worked`, the answers alone of the rest."""
    answers_only = [(ex.number, ", ".join(f"{dict(ex.fields)[name]} = {value}" for name, value in ex.answers))
                    for ex in (make_exercise(seed, n) for n in range(worked, count))]
    return (f"<details><summary>show the worked answers to exercises 0 to {count - 1} "
            f"(seed {seed})</summary>"
            + "".join(render_solution(make_exercise(seed, n)) for n in range(worked))
            + render_table(("exercise", "answers"), answers_only) + "</details>")
