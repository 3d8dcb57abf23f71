"""environment.yml and pyproject.toml describe one environment; CI and README agree on `make test`:

    pyproject.toml  [project.dependencies] + extras "lab", "test"   (pip)
                    (and the extras they name: shadowmmu[explorers,fast])
    environment.yml dependencies (conda-forge) + pip: [-e .]        (conda)

The two lists must name the same packages with the same bounds, and the pinned Python
must satisfy requires-python. environment.yml is read by a small line parser (the file
uses only a mapping of scalars and lists), so this test adds no YAML dependency.
"""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
EXTRAS = ("lab", "test")
# pip name -> conda-forge name, where they differ (none today; e.g. "torch": "pytorch").
CONDA_NAMES: dict[str, str] = {}
# conda entries that are tooling, not project dependencies: nodejs runs the front end's
# tests and `make site` (npm), which pip cannot install.
CONDA_ONLY = {"python", "pip", "nodejs"}


def normalise(name: str) -> str:
    """PEP 503: case and runs of -_. do not matter (jupyterlab_widgets == jupyterlab-widgets)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_environment(path: Path) -> dict:
    """The parts of environment.yml we use: name, channels, conda specs, pip lines:

        >>> env = read_environment(REPO / "environment.yml")   # doctest: +SKIP
        >>> env["pip"]
        ['-e .']
    """
    env = {"name": None, "channels": [], "conda": [], "pip": []}
    section, pip_indent = None, None
    for raw in path.read_text().splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == 0:
            key, _, value = text.partition(":")
            section, pip_indent = key.strip(), None
            if section == "name":
                env["name"] = value.strip()
            continue
        assert text.startswith("- "), f"environment.yml: unsupported line {raw!r}"
        item = text[2:].strip()
        if section == "channels":
            env["channels"].append(item)
        elif section == "dependencies":
            if item == "pip:":
                pip_indent = indent
            elif pip_indent is not None and indent > pip_indent:
                env["pip"].append(item)
            else:
                pip_indent = None
                env["conda"].append(item)
    return env


def conda_spec(entry: str) -> tuple[str, str]:
    """'nbval>=0.11,<0.12' -> ('nbval', '>=0.11,<0.12'); 'python=3.11' -> ('python', '=3.11')."""
    m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry)
    assert m, f"environment.yml: cannot read {entry!r}"
    return m.group(1), m.group(2).replace(" ", "")


def expand(project: dict, extras) -> list[Requirement]:
    """The requirements of these extras, an extra naming shadowmmu[other,...] expanded."""
    out, todo, seen = [], list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for r in map(Requirement, project["optional-dependencies"][extra]):
            if normalise(r.name) == normalise(project["name"]):
                todo += sorted(r.extras)
            else:
                out.append(r)
    return out


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]] + expand(project, EXTRAS)
    out: dict[str, str] = {}
    for r in reqs:
        name = normalise(CONDA_NAMES.get(normalise(r.name), r.name))
        spec = ",".join(sorted(str(s) for s in r.specifier))
        assert out.get(name, spec) == spec, f"pyproject.toml: {r.name} listed with two bounds"
        out[name] = spec
    return out


def environment_requirements() -> dict[str, str]:
    env = read_environment(REPO / "environment.yml")
    out = {}
    for entry in env["conda"]:
        name, spec = conda_spec(entry)
        if normalise(name) not in CONDA_ONLY:
            out[normalise(name)] = ",".join(sorted(s for s in spec.split(",") if s))
    return out


def test_environment_yml_lists_the_pyproject_packages():
    pip, conda = set(pyproject_requirements()), set(environment_requirements())
    assert conda == pip, (f"only in pyproject.toml: {sorted(pip - conda)}; "
                          f"only in environment.yml: {sorted(conda - pip)}")


def test_environment_yml_has_the_same_bounds():
    pip, conda = pyproject_requirements(), environment_requirements()
    differ = {n: (pip[n], conda[n]) for n in pip.keys() & conda.keys() if pip[n] != conda[n]}
    assert not differ, f"bounds differ (pyproject, environment.yml): {differ}"


def test_environment_yml_pins_a_python_that_requires_python_allows():
    env = read_environment(REPO / "environment.yml")
    pythons = [conda_spec(e)[1] for e in env["conda"] if conda_spec(e)[0] == "python"]
    assert len(pythons) == 1 and re.fullmatch(r"=\d+\.\d+", pythons[0]), (
        f"environment.yml must pin python explicitly as python=X.Y, found {pythons}")
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(pythons[0][1:]) in SpecifierSet(requires), (
        f"python{pythons[0]} does not satisfy requires-python {requires!r}")


def test_environment_yml_is_conda_forge_and_installs_the_checkout():
    env = read_environment(REPO / "environment.yml")
    assert env["channels"] == ["conda-forge"]
    assert env["pip"] == ["-e ."]
    assert "pip" in [conda_spec(e)[0] for e in env["conda"]], "pip: needs pip itself listed"


def test_environment_yml_lists_nodejs_and_says_it_installs_this_checkout():
    env = read_environment(REPO / "environment.yml")
    assert "nodejs" in [conda_spec(e)[0] for e in env["conda"]], "environment.yml must list nodejs (npm, node tests)"
    text = (REPO / "environment.yml").read_text()
    assert "from a checkout" in text and "root" in text, "environment.yml must say it runs from a checkout's root"


def test_an_extra_naming_another_is_expanded():
    project = {"name": "shadowmmu", "optional-dependencies": {
        "a": ["x>=1"], "b": ["shadowmmu[a]", "y"], "c": ["shadowmmu[b,a]"]}}
    assert sorted(str(r) for r in expand(project, ["c"])) == ["x>=1", "y"]


def test_ci_runs_make_test():
    commands = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
    assert any(re.match(r"(exec\s+)?make\s+test\b", c) for c in commands), commands


def test_readme_names_the_two_commands():
    readme = (REPO / "README.md").read_text()
    for command in ("make test", "make lab"):
        assert command in readme, f"README.md does not mention `{command}`"


def test_ci_checks_the_installed_wheel():
    commands = [ln.split("#")[0].strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "make wheel-check" in commands, commands
    makefile = (REPO / "Makefile").read_text()
    assert "wheel-check:" in makefile and "tools/wheel_smoke.py" in makefile
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-data"]["shadowmmu.data"] == ["README.md", "*.json.xz"]
