"""The anywidget base of the simulator explorers (notebooks 06, 07, 08, 10): a record per input.

A simulator explorer shows one record of ``shadowmmu.states`` for the reader's
inputs. The records are computed in Python, by the simulator, never in the
page; the page (``sim.js`` plus the explorer's own module) draws them. So that
the page can answer in one frame, and answer at all with no kernel, the widget
carries a *state space*: the records of a list of input combinations computed
when the widget is made (``make site`` stores them in the static page). Any
other input is a ``request`` the kernel answers with an ``answer``; without a
kernel, on the static site, the page computes it with the same two functions in its
own Python (Pyodide in a Web Worker: ``states.inpage``, ``js/pyodide_host.js``), and
elsewhere says that input needs the live notebook.

A subclass names its ``explorer_kind`` (the root's ``data-explorer``), its
``key_fields``, its ES modules and drawing function, and two pure functions of
``shadowmmu.states``: ``check_inputs`` (inputs -> checked inputs, or ValueError
saying which input and what is valid) and ``make_record`` (checked inputs ->
record); ``extra_spec()`` adds what the page needs once. It holds no simulator.

Knows: anywidget, traitlets, ``states.space``. Does not know what a record holds.
"""

from __future__ import annotations

import logging
import subprocess
from itertools import count
from typing import Callable

import anywidget
import traitlets as t

from ..states import schema as contract
from ..states.inpage import function_name
from ..states.space import check_record, state_key, state_space
from .assets import css_source, esm_source
from .figures import drawing_metadata
from .node import node_call
from .viewdata import explorer_tables

LOG = logging.getLogger(__name__)
_SERIAL = count(1)


class SimExplorer(anywidget.AnyWidget):
    """One simulator explorer: ``inputs`` shown, ``states`` precomputed, request/answer for the rest."""

    #: The bundle (``assets.BUNDLE_NAMES``) that is this explorer's ``_esm``, and the
    #: drawing function of it that node runs for the static picture.
    bundle = ""
    draw_function = ""
    key_fields: tuple[str, ...] = ()
    #: The root's data-explorer.
    explorer_kind = ""
    #: The kind of record it draws: its schema (``states/schemas/KIND.json``) is checked by
    #: Python on every record made here and by the page before drawing one.
    record_kind = ""
    #: Its schema: None for the package's (``states/schemas/RECORD_KIND.json``).
    record_schema: dict | None = None
    #: inputs -> checked, canonical inputs; ValueError names the input and what is valid.
    check_inputs: Callable[[dict], dict]
    #: checked inputs -> the record (pure: the same inputs, the same record).
    make_record: Callable[[dict], dict]
    static_note = ("This is a static page with no Python kernel: its explorers answer from states "
                   "the simulator computed when the site was built.")

    _css = css_source()
    kind = t.Unicode("").tag(sync=True)
    tables = t.Dict().tag(sync=True)
    spec = t.Dict().tag(sync=True)
    inputs = t.Dict().tag(sync=True)
    states = t.Dict().tag(sync=True)
    request = t.Dict().tag(sync=True)
    answer = t.Dict().tag(sync=True)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # add_traits() (anywidget's __init__) makes a subclass holding the _esm trait: keep it
        if cls.draw_function and not isinstance(cls.__dict__.get("_esm"), t.TraitType):
            cls._esm = esm_source(cls.bundle)
            cls._css = css_source(f"{cls.bundle}.css")  # each bundle has its style sheet

    def __init__(self, inputs: dict, space=(), **kwargs):
        inputs = self.normalise(dict(inputs))
        space = [self.normalise(dict(i)) for i in space]
        states = state_space(self.key_fields, self.compute, space)
        key = state_key(self.key_fields, inputs)
        if key not in states:
            states[key] = self.compute(inputs)
            check_record(states[key], f"state {key}")
        super().__init__(kind=self.explorer_kind, inputs=inputs, states=states,
                         spec={"key_fields": list(self.key_fields), "presets": space,
                               "static_note": self.static_note, "record_kind": self.record_kind,
                               "schema": self.schema(), "python": self.python_spec(),
                               **self.extra_spec()}, **kwargs)
        self._extra: dict[str, dict] = {}

    # ---- what a subclass provides: explorer_kind, check_inputs, make_record, maybe extra_spec

    def normalise(self, inputs: dict) -> dict:
        """The inputs checked and in canonical form; ValueError names the bad input and what is valid."""
        return type(self).check_inputs(inputs)

    def compute(self, inputs: dict) -> dict:
        """The record for checked inputs (a pure function of them), checked against its schema."""
        record = type(self).make_record(inputs)
        contract.check_record(self.record_kind, record, f"state {state_key(self.key_fields, inputs)}",
                                   self.schema())
        return record

    def schema(self) -> dict:
        """The JSON Schema every record of this explorer fits (checked here and in the page)."""
        return type(self).record_schema or contract.load_schema(self.record_kind)

    @classmethod
    def python_spec(cls) -> dict | None:
        """The names of check_inputs and make_record, for the page's own Python (states.inpage);
        None when they are not functions of shadowmmu.states (the page cannot call them)."""
        try:
            return {"check": function_name(cls.check_inputs), "record": function_name(cls.make_record)}
        except ValueError:
            return None

    def extra_spec(self) -> dict:
        """What the page needs besides the base spec, sent once (control options, shared data)."""
        return {}

    @t.default("tables")
    def _tables(self):
        return explorer_tables()

    # ---- the kernel side of the protocol

    @property
    def key(self) -> str:
        """The key of the inputs shown."""
        return state_key(self.key_fields, self.inputs)

    @property
    def record(self) -> dict:
        """The record shown (precomputed, or computed for a request)."""
        return self.states.get(self.key) or self._extra[self.key]

    def record_for(self, inputs: dict) -> dict:
        """The record of some inputs: looked up if known, else computed (and kept)."""
        inputs = self.normalise(dict(inputs))
        key = state_key(self.key_fields, inputs)
        if key in self.states:
            return self.states[key]
        if key not in self._extra:
            rec = self.compute(inputs)
            check_record(rec, f"state {key}")
            self._extra[key] = rec
        return self._extra[key]

    def show(self, **inputs) -> None:
        """Show other inputs from Python (a kernel-side control): ``x.show(va=0xC0000000)``."""
        merged = self.normalise({**self.inputs, **inputs})
        record = self.record_for(merged)
        self.inputs = merged
        self.answer = {"id": f"py-{next(_SERIAL)}", "key": self.key, "inputs": merged, "record": record}

    @t.observe("request")
    def _on_request(self, change):
        req = change["new"] or {}
        rid = req.get("id")
        try:
            inputs = self.normalise(dict(req.get("inputs") or {}))
            record = self.record_for(inputs)
        except ValueError as err:
            self.answer = {"id": rid, "error": str(err)}
            return
        except Exception as err:  # a widget never shows a traceback; the log keeps it
            LOG.exception("simulator explorer %s failed on %r", self.kind, req)
            self.answer = {"id": rid, "error": f"the simulator failed on these inputs: {type(err).__name__}: {err}"}
            return
        self.inputs = inputs
        self.answer = {"id": rid, "key": state_key(self.key_fields, inputs), "inputs": inputs,
                       "record": record}

    # ---- static picture

    def static_svg(self) -> str | None:
        """The current state as the page draws it first, by node; None without node."""
        out = node_call(self.bundle, self.draw_function,
                        [[self.tables, self.spec, self.record, self.inputs]], check_record=2)
        return None if out is None else out[0]

    def drawing(self) -> dict:
        """The static picture's drawing call, as ``figures.draw()`` takes it (the tables left out)."""
        return {"bundle": self.bundle, "function": self.draw_function,
                "args": [self.spec, self.record, self.inputs]}

    def _repr_mimebundle_(self, **kwargs):
        data, metadata = super()._repr_mimebundle_(**kwargs)
        try:
            svg = self.static_svg()
        except (OSError, RuntimeError, subprocess.TimeoutExpired, ValueError) as err:
            data["text/plain"] = f"{data['text/plain']}\n[no static picture: {err}]"
            return data, metadata
        if svg is not None:
            data["image/svg+xml"] = svg
            metadata = {**metadata, **drawing_metadata(self.drawing())}
        return data, metadata
