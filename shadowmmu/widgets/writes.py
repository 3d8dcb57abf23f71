"""Notebook 07's explorer and its "predict, then see" questions: store into a guest table, see what KVM zaps.

Knows: ``scenarios.write_lab`` and ``views.writes``. Does not know: the write path;
it never constructs a Guest or ShadowMMU.
"""

from __future__ import annotations

import ipywidgets as W

from ..address import parse_number
from ..consts import PAGE_SIZE
from ..scenarios.write_lab import write_experiment
from ..views.common import render_error
from ..views.writes import render_prediction_feedback, render_write_result, write_predictions
from .common import Explorer, ExplorerState, debug_area, guarded, rerun_on_change


def _offset_box(initial: int) -> W.Text:
    box = W.Text(value=f"0x{initial:03X}", description="byte", continuous_update=False,
                 placeholder="0x800", layout=W.Layout(width="200px"))
    box.add_class("smmu-offset")
    return box


def guest_write_explorer(table: str = "pt", offset: int = 0x800, size: int = 4,
                         unsync: bool = True) -> Explorer:
    """Notebook 07: store into a guest page table or the page directory and see what KVM zaps.

    Every change re-runs scenarios.write_experiment() on a fresh
    scenarios.write_lab(), so the picture depends only on the controls.
    Parts: ``table`` (ToggleButtons "pt"/"pd"), ``offset`` (Text, byte offset in
    the 4 KiB table, class smmu-offset), ``size`` (ToggleButtons 1/2/4/8),
    ``unsync`` (Checkbox: let page tables go unsync; clear = KVM keeps them
    write-protected and emulates every store), ``view`` (HTML,
    ``views.render_write_result``), ``status`` (bad offsets), ``debug``;
    ``state.result`` is the last WriteResult.
    """
    debug = debug_area()
    status = W.HTML(value="")
    table_w = W.ToggleButtons(options=[("guest page table", "pt"), ("guest page directory", "pd")],
                              value=table, description="write to")
    table_w.add_class("smmu-table-choice")
    offset_w = _offset_box(offset)
    size_w = W.ToggleButtons(options=[("1 byte", 1), ("2", 2), ("4", 4), ("8", 8)], value=size,
                             description="size")
    size_w.add_class("smmu-size")
    unsync_w = W.Checkbox(value=unsync, description="page tables may go unsync, as in KVM (off: write-tracked)",
                          indent=False, layout=W.Layout(width="420px"))
    unsync_w.add_class("smmu-unsync")
    view = W.HTML(value="")
    state = ExplorerState()

    def _update():
        try:
            offset = parse_number(offset_w.value, name="byte offset", maximum=PAGE_SIZE - 1,
                                  example="0x800")
            result = write_experiment(table_w.value, offset, size_w.value, unsync_w.value)
        except ValueError as err:
            status.value = render_error(err)  # the last good view stays
            return
        status.value = ""
        state.result = result
        view.value = render_write_result(result)

    rerun_on_change((table_w, offset_w, size_w, unsync_w), debug, _update)
    return Explorer([table_w, W.HBox([offset_w, size_w, status]), unsync_w, view, debug],
                    table=table_w, offset=offset_w, size=size_w, unsync=unsync_w, view=view,
                    status=status, debug=debug, state=state)


def predict_write(table: str = "pd", offset: int = 0x080, size: int = 4,
                  unsync: bool = True) -> Explorer:
    """Notebook 07: "which sPTEs does this store zap?" asked before the picture answers it.

    One button per answer of views.writes.write_predictions() (class
    smmu-predict-choice); a click shows the verdict and the store's picture
    (views.writes.render_prediction_feedback) in ``answer``, which is empty
    until then. Parts: ``question`` (HTML), ``choices`` (list of Buttons),
    ``answer`` (HTML), ``debug``; ``state.result`` is the WriteResult.
    """
    debug = debug_area()
    result = write_experiment(table, offset, size, unsync)
    where = "guest page table" if table == "pt" else "guest page directory"
    question = W.HTML(value=(f"<b>Predict first.</b> The guest stores {size} byte(s) at byte "
                             f"0x{offset:03X} of its {where}. Which sPTEs does KVM zap?"))
    answer = W.HTML(value="")
    state = ExplorerState()
    state.result = result
    choices = []
    for label, _ in write_predictions(result):
        button = W.Button(description=label, tooltip=label,
                          layout=W.Layout(width="auto", max_width="100%"))
        button.add_class("smmu-predict-choice")
        choices.append(button)

    @guarded(debug)
    def _pick(button):
        for b in choices:
            b.button_style = "info" if b is button else ""
        answer.value = render_prediction_feedback(button.description, result)

    for button in choices:
        button.on_click(_pick)
    return Explorer([question, W.VBox(choices), answer, debug], question=question,
                    choices=choices, answer=answer, debug=debug, state=state)
