"""The simulator explorers' shared protocol: keys, precomputed states, request/answer, the stepper.

The subclass here is a toy (a record per whole number 0..99) so that the
protocol is tested apart from any simulator; the explorers' own tests check
their records against the simulator. The JS half (sim.js) runs under node.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from shadowmmu.frontend.assets import esm_source
from shadowmmu.frontend.simexplorer import SimExplorer
from shadowmmu.states.space import canonical_json, check_record, state_key, state_space

from .conftest import NODE_TIMEOUT_S


class Squares(SimExplorer):
    key_fields = ("n", "neg")
    explorer_kind = "squares"
    record_kind = "square"
    record_schema = {"type": "object", "required": ["square"], "properties": {"square": {"type": "integer"}},
                     "additionalProperties": False}
    computed: list = []

    @staticmethod
    def check_inputs(inputs):
        n = inputs.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 99:
            raise ValueError(f"n must be a whole number in 0..99, got {n!r}")
        return {"n": n, "neg": bool(inputs.get("neg", False))}

    @staticmethod
    def make_record(inputs):
        Squares.computed.append(inputs["n"])
        return {"square": -inputs["n"] ** 2 if inputs["neg"] else inputs["n"] ** 2}

    def extra_spec(self):
        return {"largest": 99}


def test_keys_join_the_fields_in_order():
    assert state_key(("va", "write", "rule"), {"rule": "lai", "va": 16, "write": False}) == "16|0|lai"
    with pytest.raises(ValueError, match="lack write"):
        state_key(("va", "write"), {"va": 1})
    with pytest.raises(ValueError, match="bool, int or str"):
        state_key(("x",), {"x": 1.5})


def test_records_must_be_plain_json():
    check_record({"a": [1, "x", True, None, {"b": 2}]})
    for bad, where in (({"a": 1.5}, "record.a"), ({"a": (1, 2)}, "record.a"), ({1: 2}, "non-string key")):
        with pytest.raises(ValueError, match=where.replace(".", r"\.")):
            check_record(bad)


def test_the_state_space_is_computed_once_per_combination():
    space = state_space(("n",), lambda i: {"twice": 2 * i["n"]}, [{"n": 1}, {"n": 5}])
    assert space == {"1": {"twice": 2}, "5": {"twice": 10}}
    assert canonical_json({"b": 1, "a": [2]}) == '{"a":[2],"b":1}'


def test_precomputed_states_and_a_request_for_another_input():
    x = Squares({"n": 3}, space=[{"n": 1}, {"n": 2, "neg": True}])
    assert set(x.states) == {"1|0", "2|1", "3|0"}
    assert x.states["2|1"] == {"square": -4}
    assert x.spec["key_fields"] == ["n", "neg"] and x.kind == "squares" and x.spec["largest"] == 99
    x.request = {"id": "js-1", "inputs": {"n": 7, "neg": False}}
    assert x.answer == {"id": "js-1", "key": "7|0", "inputs": {"n": 7, "neg": False}, "record": {"square": 49}}
    assert x.inputs == {"n": 7, "neg": False} and x.record == {"square": 49}
    before = len(Squares.computed)
    x.request = {"id": "js-2", "inputs": {"n": 1, "neg": False}}  # precomputed: not computed again
    assert len(Squares.computed) == before and x.answer["record"] == {"square": 1}


def test_a_bad_request_is_answered_with_the_reason_and_changes_nothing():
    x = Squares({"n": 3})
    x.request = {"id": "js-9", "inputs": {"n": 100}}
    assert x.answer == {"id": "js-9", "error": "n must be a whole number in 0..99, got 100"}
    assert x.inputs == {"n": 3, "neg": False}


def test_show_from_python_tells_the_page():
    x = Squares({"n": 3})
    x.show(n=4, neg=True)
    assert x.answer["id"].startswith("py-") and x.answer["record"] == {"square": -16}
    with pytest.raises(ValueError, match="0..99"):
        x.show(n=-1)
    assert x.inputs == {"n": 4, "neg": True}


_NODE_MAIN = """
import * as M from "./sim.mjs";
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const keys = job.inputs.map((i) => M.stateKey(job.fields, i));
const steps = [{}, {}, { predict: { answer: 3 } }, {}, { predict: { answer: 1 } }];
const s = M.stepper(steps);
const log = [];
const snap = (what) => log.push([what, s.at, s.asking]);
s.next(); snap("next");          // to step 1
s.next(); snap("next");          // step 2 asks first
s.next(); snap("next blocked");  // no skipping a question
log.push(["answer", s.answer(0)]); snap("after answer");
s.prev(); s.next(); snap("back and forth: not asked again");
s.next(); s.next(); snap("asks at 4");
s.prev(); snap("backed out of the question");
s.toEnd(); snap("to end");
log.push(["verdict 4", s.verdict(4).verdict]);
process.stdout.write(JSON.stringify({ keys, log }));
"""


def test_the_page_names_states_like_python_and_steps_as_documented(node, tmp_path):
    fields = ("va", "write", "rule")
    inputs = [{"va": v, "write": w, "rule": r} for v in (0, 1, 0xDEADBEEF, 0xFFFFFFFF)
              for w in (False, True) for r in ("mainline", "lai")]
    (tmp_path / "sim.mjs").write_text(esm_source("fault"))
    (tmp_path / "main.mjs").write_text(_NODE_MAIN)
    (tmp_path / "job.json").write_text(json.dumps({"fields": fields, "inputs": inputs}))
    proc = subprocess.run([node, str(tmp_path / "main.mjs"), str(tmp_path / "job.json")],
                          capture_output=True, text=True, timeout=NODE_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["keys"] == [state_key(fields, i) for i in inputs]
    assert out["log"] == [
        ["next", 1, None], ["next", 1, 2], ["next blocked", 1, 2], ["answer", "wrong"],
        ["after answer", 2, None], ["back and forth: not asked again", 2, None],
        ["asks at 4", 3, 4], ["backed out of the question", 3, None], ["to end", 4, None],
        ["verdict 4", "shown"]]
