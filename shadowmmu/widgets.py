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


def _watch_address(address: W.Text, status: W.HTML, debug: W.HTML, run) -> None:
    """Call run(va) for every valid address typed into the box; show why the others are not.

    A rejected value leaves the last good view on screen: only ``status`` changes.
    """
    @_guarded(debug)
    def _on_address(change):
        try:
            va = parse_address(change["new"])
        except AddressError as err:
            status.value = views.render_error(err)
            return
        status.value = ""
        run(va)

    address.observe(_on_address, names="value")


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

    def _show(va):
        d = decompose(va)
        state["va"] = va
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

    _watch_address(address, status, debug, _show)
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



# --------------------------------------------------------------------------
# Notebooks 06-08: the simulator's explorers
# --------------------------------------------------------------------------
#
# The simulation lives in shadowmmu.scenarios and shadowmmu.mmu; these
# builders only keep a ShadowMMU (or re-run a small scenario) and assign
# views.render_*() strings. Every callback is a few milliseconds: a fault on
# a small guest, a write on a fresh write_lab(), or a whole-guest run of a
# few hundred accesses.

from . import scenarios  # noqa: E402  (kept with the section that uses it)
from .mmu import ShadowMMU  # noqa: E402


def _step_controls():
    prev = W.Button(description="◀ prev", layout=W.Layout(width="80px"))
    prev.add_class("smmu-step-prev")
    nxt = W.Button(description="next ▶", layout=W.Layout(width="80px"))
    nxt.add_class("smmu-step-next")
    slider = W.IntSlider(value=0, min=0, max=0, description="step", continuous_update=True,
                         layout=W.Layout(width="360px"))
    slider.add_class("smmu-step")
    play = W.Play(value=0, min=0, max=0, interval=900, description="play")
    play.add_class("smmu-play")
    W.jslink((play, "value"), (slider, "value"))
    return prev, nxt, slider, play


def page_fault_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 06: fault an address of scenarios.small_guest() and step through what KVM does.

    One ShadowMMU runs for the life of the explorer, so a second address in a
    region already faulted reuses its shadow pages; ``reset`` starts a fresh
    guest, ``process`` switches CR3 (the other process shares the kernel half).
    Parts: ``address`` (Text, smmu-address), ``presets`` (Buttons), ``write``
    (Checkbox: a write access), ``process`` (ToggleButtons 0/1), ``reset``
    (Button), ``prev``/``next`` (Buttons), ``step`` (IntSlider), ``play``
    (Play, linked to ``step`` in the browser), ``view`` (HTML,
    ``views.render_fault_step``), ``status``, ``debug``; ``state["result"]``
    is the last scenarios.AccessResult, ``state["mmu"]`` the ShadowMMU.
    """
    initial = parse_address(initial)
    debug = _debug_area()
    status = W.HTML(value="")
    address = _address_box(initial)
    presets = _preset_buttons(address, debug)
    write = W.Checkbox(value=False, description="write access", indent=False,
                       layout=W.Layout(width="130px"))
    write.add_class("smmu-write-access")
    process = W.ToggleButtons(options=[("process 1", 0), ("process 2", 1)], value=0,
                              description="CR3 of")
    process.add_class("smmu-process")
    reset = W.Button(description="fresh guest", tooltip="a new small guest, empty shadow")
    reset.add_class("smmu-reset")
    prev, nxt, slider, play = _step_controls()
    view = W.HTML(value="")
    state = {"mmu": None, "cr3s": None, "result": None, "va": initial}

    def _fresh():
        guest, cr3s = scenarios.small_guest()
        mmu = ShadowMMU(guest)
        mmu.load_cr3(cr3s[process.value])
        state["mmu"], state["cr3s"] = mmu, cr3s

    def _show(step=None):
        result = state["result"]
        last = max(len(result.trace) - 1, 0)
        state["syncing"] = True
        try:
            slider.max = play.max = last
            slider.value = last if step is None else max(0, min(step, last))
        finally:
            state["syncing"] = False
        view.value = views.render_fault_step(result, slider.value)

    def _run(va):
        state["va"] = va
        state["result"] = scenarios.run_access(state["mmu"], va, write=write.value)
        _show(0)


    @_guarded(debug)
    def _on_step(change):
        if not state.get("syncing"):
            view.value = views.render_fault_step(state["result"], change["new"])

    @_guarded(debug)
    def _on_prev(_b):
        slider.value = max(slider.min, slider.value - 1)

    @_guarded(debug)
    def _on_next(_b):
        slider.value = min(slider.max, slider.value + 1)

    @_guarded(debug)
    def _on_reset(_b):
        _fresh()
        _run(state["va"])

    @_guarded(debug)
    def _on_process(change):
        state["mmu"].load_cr3(state["cr3s"][change["new"]])
        _run(state["va"])

    _watch_address(address, status, debug, _run)
    slider.observe(_on_step, names="value")
    prev.on_click(_on_prev)
    nxt.on_click(_on_next)
    reset.on_click(_on_reset)
    process.observe(_on_process, names="value")
    _fresh()
    _run(initial)
    ex = Explorer([W.HBox([address, write, status]), presets,
                   W.HBox([process, reset]), W.HBox([play, prev, slider, nxt]), view, debug],
                  address=address, presets=presets.buttons, write=write, process=process,
                  reset=reset, prev=prev, next=nxt, step=slider, play=play, view=view,
                  status=status, debug=debug, state=state)
    return ex


def _offset_box(initial: int) -> W.Text:
    box = W.Text(value=f"0x{initial:03X}", description="byte", continuous_update=False,
                 placeholder="0x800", layout=W.Layout(width="200px"))
    box.add_class("smmu-offset")
    return box


def _parse_offset(text: str) -> int:
    t = (text or "").strip().replace("_", "")
    try:
        return int(t, 16) if t.lower().startswith("0x") else int(t, 10)
    except ValueError:
        raise ValueError(f"byte offset {text!r} is not a number (try 0x800 or 2048)") from None


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
    ``state["result"]`` is the last WriteResult.
    """
    debug = _debug_area()
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
    state = {"result": None}

    def _update():
        try:
            result = scenarios.write_experiment(table_w.value, _parse_offset(offset_w.value),
                                                size_w.value, unsync_w.value)
        except ValueError as err:
            status.value = views.render_error(err)  # the last good view stays
            return
        status.value = ""
        state["result"] = result
        view.value = views.render_write_result(result)

    @_guarded(debug)
    def _on_change(_change):
        _update()

    for w in (table_w, offset_w, size_w, unsync_w):
        w.observe(_on_change, names="value")
    _update()
    return Explorer([table_w, W.HBox([offset_w, size_w, status]), unsync_w, view, debug],
                    table=table_w, offset=offset_w, size=size_w, unsync=unsync_w, view=view,
                    status=status, debug=debug, state=state)


def whole_guest_explorer(processes: int = 3, mem_mib: int = 64) -> Explorer:
    """Notebook 08: the Linux-like guest under the shadow MMU, host large pages on or off, any rule.

    Parts: ``processes`` (IntSlider 1..8), ``mem`` (Dropdown of MiB),
    ``large`` (Checkbox: host large pages), ``rule`` (Dropdown of
    QUADRANT_RULES), ``census`` (HTML, ``views.render_census``), ``overhead``
    (HTML, ``views.render_overhead``), ``check`` (HTML, the rule's
    ``views.render_bug_lab`` verdict), ``debug``.
    """
    debug = _debug_area()
    procs = W.IntSlider(value=processes, min=1, max=8, description="processes",
                        continuous_update=False)
    procs.add_class("smmu-processes")
    mem = W.Dropdown(options=[(f"{m} MiB", m) for m in (16, 32, 64, 128, 256)], value=mem_mib,
                     description="guest RAM")
    mem.add_class("smmu-mem")
    large = W.Checkbox(value=True, description="host large pages", indent=False)
    large.add_class("smmu-large")
    rule = W.Dropdown(options=list(QUADRANT_RULES), value="mainline", description="rule")
    rule.add_class("smmu-rule")
    census, overhead, check = W.HTML(), W.HTML(), W.HTML()

    def _update():
        stats, mismatch = scenarios.run_whole_guest(procs.value, mem.value, large.value,
                                                    rule.value)
        name = f"{procs.value} processes, large pages {'on' if large.value else 'off'}"
        census.value = views.render_census({name: stats})
        overhead.value = views.render_overhead({name: stats})
        check.value = views.render_bug_lab({rule.value: mismatch})

    @_guarded(debug)
    def _on_change(_change):
        _update()

    for w in (procs, mem, large, rule):
        w.observe(_on_change, names="value")
    _update()
    return Explorer([W.HBox([procs, mem]), W.HBox([large, rule]), census, overhead, check, debug],
                    processes=procs, mem=mem, large=large, rule=rule, census=census,
                    overhead=overhead, check=check, debug=debug)

__all__ = ["Explorer", "address_explorer", "pd_split_explorer", "pt_split_explorer",
           "rule_explorer", "exercise_explorer",
           "page_fault_explorer", "guest_write_explorer", "whole_guest_explorer"]


# --------------------------------------------------------------------------
# Notebook 10: a real Linux guest
# --------------------------------------------------------------------------


def real_guest_explorer(snapshot: str = "user-1", initial: int | str = 0x08048000) -> Explorer:
    """Notebook 10: one address of a real snapshot, by QEMU, by the guest walk and by the shadow MMU.

    Each snapshot gets its own guest (scenarios.real_guest()) and ShadowMMU,
    made on first use and kept, so a second address behind the same half of
    a page table reuses the level-1 page its PAE PDE already links. Parts: ``snapshot`` (Dropdown
    of the snapshot names, class smmu-snapshot), ``address`` (Text,
    smmu-address), ``presets`` (Buttons), ``view`` (HTML,
    ``views.render_real_probe``), ``trace`` (HTML, ``views.render_trace`` of
    the access), ``status``, ``debug``; ``state["result"]`` is the last
    scenarios.AccessResult, ``state["runs"]`` maps a name to (RealGuest, ShadowMMU).
    """
    initial = parse_address(initial)
    names = scenarios.real_snapshot_names()
    debug = _debug_area()
    status = W.HTML(value="")
    snap = W.Dropdown(options=list(names), value=snapshot, description="snapshot")
    snap.add_class("smmu-snapshot")
    address = _address_box(initial)
    presets = _preset_buttons(address, debug)
    view, trace = W.HTML(value=""), W.HTML(value="")
    state = {"va": initial, "runs": {}, "result": None}

    def _run(va):
        name = snap.value
        if name not in state["runs"]:
            rg = scenarios.real_guest(name)
            mmu = ShadowMMU(rg.guest)
            mmu.load_cr3(rg.cr3s[0])
            state["runs"][name] = (rg, mmu)
        rg, mmu = state["runs"][name]
        qemu, walk = scenarios.real_probe(rg, 0, va)
        result = scenarios.run_access(mmu, va)
        state["va"], state["result"] = va, result
        view.value = views.render_real_probe(name, va, qemu, walk, result)
        trace.value = views.render_trace(result.trace, caption="what ShadowMMU.access() did")


    @_guarded(debug)
    def _on_snapshot(_change):
        _run(state["va"])

    _watch_address(address, status, debug, _run)
    snap.observe(_on_snapshot, names="value")
    _run(initial)
    return Explorer([W.HBox([snap, address, status]), presets, view, trace, debug],
                    snapshot=snap, address=address, presets=presets.buttons, view=view,
                    trace=trace, status=status, debug=debug, state=state)


__all__ += ["real_guest_explorer"]
