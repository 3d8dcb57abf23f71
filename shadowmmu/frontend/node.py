"""Run the page's own drawing functions under node, for the static pictures in notebook outputs.

Static readers (GitHub, nbviewer) cannot run widgets, so every explorer's
output also carries ``image/svg+xml``: its current state drawn by the *same* ES
module function the page uses, run by ``node`` on the joined modules of
``assets``. One drawing code, so the static picture cannot drift from the live
one; node must be on PATH when the notebooks are built (it is, for ``make
notebooks`` and CI). Without node, ``node_call`` returns None and the output
simply has no SVG.

Knows: file names of the ES modules and the node command line. Does not know
what is drawn.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .assets import esm_source

NODE_TIMEOUT_S = 30
_MAIN = """
import * as M from "./modules.mjs";
let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const f = M[job.function];
if (typeof f !== "function") throw new Error(`no exported function ${job.function}`);
process.stdout.write(JSON.stringify(job.calls.map((args) => f(...args))));
"""


@lru_cache(maxsize=None)
def _module_dir(modules: tuple[str, ...]) -> Path | None:
    if shutil.which("node") is None:
        return None
    d = Path(tempfile.mkdtemp(prefix="smmu-static-"))
    (d / "modules.mjs").write_text(esm_source(modules), encoding="utf-8")
    (d / "main.mjs").write_text(_MAIN, encoding="utf-8")
    return d


def node_call(modules: tuple[str, ...], function: str, calls: list[list]) -> list | None:
    """``function(*args)`` for each args list of ``calls``, exported by the joined ``modules``,
    run by node (one process for all calls); the results, or None without node."""
    d = _module_dir(tuple(modules))
    if d is None:
        return None
    job = json.dumps({"function": function, "calls": calls})
    proc = subprocess.run([shutil.which("node") or "node", str(d / "main.mjs")], input=job,
                          capture_output=True, text=True, timeout=NODE_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"node could not draw the static picture: {proc.stderr[-800:]}")
    return json.loads(proc.stdout)


def stack_svgs(svgs: list[str]) -> str | None:
    """Several SVG pictures one under another, in one SVG (each needs width= and height=)."""
    if not svgs:
        return None
    body, y, width = "", 0, 0
    for svg in svgs:
        w, h = (int(float(svg.split(f'{k}="', 1)[1].split('"', 1)[0])) for k in ("width", "height"))
        body += svg.replace("<svg ", f'<svg x="0" y="{y}" ', 1)
        y, width = y + h + 8, max(width, w)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {y}" width="{width}" '
            f'height="{y}">{body}</svg>')
