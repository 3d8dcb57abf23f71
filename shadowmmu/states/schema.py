"""The record contract: one JSON Schema per record kind, and the small validator that checks it.

Each record kind the explorers draw has a schema file in ``schemas/`` (package data):
``fault`` (06), ``write`` (07), ``whole_guest`` (08), ``real_probe`` and ``cr3_switch``
(10). Python checks every record it makes against its kind's schema (precomputed or
live, ``frontend.simexplorer``), and the page checks it again before drawing it
(``frontend/js/schema.js``, the same rules in JS), so a field the drawing reads cannot
go missing or change type unseen.

The base install has no runtime dependency, so this is not ``jsonschema``: it is the
subset of JSON Schema (draft 2020-12) the schema files use, and nothing else:
``type`` (a name or a list), ``properties``, ``required``, ``additionalProperties``
(``false`` or a schema), ``items``, ``enum``, ``minimum``, ``$defs`` and local ``$ref``
(``#/$defs/NAME``). A keyword outside the subset is refused when a schema is loaded, so
the two validators cannot silently ignore a rule. ``tests/explorer_records/test_schema.py`` checks
both against ``jsonschema`` on every precomputed record and on planted bad ones.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
KINDS = ("fault", "write", "whole_guest", "real_probe", "cr3_switch")
#: The keywords the validators know; a schema using any other is refused.
KEYWORDS = frozenset({"$schema", "$id", "title", "description", "type", "properties", "required",
                      "additionalProperties", "items", "enum", "minimum", "$defs", "$ref"})
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


class RecordError(ValueError):
    """A record that does not fit its kind's schema; the message names the path and the rule."""


def _check_keywords(schema, where: str) -> None:
    if not isinstance(schema, dict):
        return
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise ValueError(f"schema {where} uses {sorted(unknown)}, outside the subset the validators know "
                         f"({', '.join(sorted(KEYWORDS))})")
    for k, sub in (schema.get("properties") or {}).items():
        _check_keywords(sub, f"{where}.properties.{k}")
    for k, sub in (schema.get("$defs") or {}).items():
        _check_keywords(sub, f"{where}.$defs.{k}")
    for k in ("items", "additionalProperties"):
        _check_keywords(schema.get(k), f"{where}.{k}")


@lru_cache(maxsize=None)
def load_schema(kind: str) -> dict:
    """The schema of one record kind (a dict; do not change it)."""
    if kind not in KINDS:
        raise ValueError(f"no record schema {kind!r}; the kinds are {', '.join(KINDS)}")
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))
    _check_keywords(schema, kind)
    return schema


def _is_type(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def errors(schema: dict, value, path: str = "record", root: dict | None = None) -> list[str]:
    """Every way value breaks schema, each as "PATH: what is wrong" (empty: it fits)."""
    root = schema if root is None else root
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return errors(root["$defs"][name], value, path, root)
    out: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, t) for t in names):
            return [f"{path}: is {_json_type(value)}, not {' or '.join(names)}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {_js(value)} is not one of {_js(schema['enum'])}")
    if "minimum" in schema and _is_type(value, "number") and value < schema["minimum"]:
        out.append(f"{path}: {value} is below the minimum {schema['minimum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{path}: has no {_js(k)}" for k in schema.get("required", ()) if k not in value]
        extra = schema.get("additionalProperties", True)
        for k, v in value.items():
            if k in props:
                out += errors(props[k], v, f"{path}.{k}", root)
            elif extra is False:
                out.append(f"{path}: has {_js(k)}, which the schema does not name")
            elif isinstance(extra, dict):
                out += errors(extra, v, f"{path}.{k}", root)
    if isinstance(value, list) and "items" in schema:
        for n, v in enumerate(value):
            out += errors(schema["items"], v, f"{path}[{n}]", root)
    return out


def _js(value) -> str:
    """A value as JSON.stringify writes it (so Python's and JS's messages are the same words)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _json_type(value) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def check_record(kind: str, record, where: str = "record", schema: dict | None = None) -> None:
    """Raise RecordError (naming the first few problems) unless record fits its kind's schema
    (or ``schema``, for a kind that is not one of the package's)."""
    problems = errors(load_schema(kind) if schema is None else schema, record, where)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise RecordError(f"{kind} record does not fit its schema: {'; '.join(problems[:3])}{more}")
