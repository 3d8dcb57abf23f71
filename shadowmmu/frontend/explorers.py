"""The in-page explorers of notebooks 02-05 and 09: anywidget classes and their builders.

This module knows widgets (anywidget, ipywidgets' links and boxes), the view
data of ``viewdata`` and, for notebook 09, the exercise engine's public
``make_exercise()``. It does not know the DOM (``explorer.js`` does) or how
to draw (``draw.js`` does), and it never touches the simulator.

    >>> x = address_anatomy(0xC0200000)
    >>> x.kind, hex(x.address), x.rule
    ('address-anatomy', '0xc0200000', 'mainline')

Each explorer is one widget whose state is ``address`` (and ``rule``, and for
exercises ``number``), synced both ways: the page computes every picture
itself, with no kernel, and a kernel that is there reads what the reader
clicked (``x.address``) and can set it. ``linked(a, b, ...)`` shows several
explorers sharing one selection through ``ipywidgets.jslink``, which also
works in a static HTML page.

Static readers (GitHub, nbviewer) cannot run widgets, so every explorer's
output also carries ``image/svg+xml``: its current state drawn by the *same*
``js/draw.js`` function the page uses, run under node (``node.node_call``).
"""

from __future__ import annotations

import subprocess

import anywidget
import ipywidgets as W
import traitlets as t

from ..address import AddressError, parse_address
from ..rules import get_rule
from ..states.exercises import KEY_FIELDS as EXERCISE_FIELDS
from ..states.exercises import exercise_inputs, exercise_set
from ..states.inpage import function_name
from .assets import css_source, esm_source
from .figures import drawing_metadata
from .node import node_call, stack_svgs
from .viewdata import explorer_tables

#: The explorers that can ask the reader first (``predict=True``); explorer.js knows their questions.
PREDICTING = ("pd-split", "pt-split")


class Address(t.Int):
    """A traitlet holding a 32-bit guest virtual address; anything parse_address accepts
    (an int or a hex/decimal string), refused with parse_address's own message."""

    info_text = "a 32-bit guest virtual address"

    def validate(self, obj, value):
        try:
            return parse_address(value)
        except AddressError as err:
            raise t.TraitError(str(err)) from None


class ExerciseNumber(t.Int):
    """A traitlet holding an exercise's index: an int (never a bool or a float, which Int
    would quietly convert); the range is checked by the Explorer, which knows the count."""

    info_text = "the index of an exercise"

    def validate(self, obj, value):
        if isinstance(value, bool) or not isinstance(value, int):
            count = len(getattr(obj, "exercises", ()) or ())
            where = f" in 0..{count - 1}" if count else ""
            raise t.TraitError(f"exercise number {value!r} is a {type(value).__name__}; "
                               f"give a whole number{where}")
        return value


class Explorer(anywidget.AnyWidget):
    """One in-page explorer: ``kind`` names it (the root's ``data-explorer``)."""

    _esm = esm_source("address")
    _css = css_source()
    kind = t.Unicode("address-anatomy").tag(sync=True)
    address = Address(0xDEADBEEF).tag(sync=True)
    rule = t.Unicode("mainline").tag(sync=True)
    number = ExerciseNumber(0).tag(sync=True)
    exercises = t.List(t.Dict()).tag(sync=True)
    tables = t.Dict().tag(sync=True)
    #: pd-split / pt-split only: ask for the quadrant before the picture shows it.
    predict = t.Bool(False).tag(sync=True)
    #: exercise only: the seed of ``exercises`` (the page may ask for another), and what the
    #: page needs to make a set itself ({python: {check, record}, key_fields}).
    seed = t.Int(0).tag(sync=True)
    spec = t.Dict().tag(sync=True)

    @t.observe("seed")
    def _new_seed(self, change):
        """The reader picked another seed (a kernel is there): make that set, from exercise 0."""
        if self.kind != "exercise" or not self.exercises or self.exercises[0]["seed"] == change["new"]:
            return
        records = exercise_set({"seed": change["new"], "count": len(self.exercises)})["exercises"]
        self.exercises = records
        self.number = 0
        self.address = records[0]["va"]

    @t.default("tables")
    def _tables(self):
        return explorer_tables()

    @t.validate("rule")
    def _valid_rule(self, proposal):
        try:
            return get_rule(proposal["value"]).name
        except ValueError as err:
            raise t.TraitError(str(err)) from None

    @t.validate("predict")
    def _valid_predict(self, proposal):
        if proposal["value"] and self.kind not in PREDICTING:
            raise t.TraitError(f"predict=True is for the {' and '.join(PREDICTING)} explorers, "
                               f"not {self.kind!r}")
        return proposal["value"]

    @t.validate("number")
    def _valid_number(self, proposal):
        n, count = proposal["value"], len(self.exercises)
        if self.kind == "exercise" and not 0 <= n < count:
            raise t.TraitError(f"exercise number {n} is outside 0..{count - 1}")
        return n

    def view(self) -> dict:
        """The drawing's input, as draw.js's drawExplorer() takes it."""
        v = {"kind": self.kind, "va": self.address}
        if self.kind == "rule":
            v["rule"] = self.rule
        if self.kind == "exercise" and self.exercises:
            v["exercise"] = self.exercises[self.number]
        return v

    def __repr__(self) -> str:
        extra = f", rule={self.rule!r}" if self.kind == "rule" else ""
        return f"<{self.kind} explorer at 0x{self.address:08X}{extra}>"

    def _repr_mimebundle_(self, **kwargs):
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data = _with_picture(data, lambda: static_svg(self))
        if "image/svg+xml" in data:
            metadata = {**metadata, **drawing_metadata(drawing(self))}
        return data, metadata


class Linked(W.VBox):
    """Explorers shown together, sharing one selection (``links``: the jslinks)."""

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data, metadata = data if isinstance(data, tuple) else (data, {})
        explorers = [c for c in self.children if isinstance(c, Explorer)]
        data = _with_picture(data, lambda: stacked_svg(explorers))
        if "image/svg+xml" in data:
            metadata = {**metadata, **drawing_metadata({"stack": [drawing(x) for x in explorers]})}
        return data, metadata


def _with_picture(data: dict, draw) -> dict:
    """data plus the static SVG; if node fails, a line saying why instead of a traceback."""
    try:
        svg = draw()
    except (OSError, RuntimeError, subprocess.TimeoutExpired, ValueError) as err:
        data["text/plain"] = f"{data['text/plain']}\n[no static picture: {err}]"
        return data
    if svg is not None:
        data["image/svg+xml"] = svg
    return data


def _explorer(kind: str, address, **more) -> Explorer:
    return Explorer(kind=kind, address=address, **more)


def address_anatomy(address=0xDEADBEEF) -> Explorer:
    """Notebook 02: the 32 bits (click one to flip it), cut 10/10/12 and 2/9/9/12."""
    return _explorer("address-anatomy", address)


def pd_split(address=0xDEADBEEF, predict: bool = False) -> Explorer:
    """Notebook 03: the guest PD's four quarters and the four PAE PDs that shadow them;
    a zoomed window of guest PDEs, each over its two PAE PDEs. With ``predict=True`` the
    page asks which PAE PD (role.quadrant) first, and hides it until answered."""
    return _explorer("pd-split", address, predict=predict)


def pt_split(address=0x00200000, predict: bool = False) -> Explorer:
    """Notebook 04: the two trees; even and odd PAE PDEs point at the quadrant-0 and
    quadrant-1 PAE PTs, which shadow the lower and upper 2 KiB of the guest PT. With
    ``predict=True`` the page asks which PAE PT (and half) first, hidden until answered."""
    return _explorer("pt-split", address, predict=predict)


def rule_explorer(address=0x00200000, rule: str = "mainline") -> Explorer:
    """Notebook 05: the two trees with a chosen rule's quadrants, right or WRONG."""
    return _explorer("rule", address, rule=rule)


def exercise(seed: int = 2024, count: int = 12, number: int = 0) -> Explorer:
    """Notebook 09: `count` seeded exercises, checked and revealed in the page; the reader
    may pick another seed (the kernel, or the static site's own Python, makes its set)."""
    inputs = exercise_inputs({"seed": seed, "count": count})
    records = exercise_set(inputs)["exercises"]
    x = Explorer(kind="exercise", exercises=records, address=records[number]["va"], seed=inputs["seed"],
                 spec={"python": {"check": function_name(exercise_inputs), "record": function_name(exercise_set)},
                       "key_fields": list(EXERCISE_FIELDS)})
    x.number = number
    return x


def linked(*explorers: Explorer) -> Linked:
    """Several explorers in one column sharing one selection: ``address`` (and ``rule``
    where both have one) jslinked from the first to each other, in the page."""
    first, rest = explorers[0], explorers[1:]
    links = [W.jslink((first, "address"), (x, "address")) for x in rest]
    links += [W.jslink((first, "rule"), (x, "rule")) for x in rest
              if first.kind == "rule" and x.kind == "rule"]
    box = Linked(list(explorers))
    box.links = links
    return box


# ---------------------------------------------------------------- static pictures

def draw_with_node(views: list[dict]) -> list[str] | None:
    """draw.js's drawExplorer() for each view, run by node; None without node."""
    return node_call("address", "drawExplorer", [[explorer_tables(), v["kind"], v] for v in views])


def drawing(x: Explorer) -> dict:
    """The drawing call of the explorer's static picture, as ``figures.draw()`` takes it."""
    return {"bundle": "address", "function": "drawExplorer", "args": [x.kind, x.view()]}


def static_svg(x: Explorer) -> str | None:
    """The explorer's current state as the page draws it (an SVG string), or None without node."""
    out = draw_with_node([x.view()])
    return None if out is None else out[0]


def stacked_svg(explorers: list[Explorer]) -> str | None:
    """Several explorers' pictures one under another, in one SVG."""
    return stack_svgs(draw_with_node([x.view() for x in explorers]) or [])
