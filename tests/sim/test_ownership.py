"""Each part of the simulator changes only its own state: no module reaches into another object's privates.

Every module of ``shadowmmu/sim/`` is parsed (ast, not imported) and every
attribute ``x._name`` it reads or writes is checked: allowed only when ``x``
is ``self`` or ``cls`` (an object's own state, or its class's). Dunder names
(``__class__``, ``__dataclass_fields__``) are the language's, not an object's
state, and are exempt. A part that needs another's state asks through that
part's public methods and properties (``Roots.current_pds()``, ``Tracer.emit()``),
so every change of a thing's state stays in the one module that owns it.

Public attributes of a part (``Roots.cr3``, the counters) are read by others
but set by their owner alone: no module assigns an attribute of another part
(``roots.cr3 = ...``, ``self._cache.pages_zapped += 1``, ``mmu.roots.pd_gfn = ...``).
The shadow pages themselves are records the parts share, as KVM's
``struct kvm_mmu_page`` is, and are not checked.
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


#: Names under which the parts of a ShadowMMU are held (``self._roots``, ``mmu.cache``, ``tracer``).
PARTS = {"mmu", "roots", "cache", "sync", "getter", "fault", "tracker", "tracer"}


def part_name(node: ast.expr) -> str | None:
    """The part an expression names (``roots``, ``self._roots``, ``mmu.roots``), or None."""
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    else:
        return None
    name = name.lstrip("_")
    return name if name in PARTS else None


def writes_into_parts(path: Path, source: str | None = None) -> list[str]:
    """Every assignment to (or del of) a part's attribute or an item of one, as "file:line: target".

    ``roots.cr3 = ...`` and ``cache.pages[key] = ...`` both change the part's
    state from outside; ``self.x = ...`` and ``sp.unsync = ...`` do not.
    """
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    out = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            for t in ast.walk(target):
                if not isinstance(t, (ast.Attribute, ast.Subscript)) or isinstance(t.ctx, ast.Load):
                    continue
                owner = t.value if isinstance(t, ast.Attribute) else t.value
                if isinstance(t, ast.Subscript):  # cache.pages[key]: the part is one level up
                    owner = owner.value if isinstance(owner, ast.Attribute) else None
                if owner is not None and part_name(owner):
                    out.append(f"{path.name}:{t.lineno}: {ast.unparse(t)}")
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


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_no_module_sets_another_parts_attributes(path):
    assert writes_into_parts(path) == []


@pytest.mark.parametrize("source, found", [
    ("def f(roots):\n    roots.cr3 = 0\n", ["fault.py:2: roots.cr3"]),
    ("class C:\n    def f(self):\n        self._cache.pages_zapped += 1\n",
     ["fault.py:3: self._cache.pages_zapped"]),
    ("def f(mmu):\n    mmu.roots.pd_gfn, x = 1, 2\n", ["fault.py:2: mmu.roots.pd_gfn"]),
    ("def f(mmu):\n    mmu.faults = 0\n", ["fault.py:2: mmu.faults"]),
    ("def f(cache, sp):\n    cache.pages[sp.gfn, sp.role] = sp\n", ["fault.py:2: cache.pages[sp.gfn, sp.role]"]),
    ("def f(self, sp):\n    del self._cache.by_hpa[sp.hpa]\n", ["fault.py:2: self._cache.by_hpa[sp.hpa]"]),
    ("def f(roots):\n    roots.pae_root[0] += 1\n", ["fault.py:2: roots.pae_root[0]"]),
])
def test_a_planted_write_is_caught(source, found):
    assert writes_into_parts(SIM / "fault.py", source) == found


def test_own_attributes_and_shared_records_may_be_set():
    source = ("class C:\n    def f(self, sp):\n        self.faults += 1\n        sp.unsync = True\n"
              "        self.pages[1] = sp\n        sp.spt[3] = 0\n        del self.by_hpa[1]\n")
    assert writes_into_parts(SIM / "fault.py", source) == []
