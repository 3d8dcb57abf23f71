"""A record the page's own Python answers meets the same contract as any other (node).

sim.js's simHost with no kernel and a stand-in page Python (the client pyodide_host.js
would make, on globalThis): a record that fits its schema is drawn; one that does not is
never drawn, the status is "error" with the words Python's schema.check_record uses, and
the picture (the last record drawn) stays.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from shadowmmu.frontend.assets import bundle_path
from shadowmmu.states.schema import RecordError, check_record

from .conftest import NODE_TIMEOUT_S

SCHEMA = {"type": "object", "required": ["square"], "properties": {"square": {"type": "integer"}},
          "additionalProperties": False}
BAD = {"square": "nine"}

_MAIN = """
import { simHost } from "BUNDLE";
const [schema, bad] = JSON.parse(process.argv[2]);
const log = [];
globalThis.__shadowmmuPython = {           // the page's Python, as pyodide_host.js's client
  ready: true,
  ask: async (req) => ({ key: String(req.inputs.n), inputs: req.inputs,
                         record: req.inputs.n === 3 ? bad : { square: req.inputs.n ** 2 } }),
};
const values = { spec: { key_fields: ["n"], record_kind: "square", schema, python: { check: "c", record: "r" } },
                 states: {}, inputs: { n: 0 } };
const model = {
  widget_manager: { kernel: null },         // a static page: no kernel
  get: (k) => values[k], set: (k, v) => { values[k] = v; }, on() {}, off() {},
  save_changes() { throw new Error("no kernel"); },
};
const host = simHost(model, {
  onState: (rec, inputs, key) => log.push(["drawn", key, rec]),
  onStatus: (kind, text) => { if (kind === "error") log.push(["error", text]); },
});
const settle = () => new Promise((r) => setTimeout(r, 0));
for (const n of [2, 3]) { host.select({ n }); await settle(); }
process.stdout.write(JSON.stringify({ log, inputs: values.inputs }));
"""


def test_a_record_from_the_page_python_that_does_not_fit_is_not_drawn(node, tmp_path):
    main = tmp_path / "main.mjs"
    main.write_text(_MAIN.replace("BUNDLE", bundle_path("fault").as_uri()))
    proc = subprocess.run([node, str(main), json.dumps([SCHEMA, BAD])],
                          capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    with pytest.raises(RecordError) as refused:        # the oracle: Python's words for it
        check_record("square", BAD, "state 3", SCHEMA)
    assert out["log"] == [["drawn", "2", {"square": 4}], ["error", str(refused.value)]]
    assert out["inputs"] == {"n": 2}                   # the refused input is not shown as current
