"""Run the page's own drawing functions under node, for the static pictures in notebook outputs.

Static readers (GitHub, nbviewer) cannot run widgets, so every explorer's
output also carries ``image/svg+xml``: its current state drawn by the *same* ES
module function the page uses, run by ``node`` on the very bundle the widget
loads (``assets.bundle_path``). One drawing code, so the static picture cannot drift from the live
one; node must be on PATH when the notebooks are built (it is, for ``make
notebooks`` and CI). Without node, ``node_call`` returns None and the output
simply has no SVG.

Knows: the bundles' names and the node command line. Does not know
what is drawn.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from .assets import bundle_path

NODE_TIMEOUT_S = 30
_MAIN = """
import { pathToFileURL } from "node:url";
let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const job = JSON.parse(input);
const M = await import(pathToFileURL(job.module).href);
const f = M[job.function];
if (typeof f !== "function") throw new Error(`no exported function ${job.function}`);
if (job.check !== null) {  // the record contract, checked by the page's own validator (schema.js)
  for (const args of job.calls) {
    const spec = args[1], problem = M.recordProblem(spec.record_kind, spec.schema, args[job.check]);
    if (problem) throw new Error(problem);
  }
}
process.stdout.write(JSON.stringify(job.calls.map((args) => f(...args))));
"""


def node_call(bundle: str, function: str, calls: list[list], check_record: int | None = None) -> list | None:
    """``function(*args)`` for each args list of ``calls``, exported by the widget bundle
    ``bundle`` (``assets.BUNDLE_NAMES``), run by node (one process for all calls); the
    results, or None without node. With ``check_record=N``, argument N of each call is a
    record that the page's validator checks first against the schema in argument 1 (a
    simulator explorer's spec); a record that does not fit raises RuntimeError."""
    node = shutil.which("node")
    if node is None:
        return None
    job = json.dumps({"module": str(bundle_path(bundle)), "function": function, "calls": calls,
                      "check": check_record})
    proc = subprocess.run([node, "--input-type=module", "-e", _MAIN], input=job,
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
