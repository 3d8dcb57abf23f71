"""Fixtures for the front-end tests: plain `node` (no npm packages) and the joined ES module.

No node on this machine? The node checks skip with a message saying how to get
it, unless CI=true, where they fail: in CI the JS arithmetic must be checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from shadowmmu.frontend.assets import esm_source
from shadowmmu.frontend.viewdata import explorer_tables

HERE = Path(__file__).resolve().parent
NODE_CHECKS = HERE / "node_checks.mjs"
NODE_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        message = "node checks need plain `node` (apt-get install nodejs); none on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true makes them mandatory")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def js_dir(tmp_path_factory) -> Path:
    """A directory holding the tables as JSON and the model module as the page ships it."""
    d = tmp_path_factory.mktemp("js")
    (d / "tables.json").write_text(json.dumps(explorer_tables()))
    (d / "model.mjs").write_text(esm_source("address"))
    return d


def run_node(node: str, module: Path, tables: Path, mode: str, infile: Path, outfile: Path) -> None:
    """node_checks.mjs on one module; raises with node's stderr if it fails."""
    proc = subprocess.run([node, str(NODE_CHECKS), str(module), str(tables), mode, str(infile),
                           str(outfile)], capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    if proc.returncode != 0:
        raise AssertionError(f"node failed ({proc.returncode}): {proc.stderr[-2000:]}")
