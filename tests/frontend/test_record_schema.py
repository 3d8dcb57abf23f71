"""The record contract: every record kind's schema, checked by Python (states.schema) and by
the page (js/schema.js), against jsonschema as the independent oracle.

Every precomputed record of every simulator explorer must fit its schema by all three
validators; planted bad records (a field gone, a type changed, a field the schema does
not name, a value outside an enum or below a minimum) must be refused by all three,
and Python and JS must say the same words. A simulator explorer refuses to make, and
node refuses to draw, a record that does not fit.
"""

from __future__ import annotations

import copy
import json
import subprocess

import jsonschema
import pytest

from shadowmmu.frontend.assets import bundle_path
from shadowmmu.frontend.fault_explorer import FaultExplorer, page_fault_explorer
from shadowmmu.frontend.node import NODE_TIMEOUT_S
from shadowmmu.frontend.real_guest_explorer import cr3_switch_explorer, real_guest_explorer
from shadowmmu.frontend.whole_guest_explorer import whole_guest_explorer
from shadowmmu.frontend.writes_explorer import guest_write_explorer
from shadowmmu.states.schema import KINDS, RecordError, check_record, errors, load_schema

BUILDERS = {"fault": page_fault_explorer, "write": guest_write_explorer, "whole_guest": whole_guest_explorer,
            "real_probe": real_guest_explorer, "cr3_switch": cr3_switch_explorer}


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    out = {}
    for kind, build in BUILDERS.items():
        x = build()
        assert x.record_kind == kind and x.spec["schema"] == load_schema(kind)
        out[kind] = list(x.states.values())
    return out


def _plants(kind: str, record: dict) -> list[tuple[str, dict]]:
    """Bad copies of a good record, each broken one way, with what was done (by hand)."""
    schema = load_schema(kind)
    first = schema["required"][0]
    out = []
    r = copy.deepcopy(record); del r[first]; out.append((f"no {first}", r))
    r = copy.deepcopy(record); r["inputs" if "inputs" in r else first] = "text"; out.append(("type", r))
    r = copy.deepcopy(record); r["pixels"] = 3; out.append(("unnamed field", r))
    ints = [k for k, s in schema["properties"].items() if s.get("type") == "integer" and s.get("minimum") == 0]
    if ints:
        r = copy.deepcopy(record); r[ints[0]] = -1; out.append((f"{ints[0]} < 0", r))
    return out


ENUM_PLANTS = {"fault": ("inputs", "before", "stale"), "write": ("inputs", "table", "pte"),
               "whole_guest": ("verdict", "verdict", "maybe"), "real_probe": ("qemu", "asked", "perhaps")}


def test_the_schemas_are_json_schema_and_use_only_the_subset():
    for kind in KINDS:
        jsonschema.Draft202012Validator.check_schema(load_schema(kind))
    with pytest.raises(ValueError, match="no record schema 'tree'; the kinds are fault, write"):
        load_schema("tree")


def test_every_precomputed_record_fits_by_python_and_by_jsonschema(records):
    counts = {}
    for kind, recs in records.items():
        v = jsonschema.Draft202012Validator(load_schema(kind))
        for r in recs:
            assert errors(load_schema(kind), r) == [], kind
            assert v.is_valid(r), (kind, next(v.iter_errors(r)).message)
        counts[kind] = len(recs)
    assert counts == {"fault": 64, "write": 62, "whole_guest": 48, "real_probe": 66, "cr3_switch": 24}


def _node_errors(node: str, jobs: list[tuple[dict, object]], tmp_path) -> list[list[str]]:
    (tmp_path / "jobs.json").write_text(json.dumps([[s, v] for s, v in jobs]))
    main = (f'import {{ readFileSync }} from "node:fs"; import {{ schemaErrors }} from "{bundle_path("fault").as_uri()}";'
            f'const jobs = JSON.parse(readFileSync("{(tmp_path / "jobs.json").as_posix()}", "utf8"));'
            'process.stdout.write(JSON.stringify(jobs.map(([s, v]) => schemaErrors(s, v))));')
    proc = subprocess.run([node, "--input-type=module", "-e", main], capture_output=True, text=True,
                          timeout=NODE_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_planted_bad_records_fail_all_three_validators_with_the_same_words(records, node, tmp_path):
    jobs, expect = [], []
    for kind, recs in records.items():
        schema = load_schema(kind)
        for r in recs[:: max(1, len(recs) // 4)]:
            jobs.append((schema, r))
            expect.append((kind, "good"))
            for what, bad in _plants(kind, r):
                jobs.append((schema, bad))
                expect.append((kind, what))
            if kind in ENUM_PLANTS:
                outer, name, value = ENUM_PLANTS[kind]
                bad = copy.deepcopy(r); bad[outer][name] = value
                jobs.append((schema, bad))
                expect.append((kind, f"enum {name}"))
    got_js = _node_errors(node, jobs, tmp_path)
    planted = 0
    for (schema, value), (kind, what), js in zip(jobs, expect, got_js):
        py = errors(schema, value)
        oracle = jsonschema.Draft202012Validator(schema).is_valid(value)
        assert py == js, (kind, what)
        if what == "good":
            assert py == [] and oracle, kind
        else:
            planted += 1
            assert py and not oracle, (kind, what)
    assert planted >= 5 * 4 * 3


def test_the_messages_name_the_path_and_the_rule(records):
    r = copy.deepcopy(records["write"][0])
    r["inputs"]["table"] = "pte"
    del r["steps"][0]["title"]
    with pytest.raises(RecordError) as err:
        check_record("write", r, "state x")
    assert str(err.value) == ('write record does not fit its schema: state x.inputs.table: "pte" is not one of '
                              '["pt","pd","freed_pd"]; state x.steps[0]: has no "title"')


def test_an_explorer_refuses_to_make_a_record_that_does_not_fit(monkeypatch):
    good = FaultExplorer.make_record
    monkeypatch.setattr(FaultExplorer, "make_record", staticmethod(lambda i: {**good(i), "gpa": "0x1000"}))
    with pytest.raises(RecordError, match=r"fault record does not fit its schema: state [^:]+\.gpa: is string, "
                                          r"not integer or null"):
        page_fault_explorer(0x1000, space=[])


def test_node_refuses_to_draw_a_record_that_does_not_fit(node):
    x = page_fault_explorer(space=[])
    x.states[x.key] = {**x.record, "steps": None}
    with pytest.raises(RuntimeError, match=r"fault record does not fit its schema: record\.steps: is null, not array"):
        x.static_svg()
