"""Imports flow one way: model -> sim -> scenarios -> views; scenarios -> states -> frontend.

Every module of the package is parsed (ast, not imported) and each import it
makes, at any depth, is resolved to a module name and checked against the
arrows the layering forbids:

* the model (consts, address, role, rules, writes, exhaustive, exercises,
  snapshot and its bounded_read, __main__) imports none of sim, scenarios,
  views, states, frontend;
* sim imports none of scenarios, views, states, frontend;
* scenarios import neither views nor states nor frontend;
* views (the tables) import no ipywidgets, not exhaustive (numpy) and not the
  live simulator (sim.guest and its walk sim.paging32, sim.mmu and its parts,
  sim.records, sim.coherence which drives a live guest and MMU), and call no
  live method (.mappings(), .shadow_pages(), ...): they tabulate plain records;
  and they draw no picture: no SVG markup (every picture has one renderer, the
  page's JS in frontend);
* states (the simulator explorers' records) may run scenarios and read the
  simulator, and imports none of views, frontend, ipywidgets or
  anywidget; it writes no HTML (no markup in its string constants);
* frontend (the in-page explorers) imports the model (palette and exercises
  included) and the records of states, and nothing else of the package: not
  sim or scenarios (a record is all the page needs; states runs the
  simulator), and not views either -- the page draws its own
  pictures (draw.js and the explorers' modules), so an HTML view there would
  be a second drawing of the same thing; nothing else imports it;
* only frontend imports ipywidgets and anywidget; only
  exhaustive imports numpy; nothing imports matplotlib.
Also: every import sits at the top of its module (no mid-file imports), and
every module opens with a docstring.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shadowmmu"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
LIVE_SIM = ("shadowmmu.sim.guest", "shadowmmu.sim.paging32", "shadowmmu.sim.mmu", "shadowmmu.sim.roots",
            "shadowmmu.sim.cache", "shadowmmu.sim.fault",
            "shadowmmu.sim.sync", "shadowmmu.sim.tracking", "shadowmmu.sim.inspection", "shadowmmu.sim.tracer",
            "shadowmmu.sim.records", "shadowmmu.sim.coherence")
#: Methods of live Guest/ShadowMMU objects a view must not call: views are given records.
LIVE_CALLS = ("mappings", "shadow_pages", "walk", "walk_entries", "table_frames", "access",
              "translate", "reachable_pages", "stats", "leaves")
FRONTEND = "shadowmmu.frontend"
STATES = "shadowmmu.states"
FORBIDDEN = {
    "model": ("shadowmmu.sim", "shadowmmu.scenarios", "shadowmmu.views", FRONTEND, STATES),
    "sim": ("shadowmmu.scenarios", "shadowmmu.views", FRONTEND, STATES),
    "scenarios": ("shadowmmu.views", FRONTEND, STATES),
    "views": ("ipywidgets", "shadowmmu.exhaustive", FRONTEND, STATES) + LIVE_SIM,
    "states": ("shadowmmu.views", FRONTEND, "ipywidgets", "anywidget"),
    "frontend": ("shadowmmu.sim", "shadowmmu.scenarios", "shadowmmu.views"),
}
#: Third-party packages only some modules may import: module names or layers.
ONLY = {"ipywidgets": ("frontend",), "anywidget": ("frontend",),
        "numpy": ("shadowmmu.exhaustive",), "matplotlib": ()}


LAYERS = ("sim", "scenarios", "states", "views", "frontend")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) == 1:
        return None  # shadowmmu/__init__.py: the facade that re-exports every layer
    return parts[1] if parts[1] in LAYERS else "model"


def imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            # "from . import views" imports the module shadowmmu.views
            found += [(node.lineno, f"{mod}.{a.name}") for a in node.names] if not node.module else []
            found.append((node.lineno, mod))
    return found


MARKUP = re.compile(r"<(/?[a-zA-Z][a-zA-Z0-9]*)[\s>/]")
SVG_MARKUP = re.compile(r"<(svg|rect|line|path|polygon|circle|text|g)[\s>/]")


def violations(path: Path, source: str | None = None) -> list[str]:
    name, out = module_name(path), []
    own = layer(name)
    source = path.read_text() if source is None else source
    for line, mod in imports(path, source):
        for bad in FORBIDDEN.get(own, ()):
            if mod == bad or mod.startswith(bad + "."):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {own} module {name} imports {mod}")
        top = mod.split(".")[0]
        if top in ONLY and not (name in ONLY[top] or own in ONLY[top]):
            who = f"only {' and '.join(ONLY[top])} may" if ONLY[top] else "no module may"
            out.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name} imports {top} ({who})")
    if own == "views":
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LIVE_CALLS):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: view module {name} "
                           f"calls .{node.func.attr}(): views take plain records")
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and SVG_MARKUP.search(node.value)):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: view module {name} "
                           f"draws SVG: pictures are the page's (frontend)")
    if own == "states":
        tree = ast.parse(source)
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and MARKUP.search(node.value) and id(node) not in docs):
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: states module {name} "
                           f"writes markup: records are drawn by the page")
    return out


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_flow_one_way(path):
    assert violations(path) == []


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_at_the_top_and_a_docstring(path):
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    # an optional import (try: import x / except ImportError: x = None) counts as an import
    optional = [n for n in tree.body if isinstance(n, ast.Try)
                and all(isinstance(b, (ast.Import, ast.ImportFrom)) for b in n.body)
                and all(ast.unparse(h.type or ast.Name("")) in ("ImportError", "ModuleNotFoundError")
                        for h in n.handlers)]
    top = set(tree.body) | {b for n in optional for b in n.body}
    late = [n.lineno for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
            and n not in top]
    assert late == [], f"{path.name}: imports inside functions or blocks at lines {late}"
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    seen_code = False
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or node in optional:
            assert not seen_code, f"{path.name}:{node.lineno}: import after code"
        elif not (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)):
            seen_code = True


def test_the_checker_sees_every_layer():
    layers = {layer(module_name(p)) for p in MODULES}
    assert layers == {None, "model", *LAYERS}


@pytest.mark.parametrize("where, source, complaint", [
    ("role.py", "from .views.common import esc\n", "model module shadowmmu.role imports shadowmmu.views.common"),
    ("role.py", "from . import frontend\n", "imports shadowmmu.frontend"),
    ("sim/guest.py", "from ..scenarios import small\n", "sim module shadowmmu.sim.guest imports shadowmmu.scenarios"),
    ("scenarios/small.py", "import shadowmmu.views\n", "imports shadowmmu.views"),
    ("views/fault.py", "from ..sim.mmu import ShadowMMU\n", "imports shadowmmu.sim.mmu"),
    ("views/fault.py", "import ipywidgets as W\n", "imports ipywidgets"),
    ("views/rules.py", "from ..exhaustive import RuleCheck\n", "imports shadowmmu.exhaustive"),
    ("views/whole_guest.py", "def rows(guest, cr3):\n    return list(guest.mappings(cr3))\n",
     "calls .mappings(): views take plain records"),
    ("address.py", "import numpy as np\n", "imports numpy (only shadowmmu.exhaustive may)"),
    ("views/whole_guest.py", "import matplotlib\n", "imports matplotlib (no module may)"),
    ("views/splits.py", "BAR = '<rect x=\"0\" width=\"4\"/>'\n", "draws SVG: pictures are the page's"),
    ("bounded_read.py", "from .sim.guest import Guest\n", "model module shadowmmu.bounded_read imports shadowmmu.sim.guest"),
    ("sim/coherence.py", "from ..views.common import esc\n", "sim module shadowmmu.sim.coherence imports shadowmmu.views"),
    ("views/fault.py", "from ..sim.coherence import FlushWindow\n", "imports shadowmmu.sim.coherence"),
    ("frontend/explorers.py", "from ..sim.mmu import ShadowMMU\n", "frontend module shadowmmu.frontend.explorers imports shadowmmu.sim.mmu"),
    ("frontend/explorers.py", "from ..scenarios import small\n", "imports shadowmmu.scenarios"),
    ("frontend/explorers.py", "from ..views.common import esc\n", "imports shadowmmu.views.common"),
    ("palette.py", "from .frontend import viewdata\n", "model module shadowmmu.palette imports shadowmmu.frontend"),
    ("views/common.py", "from ..frontend.viewdata import explorer_tables\n", "imports shadowmmu.frontend.viewdata"),
    ("states/space.py", "from ..views.common import esc\n", "states module shadowmmu.states.space imports shadowmmu.views"),
    ("states/space.py", "import anywidget\n", "imports anywidget"),
    ("states/space.py", "ROW = '<tr><td>x</td></tr>'\n", "writes markup"),
    ("states/space.py", "def f():\n    'a <b>doc</b>'\n    return '<b>bold</b>'\n", "writes markup"),
    ("scenarios/small.py", "from ..states import space\n", "imports shadowmmu.states"),
    ("sim/mmu.py", "from ..states.space import state_key\n", "imports shadowmmu.states"),
    ("frontend/simexplorer.py", "from ..scenarios.small import small_guest\n", "imports shadowmmu.scenarios"),
])
def test_a_planted_back_edge_is_caught(where, source, complaint):
    found = violations(PACKAGE / where, source)
    assert any(complaint in v for v in found), found


def test_allowed_arrows_pass():
    assert violations(PACKAGE / "views" / "fault.py", "from ..sim.events import TlbFlush\n") == []
    assert violations(PACKAGE / "frontend" / "explorers.py",
                      "import anywidget\nimport ipywidgets\nfrom ..exercises import make_exercise\n"
                      "from ..palette import PALETTE\n") == []
    assert violations(PACKAGE / "frontend" / "simexplorer.py", "from ..states.space import state_key\n") == []
    assert violations(PACKAGE / "states" / "space.py", "from ..scenarios.small import run_access\n"
                      "from ..sim.records import page_records\nNOTE = 'a < b and x > y'\n") == []
    assert violations(PACKAGE / "states" / "space.py", "'Records, not <table> markup.'\n") == []
