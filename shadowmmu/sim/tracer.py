"""The step trace of one ShadowMMU: which call's events are being recorded, and where they go.

Every public call of the MMU (``access()``, ``load_cr3()``, a guest store, ...)
brackets its work with ``enter()`` and ``exit()``; calls nest (a store can
reload the roots, a fault can resync a page), and only the outermost one owns
a trace. While one is open, ``events`` is the list being filled and every
part of the MMU reports to it with ``emit()``; when it closes, the events
become ``last`` and, with ``keep``, are appended to ``log``.
With tracing off, ``events`` stays None, so a hot path that would build an
event first checks ``tracer.events is not None`` and builds nothing (and
``enter()``/``exit()`` only count depth, which a hot caller may skip, as
``ShadowMMU.access()`` does):

    >>> t = Tracer(); t.enter(); t.emit("a"); t.enter(); t.emit("b"); t.exit()
    >>> t.last, t.events
    ((), ['a', 'b'])
    >>> t.exit(); t.last, t.events
    (('a', 'b'), None)
    >>> off = Tracer(enabled=False); off.enter(); off.emit("a"); off.exit(); off.last
    ()

The tracer is the one place the trace changes: the parts hold a reference to
it and call ``emit()``, never touch its list.

Knows: nothing of the MMU; events are opaque here. Does not know: roles,
shadow pages, the guest, views.
"""

from __future__ import annotations

from collections.abc import Iterable


class Tracer:
    """The events of the outermost call in progress (``events``), of the last one (``last``), of all (``log``)."""

    def __init__(self, enabled: bool = True, keep: bool = False) -> None:
        self.enabled = bool(enabled or keep)
        self.log: list | None = [] if keep else None
        self.last: tuple = ()
        self.events: list | None = None  # the open call's events; None when not recording
        self._depth = 0

    def enter(self) -> None:
        """A call begins: the outermost one (with tracing on) opens a new trace."""
        self._depth += 1
        if self._depth == 1 and self.enabled:
            self.events = []

    def exit(self) -> None:
        """A call ends: the outermost one closes its trace into ``last`` (and ``log``)."""
        self._depth -= 1
        if self._depth == 0 and self.enabled:
            self.last = tuple(self.events)
            if self.log is not None:
                self.log.extend(self.events)
            self.events = None

    def emit(self, event) -> None:
        """Record one event, if a trace is open."""
        if self.events is not None:
            self.events.append(event)

    def extend(self, events: Iterable) -> None:
        """Record several events in order, if a trace is open."""
        if self.events is not None:
            self.events.extend(events)
