"""Input keys and state spaces: the precomputed records a page without a kernel looks up.

A simulator explorer's reader sets a few inputs (an address, "write access", a
rule...). Its record is a pure function of those inputs, so a page with no
kernel can still answer for every input combination that was computed ahead of
time. ``state_key()`` names a combination the same way here and in the page
(``sim.js`` joins the same fields with the same formatting), and
``state_space()`` computes the records of a list of combinations:

    >>> state_key(("va", "write"), {"va": 0xDEADBEEF, "write": True})
    '3735928559|1'
    >>> space = state_space(("n",), lambda i: {"square": i["n"] ** 2}, [{"n": 2}, {"n": 3}])
    >>> space["3"]
    {'square': 9}

``canonical_json()`` is the one serialisation the tests compare byte for byte.
Knows: JSON. Does not know the simulator, HTML or widgets.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable, Mapping, Sequence

#: The only value types a record may hold (after dicts and lists).
SCALARS = (int, str, bool, type(None))


def key_part(value) -> str:
    """One input value as a key part: booleans as 1/0, ints in decimal, strings as they are."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "|" in value:
            raise ValueError(f"an input value may not contain '|': {value!r}")
        return value
    raise ValueError(f"an input value must be a bool, int or str, not {type(value).__name__} ({value!r})")


def state_key(fields: Sequence[str], inputs: Mapping) -> str:
    """The name of one input combination: its fields' values, in ``fields`` order, joined by '|'."""
    missing = [f for f in fields if f not in inputs]
    if missing:
        raise ValueError(f"inputs {dict(inputs)!r} lack {', '.join(missing)}; expected {', '.join(fields)}")
    return "|".join(key_part(inputs[f]) for f in fields)


def check_record(record, where: str = "record") -> None:
    """Raise ValueError unless record is JSON-ready: dicts with str keys, lists, and SCALARS."""
    if isinstance(record, dict):
        for k, v in record.items():
            if not isinstance(k, str):
                raise ValueError(f"{where} has a non-string key {k!r}")
            check_record(v, f"{where}.{k}")
    elif isinstance(record, list):
        for n, v in enumerate(record):
            check_record(v, f"{where}[{n}]")
    elif isinstance(record, float) or not isinstance(record, SCALARS):
        raise ValueError(f"{where} is a {type(record).__name__}; records hold dicts, lists, ints, str, bool, None")


def canonical_json(record) -> str:
    """The record as compact JSON with sorted keys: what 'byte-identical' compares."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def state_space(fields: Sequence[str], compute: Callable[[dict], dict],
                inputs: Iterable[Mapping]) -> dict[str, dict]:
    """``{state_key(fields, i): compute(i)}`` for every input combination, in order, each checked."""
    out: dict[str, dict] = {}
    for i in inputs:
        key = state_key(fields, i)
        record = compute(dict(i))
        check_record(record, f"state {key}")
        out[key] = record
    return out
