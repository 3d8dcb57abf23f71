"""The committed bundles are what tools/build_js.mjs makes from js/ today, and each is a
module a widget can load: one file, no imports, render() and a default export.

The bundles are committed so that ``pip install`` never needs node; this test is what
keeps them honest: it rebuilds every bundle with the pinned esbuild (package-lock.json)
in a temporary directory and compares bytes. After editing js/, run
``node tools/build_js.mjs`` and commit the bundles with the sources.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shadowmmu.frontend.assets import BUNDLE_NAMES, BUNDLES, SOURCES, bundle_path, esm_source

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tools" / "build_js.mjs"
ESBUILD = ROOT / "node_modules" / "esbuild"


def build(node: str, out: Path) -> None:
    proc = subprocess.run([node, str(BUILD), str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def esbuild(node):
    if not ESBUILD.is_dir():
        pytest.skip("esbuild is not installed: run `npm ci --ignore-scripts` (make test does)")
    return node


def stale(fresh: Path) -> list[str]:
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(f"{n}.mjs" for n in BUNDLE_NAMES), names
    return [n for n in names if (fresh / n).read_bytes() != (BUNDLES / n).read_bytes()]


def test_the_committed_bundles_are_fresh(esbuild, tmp_path):
    build(esbuild, tmp_path / "bundle")
    assert not stale(tmp_path / "bundle"), "stale bundles: run `node tools/build_js.mjs` and commit"


def test_an_edited_source_makes_its_bundle_stale(esbuild, tmp_path):
    """The check can fail: a copy of the tree with one source edited rebuilds to other bytes."""
    copy = tmp_path / "tree"
    shutil.copytree(SOURCES, copy / "shadowmmu" / "frontend" / "js")
    (copy / "tools").mkdir()
    shutil.copy(BUILD, copy / "tools" / "build_js.mjs")
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    svg = copy / "shadowmmu" / "frontend" / "js" / "svg.js"
    planted = '.replace(/&/g, "&amp;")'
    assert svg.read_text().count(planted) == 1
    svg.write_text(svg.read_text().replace(planted, '.replace(/&/g, "&#38;")'))
    proc = subprocess.run([esbuild, str(copy / "tools" / "build_js.mjs"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=copy)
    assert proc.returncode == 0, proc.stderr
    # every bundle writes text with svg.js's esc(), so every one changes
    assert stale(tmp_path / "out") == sorted(f"{n}.mjs" for n in BUNDLE_NAMES)


@pytest.mark.parametrize("name", BUNDLE_NAMES)
def test_each_bundle_is_one_module_a_widget_can_load(name):
    text = esm_source(name)
    assert bundle_path(name).suffix == ".mjs"
    assert not re.search(r"\bimport\b", text), "a bundle resolves all its imports"
    exports = re.search(r"export\{([^}]*)\};\s*$", text).group(1)
    assert re.search(r"\b\w+ as default\b", exports) and re.search(r"(^|,)render(,|$)", exports)
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing from a CDN


def test_no_helper_is_defined_twice_in_the_sources():
    """Each top-level function name is defined in one module of js/ only (but render(), which
    every explorer module defines for its entry)."""
    seen: dict[str, str] = {}
    for path in sorted(SOURCES.rglob("*.js")):
        for name in re.findall(r"^(?:export )?(?:async )?function (\w+)", path.read_text(), re.M):
            if name == "render":
                continue
            assert name not in seen, f"{name} is defined in {seen[name]} and {path.name}"
            seen[name] = path.name


def test_bad_bundle_name_is_refused():
    with pytest.raises(ValueError, match="no front-end bundle 'nope'; the bundles are address, fault"):
        bundle_path("nope")
