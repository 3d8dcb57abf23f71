"""Light by default: the package, its CLI, the simulator, the scenarios and the states import
no numpy, matplotlib, ipywidgets or anywidget, and [project.dependencies] asks for none of them.

Each check runs in a fresh interpreter (sys.modules of this one holds everything the other
tests imported). The second check makes the four unimportable, as in a browser's Pyodide
with only the package's wheel: the states still compute their records there.
"""

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "matplotlib", "ipywidgets", "anywidget")
LIGHT = ("shadowmmu", "shadowmmu.__main__", "shadowmmu.sim", "shadowmmu.scenarios", "shadowmmu.states")


def _run(script: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _submodules(package: str) -> list[str]:
    root = REPO / package.replace(".", "/")
    return [package] + sorted(f"{package}.{p.stem}" for p in root.glob("*.py") if p.stem != "__init__")


def test_the_light_modules_import_nothing_heavy():
    names = [m for pkg in LIGHT[2:] for m in _submodules(pkg)] + list(LIGHT[:2])
    got = json.loads(_run(f"""
        import importlib, json, sys
        from shadowmmu.__main__ import main
        for name in {names!r}:
            importlib.import_module(name)
        main(["0xC0200000"])     # the CLI runs too
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """).splitlines()[-1])
    assert got == [], f"imported by the light modules: {got}"


def test_the_states_compute_their_records_with_the_heavy_packages_absent():
    """What the page's Pyodide worker runs: the same states functions the kernel calls."""
    out = _run(f"""
        import sys
        for name in {HEAVY!r}:
            sys.modules[name] = None             # import raises ImportError
        from shadowmmu.states import fault
        from shadowmmu.exhaustive import check_rule, NUMPY
        rec = fault.fault_record(fault.normalise_inputs({{"va": "0x12345678"}}))
        print(NUMPY, check_rule("halves", range(0, 1 << 32, 1 << 21)).wrong_pt, type(rec).__name__)
    """)
    assert out.split() == ["False", "1024", "dict"]


def test_pyproject_dependencies_hold_none_of_them():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {Requirement(r).name.lower() for r in project["dependencies"]}
    assert not names & set(HEAVY), names & set(HEAVY)
    extras = project["optional-dependencies"]
    assert {"explorers", "fast", "lab", "test"} <= set(extras)
    readme = (REPO / "README.md").read_text()
    for extra in extras:
        assert f"shadowmmu[{extra}]" in readme or f"[{extra}]" in readme, f"README does not name extra {extra!r}"
