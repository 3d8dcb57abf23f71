"""Each part of the simulator changes only its own state: no module reaches into another object's privates.

Every module of ``shadowmmu/sim/`` is parsed (ast, not imported) and every
attribute ``x._name`` it reads or writes is checked: allowed only when ``x``
is ``self`` or ``cls`` (an object's own state, or its class's). Dunder names
(``__class__``, ``__dataclass_fields__``) are the language's, not an object's
state, and are exempt. A part that needs another's state asks through that
part's public methods and properties (``Roots.pd_gfn``, ``Tracer.emit()``),
so every change of a thing's state stays in the one module that owns it.
"""

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "shadowmmu" / "sim"
MODULES = sorted(SIM.glob("*.py"))
OWN = ("self", "cls")


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def reaches(path: Path, source: str | None = None) -> list[str]:
    """Every ``x._name`` in the module with x other than self/cls, as "file:line: x._name"."""
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in OWN:
                continue
            out.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return sorted(out)


def test_every_module_of_sim_is_checked():
    names = {p.stem for p in MODULES}
    assert {"mmu", "roots", "cache", "fault", "sync", "tracking", "inspection", "tracer"} <= names


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_no_module_reaches_into_another_objects_privates(path):
    assert reaches(path) == []


@pytest.mark.parametrize("source, found", [
    # the facade's privates, read and written from a part (what the split once did)
    ("def alloc(mmu):\n    mmu._obsolete_roots = 0\n", ["roots.py:2: mmu._obsolete_roots"]),
    ("class C:\n    def f(self):\n        self._mmu._emit(1)\n", ["roots.py:3: self._mmu._emit"]),
    ("def f(mmu):\n    return mmu.roots._pdpt[0]\n", ["roots.py:2: mmu.roots._pdpt"]),
    ("def f(guest):\n    guest._frames[1] = b''\n", ["roots.py:2: guest._frames"]),
    # a call of another object's private method, and a private read off a call's result
    ("def f(g):\n    return g()._x\n", ["roots.py:2: g()._x"]),
])
def test_a_planted_reach_is_caught(source, found):
    assert reaches(SIM / "roots.py", source) == found


def test_own_state_and_dunders_pass():
    source = ("class C:\n"
              "    def __init__(self):\n        self._x = 1\n"
              "    @classmethod\n    def make(cls):\n        return cls._build()\n"
              "    def f(self, other):\n        return other.__class__, self._x, other.public\n")
    assert reaches(SIM / "roots.py", source) == []
