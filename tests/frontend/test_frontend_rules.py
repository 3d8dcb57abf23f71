"""House rules of the front-end room, checked: what its modules may import, and that the
node checks cannot be skipped in CI."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import shadowmmu.frontend

ROOM = Path(shadowmmu.frontend.__file__).resolve().parent
MODEL = {"consts", "address", "role", "rules", "writes", "exhaustive", "exercises", "palette"}
# viewdata hands the page plain data: model and palette only. explorers may also use the
# widget libraries and, for notebook 09's questions, the exercise engine (model code) and
# states.exercises (a seed's set as records: what the kernel and the page's own Python call).
# Neither imports views: the page draws its own pictures (draw.js) from the model's tables.
# The simulator explorers (simexplorer and every *_explorer module) take their records from
# states, which runs the simulator for them; they never import it themselves.
SIM_EXPLORER = MODEL | {"frontend", "states"}
ALLOWED = {"viewdata": MODEL, "assets": set(), "__init__": set(), "node": {"frontend"},
           "explorers": MODEL | {"frontend", "states"}, "simexplorer": SIM_EXPLORER,
           # a static figure: a drawing call (model: the address parser) or a states record
           "figures": MODEL | {"frontend", "states"}}
ALLOWED |= {p.stem: SIM_EXPLORER for p in ROOM.glob("*_explorer.py")}
SIMULATOR = {"guest", "mmu", "sim", "scenarios", "events", "snapshot"}


def shadowmmu_imports(path: Path) -> set[str]:
    """The shadowmmu modules a file imports (relative imports resolved one level up)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 2 or (node.module or "").startswith("shadowmmu."):
                names.add((node.module or "").removeprefix("shadowmmu.").split(".")[0])
            elif node.level == 1:
                names.add("frontend")
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("shadowmmu.")}
    return names


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_frontend_modules_import_only_what_they_may(name):
    got = shadowmmu_imports(ROOM / f"{name}.py")
    assert got <= ALLOWED[name], got - ALLOWED[name]
    assert not got & SIMULATOR


def test_every_frontend_module_is_covered():
    assert {p.stem for p in ROOM.glob("*.py")} == set(ALLOWED)


@pytest.mark.parametrize("ci, outcome", [("true", "error"), ("", "skipped")])
def test_node_checks_without_node_skip_locally_and_fail_in_ci(tmp_path, ci, outcome):
    env = {**os.environ, "PATH": str(tmp_path), "CI": ci}
    test = Path(__file__).with_name("test_node_model.py")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:nbval", "-o", "addopts=",
                           "-q", "-p", "no:cacheprovider", f"{test}::test_the_pages_rule_check_agrees_with_exhaustive"],
                          env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert f"1 {outcome}" in proc.stdout, proc.stdout[-1500:]
    assert "node checks need plain `node`" in proc.stdout or outcome == "skipped"
