"""Notebook 09's explorer: seeded exercises with check-my-answer and reveal.

Knows: ``exercises.make_exercise()`` and ``views.exercises``. Does not know: how a
question is made or checked.
"""

from __future__ import annotations

import ipywidgets as W

from ..exercises import make_exercise
from ..views.common import render_error
from ..views.exercises import render_exercise, render_feedback, render_solution
from .common import Explorer, debug_area, guarded

#: The exercise numbers the box offers; another number is refused, never clamped.
NUMBERS = range(10000)


def exercise_explorer(seed: int = 2024, number: int = 0) -> Explorer:
    """Notebook 09: seeded exercises with check-my-answer and reveal.

    Parts: ``seed`` and ``number`` (IntText; a number outside ``NUMBERS`` is
    refused in ``status``, naming it and the range, and the last exercise
    stays), ``question`` (HTML), ``answers``
    (dict field -> Text, classes smmu-answer smmu-answer-NAME, rebuilt for each
    exercise), ``check`` and ``reveal`` (Buttons), ``feedback`` and
    ``solution`` (HTML), ``debug``. ``exercise`` is the current
    ``views.Exercise``.
    """
    debug = debug_area()
    seed_box = W.IntText(value=seed, description="seed", layout=W.Layout(width="180px"))
    number_box = W.IntText(value=number, description="exercise", layout=W.Layout(width="180px"))
    question, feedback, solution, status = W.HTML(), W.HTML(), W.HTML(), W.HTML()
    answer_box = W.VBox()
    check = W.Button(description="check my answer")
    check.add_class("smmu-check")
    reveal = W.Button(description="reveal")
    reveal.add_class("smmu-reveal")
    ex = Explorer([W.HBox([seed_box, number_box, status]), question, answer_box,
                   W.HBox([check, reveal]), feedback, solution, debug],
                  seed=seed_box, number=number_box, question=question, answers={},
                  check=check, reveal=reveal, feedback=feedback, solution=solution,
                  debug=debug, answer_box=answer_box, exercise=None, status=status)

    def _load():
        n = number_box.value
        if n not in NUMBERS:
            status.value = render_error(ValueError(
                f"exercise number {n} is outside {NUMBERS.start}..{NUMBERS.stop - 1}; "
                f"give a whole number in {NUMBERS.start}..{NUMBERS.stop - 1}"))
            return
        status.value = ""
        e = make_exercise(seed_box.value, n)
        ex.exercise = e
        question.value = render_exercise(e)
        feedback.value = solution.value = ""
        ex.answers = {}
        for name, label in e.fields:
            t = W.Text(value="", description=label, style={"description_width": "initial"},
                       layout=W.Layout(width="420px"))
            t.add_class("smmu-answer")
            t.add_class(f"smmu-answer-{name}")
            ex.answers[name] = t
        answer_box.children = tuple(ex.answers.values())

    @guarded(debug)
    def _on_change(_change):
        _load()

    @guarded(debug)
    def _on_check(_button):
        given = {name: t.value for name, t in ex.answers.items()}
        feedback.value = render_feedback(ex.exercise, given)

    @guarded(debug)
    def _on_reveal(_button):
        solution.value = render_solution(ex.exercise)

    seed_box.observe(_on_change, names="value")
    number_box.observe(_on_change, names="value")
    check.on_click(_on_check)
    reveal.on_click(_on_reveal)
    _load()
    return ex
