"""The live explorers of notebooks 02-05 and 09: controls wired to the views, nothing else.

This is the only module that imports ipywidgets, and it computes nothing:
every number comes from ``address``/``rules``/``exhaustive``/``writes`` and
every picture from a ``views.render_*()`` string. Each builder returns a fresh
``Explorer`` (a ``VBox`` with DOM class ``smmu-explorer``) and never displays
it, so running a cell twice makes a second, independent explorer instead of
stacking callbacks on the first.

How an explorer behaves:

* the address box is a ``Text`` with DOM class ``smmu-address`` and
  ``continuous_update=False`` (it fires on Enter or blur);
* a value is parsed with ``parse_address()``; bad input shows
  ``views.render_error()`` in the explorer's ``status`` and the last good view
  stays on screen;
* on good input only the views change: one ``HTML.value`` assignment per
  view, no figures re-created, so nothing flickers;
* anything unexpected inside a callback is shown in the explorer's ``debug``
  HTML (with its traceback) and logged, never swallowed.

The children the tests and notebooks reach are attributes of the Explorer
(``address``, ``presets``, ``bits``, ``readout``, ``view``, ``status``,
``debug``, ...), listed in each builder's docstring.
"""

from __future__ import annotations

import functools
import logging
import traceback

import ipywidgets as W

from . import views
from .address import AddressError, decompose, parse_address
from .exhaustive import check_all_rules, check_rule
from .rules import QUADRANT_RULES

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = 0xDEADBEEF


class Explorer(W.VBox):
    """A VBox of controls and views; its parts are attributes (see each builder)."""

    def __init__(self, children, **parts):
        super().__init__(children=children)
        self.add_class("smmu-explorer")
        for name, widget in parts.items():
            setattr(self, name, widget)


def _debug_area() -> W.HTML:
    return W.HTML(value="", layout=W.Layout(width="100%"))


def _guarded(debug: W.HTML):
    """Decorator: show any exception of a callback in `debug` instead of losing it."""
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:  # shown to the reader and logged, then we carry on
                text = traceback.format_exc()
                log.error("shadowmmu widget callback failed:\n%s", text)
                debug.value = views.render_debug(text)
                return None
        return inner
    return wrap


def _address_box(initial: int) -> W.Text:
    box = W.Text(value=f"0x{initial:08X}", description="address", continuous_update=False,
                 placeholder="0xC0200000", layout=W.Layout(width="260px"))
    box.add_class("smmu-address")
    return box


def _preset_buttons(address: W.Text, debug: W.HTML) -> W.HBox:
    buttons = []
    for va in views.PRESETS:
        b = W.Button(description=f"0x{va:08X}", tooltip=f"set the address to 0x{va:08X}",
                     layout=W.Layout(width="auto"))
        b.add_class("smmu-preset")

        @_guarded(debug)
        def _click(_button, va=va):
            address.value = f"0x{va:08X}"

        b.on_click(_click)
        buttons.append(b)
    row = W.HBox(buttons)
    row.buttons = buttons
    return row


def _bit_toggles() -> list[W.ToggleButton]:
    """32 toggles, bit 31 first; each has DOM classes smmu-bit and smmu-bit-N."""
    toggles = []
    for n in range(31, -1, -1):
        t = W.ToggleButton(value=False, description=str(n), tooltip=f"bit {n}",
                           layout=W.Layout(width="34px", padding="0"))
        t.add_class("smmu-bit")
        t.add_class(f"smmu-bit-{n}")
        t.bit = n
        toggles.append(t)
    return toggles


def _address_explorer(initial, render_views, extra_children=(), with_bits=False, **more):
    """The shared skeleton: address box + presets (+ bit toggles) -> readout + views.

    render_views(d) returns the HTML strings of the explorer's own views, in order.
    """
    initial = parse_address(initial)
    debug = _debug_area()
    status = W.HTML(value="")
    address = _address_box(initial)
    presets = _preset_buttons(address, debug)
    readout = W.HTML(value="")
    d0 = decompose(initial)
    outs = [W.HTML(value=s) for s in render_views(d0)]
    readout.value = views.render_readout(d0)
    bits = _bit_toggles() if with_bits else []
    state = {"va": initial, "syncing": False}

    def _show_bits(va):
        state["syncing"] = True
        try:
            for t in bits:
                want = bool((va >> t.bit) & 1)
                if t.value != want:  # send only the toggles that change
                    t.value = want
        finally:
            state["syncing"] = False

    @_guarded(debug)
    def _on_address(change):
        try:
            d = decompose(parse_address(change["new"]))
        except AddressError as err:
            status.value = views.render_error(err)  # the last good view stays
            return
        status.value = ""
        state["va"] = d.va
        readout.value = views.render_readout(d)
        for out, s in zip(outs, render_views(d)):
            if out.value != s:
                out.value = s
        _show_bits(d.va)

    @_guarded(debug)
    def _on_bit(change):
        if state["syncing"]:
            return
        bit = change["owner"].bit
        va = state["va"] | (1 << bit) if change["new"] else state["va"] & ~(1 << bit)
        address.value = f"0x{va:08X}"

    address.observe(_on_address, names="value")
    for t in bits:
        t.observe(_on_bit, names="value")
    _show_bits(initial)
    rows = [W.HBox([address, status]), presets]
    if bits:
        rows.append(W.HBox(bits, layout=W.Layout(flex_flow="row wrap")))
    rows += list(extra_children) + [readout] + outs + [debug]
    return Explorer(rows, address=address, presets=presets.buttons, bits=bits,
                    readout=readout, views=outs, view=outs[0], status=status, debug=debug,
                    state=state, **more)


def address_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 02: one address as the guest's 10/10/12 and the shadow's 2/9/9/12.

    Parts: ``address`` (Text, smmu-address), ``presets`` (Buttons), ``bits``
    (32 ToggleButtons, bit 31 first, classes smmu-bit smmu-bit-N), ``readout``
    (``views.render_readout``), ``view`` (``views.render_address_anatomy``),
    ``status`` (errors), ``debug`` (callback tracebacks), ``state["va"]`` (the
    address the views show).
    """
    return _address_explorer(initial, lambda d: (views.render_address_anatomy(d),),
                             with_bits=True)


def pd_split_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 03: the guest PD against the four PAE PDs, the address marked throughout.

    Parts: ``address``, ``presets``, ``readout``, ``view`` (``views.render_pd_split``),
    ``status``, ``debug``.
    """
    return _address_explorer(initial, lambda d: (views.render_pd_split(d),))


def pt_split_explorer(initial: int | str = 0x00200000) -> Explorer:
    """Notebook 04: one guest PT against its two PAE PTs, and the halves misconception refuted.

    Parts: ``address``, ``presets``, ``readout``, ``view`` (``views.render_pt_split``),
    ``views[1]`` = ``refutation`` (``views.render_refutation``), ``status``, ``debug``.
    """
    ex = _address_explorer(initial, lambda d: (views.render_pt_split(d),
                                               views.render_refutation(d)))
    ex.refutation = ex.views[1]
    return ex


def rule_explorer(initial: int | str = 0x00200000, rule: str = "mainline") -> Explorer:
    """Notebook 05: pick a quadrant rule, apply it to an address, check it on all 2**20 pages.

    Parts: ``rule`` (Dropdown of QUADRANT_RULES names), ``address``, ``presets``,
    ``readout``, ``view`` (``views.render_rule_view``), ``check`` (HTML, the
    selected rule's ``views.render_rule_check``, re-run on each selection),
    ``check_all`` (Button) and ``checks`` (HTML, ``views.render_rule_checks`` of
    every rule, filled on click), ``status``, ``debug``.
    """
    dropdown = W.Dropdown(options=[(f"{name}: {r.formula}", name)
                                   for name, r in QUADRANT_RULES.items()],
                          value=rule, description="rule", layout=W.Layout(width="460px"))
    dropdown.add_class("smmu-rule")
    current = {"rule": rule}
    ex = _address_explorer(initial, lambda d: (views.render_rule_view(current["rule"], d),),
                           extra_children=())
    check = W.HTML(value=views.render_rule_check(check_rule(rule)))
    check_all = W.Button(description="check every rule on all 2**20 pages",
                         layout=W.Layout(width="auto"))
    check_all.add_class("smmu-check-all")
    checks = W.HTML(value="")

    @_guarded(ex.debug)
    def _on_rule(change):
        current["rule"] = change["new"]
        ex.view.value = views.render_rule_view(change["new"], decompose(ex.state["va"]))
        check.value = views.render_rule_check(check_rule(change["new"]))

    @_guarded(ex.debug)
    def _on_check_all(_button):
        checks.value = views.render_rule_checks(check_all_rules())

    dropdown.observe(_on_rule, names="value")
    check_all.on_click(_on_check_all)
    children = list(ex.children)
    children.insert(0, dropdown)
    children[-1:-1] = [check, check_all, checks]
    ex.children = tuple(children)
    ex.rule, ex.check, ex.check_all, ex.checks = dropdown, check, check_all, checks
    return ex


def exercise_explorer(seed: int = 2024, number: int = 0) -> Explorer:
    """Notebook 09: seeded exercises with check-my-answer and reveal.

    Parts: ``seed`` and ``number`` (IntText), ``question`` (HTML), ``answers``
    (dict field -> Text, classes smmu-answer smmu-answer-NAME, rebuilt for each
    exercise), ``check`` and ``reveal`` (Buttons), ``feedback`` and
    ``solution`` (HTML), ``debug``. ``exercise`` is the current
    ``views.Exercise``.
    """
    debug = _debug_area()
    seed_box = W.IntText(value=seed, description="seed", layout=W.Layout(width="180px"))
    number_box = W.BoundedIntText(value=number, min=0, max=9999, description="exercise",
                                  layout=W.Layout(width="180px"))
    question, feedback, solution = W.HTML(), W.HTML(), W.HTML()
    answer_box = W.VBox()
    check = W.Button(description="check my answer")
    check.add_class("smmu-check")
    reveal = W.Button(description="reveal")
    reveal.add_class("smmu-reveal")
    ex = Explorer([W.HBox([seed_box, number_box]), question, answer_box,
                   W.HBox([check, reveal]), feedback, solution, debug],
                  seed=seed_box, number=number_box, question=question, answers={},
                  check=check, reveal=reveal, feedback=feedback, solution=solution,
                  debug=debug, answer_box=answer_box, exercise=None)

    def _load():
        e = views.make_exercise(seed_box.value, number_box.value)
        ex.exercise = e
        question.value = views.render_exercise(e)
        feedback.value = solution.value = ""
        ex.answers = {}
        for name, label in e.fields:
            t = W.Text(value="", description=label, style={"description_width": "initial"},
                       layout=W.Layout(width="420px"))
            t.add_class("smmu-answer")
            t.add_class(f"smmu-answer-{name}")
            ex.answers[name] = t
        answer_box.children = tuple(ex.answers.values())

    @_guarded(debug)
    def _on_change(_change):
        _load()

    @_guarded(debug)
    def _on_check(_button):
        given = {name: t.value for name, t in ex.answers.items()}
        feedback.value = views.render_feedback(ex.exercise, given)

    @_guarded(debug)
    def _on_reveal(_button):
        solution.value = views.render_solution(ex.exercise)

    seed_box.observe(_on_change, names="value")
    number_box.observe(_on_change, names="value")
    check.on_click(_on_check)
    reveal.on_click(_on_reveal)
    _load()
    return ex


__all__ = ["Explorer", "address_explorer", "pd_split_explorer", "pt_split_explorer",
           "rule_explorer", "exercise_explorer"]
