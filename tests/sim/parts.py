"""The parts of a ShadowMMU built and wired as ShadowMMU.__init__ does, for the tests of each part on its own."""

from __future__ import annotations

from types import SimpleNamespace

from shadowmmu.rules import get_rule
from shadowmmu.sim.cache import ShadowPageCache
from shadowmmu.sim.fault import PageGetter
from shadowmmu.sim.guest import Guest
from shadowmmu.sim.roots import Roots
from shadowmmu.sim.sync import Sync
from shadowmmu.sim.tracer import Tracer


def parts(rule: str = "mainline", guest: Guest | None = None) -> SimpleNamespace:
    """guest, tracer, cache, sync, getter, roots; the cache tells the roots of a zapped root."""
    tracer, rule = Tracer(), get_rule(rule)
    guest = Guest(16 << 20) if guest is None else guest
    told = []
    cache = ShadowPageCache(tracer, root_zapped=lambda sp: told[0].root_zapped(sp))
    sync = Sync(guest, cache, tracer)
    getter = PageGetter(cache, sync, tracer, rule)
    roots = Roots(cache, getter, sync, tracer, rule)
    told.append(roots)
    return SimpleNamespace(guest=guest, tracer=tracer, cache=cache, sync=sync, getter=getter, roots=roots)


def traced(tracer: Tracer, fn, *args):
    """fn(*args) as one traced call: its events end up in tracer.last."""
    tracer.enter()
    try:
        return fn(*args)
    finally:
        tracer.exit()
