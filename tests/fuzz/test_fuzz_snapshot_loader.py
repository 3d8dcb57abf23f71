"""Fuzz load_snapshot() with mutated real snapshots: a Snapshot, or the loader's error, nothing else.

Inputs start from the real captures (shadowmmu/data/*.json.xz) and
are damaged three ways: bytes of the xz file flipped, inserted or cut off;
the JSON inside changed (fields dropped, given other types or values, pages
renamed, resized or multiplied, deep nesting) and compressed again; and the
two together. The contract, from the loader's docstring and issue 14: it
returns a Snapshot, or raises its own error type -- ValueError today, or a
``SnapshotError`` if the loader grows one -- with a message naming the file.
Any other exception (RecursionError, MemoryError, KeyError, ...) is a bug.

Every test here is strict: the hardened loader (shadowmmu/bounded_read.py)
must pass them all, deep nesting included.
"""

from __future__ import annotations

import base64
import json
import lzma
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import budget
from shadowmmu import snapshot
from shadowmmu.snapshot import Snapshot, available_snapshots, load_snapshot

LOADER_ERROR = getattr(snapshot, "SnapshotError", ValueError)
REAL = {p.name: p.read_bytes() for p in available_snapshots()}
REAL_JSON = {name: json.loads(lzma.decompress(data)) for name, data in REAL.items()}
_DIR = tempfile.TemporaryDirectory(prefix="smmu-fuzz-snap-")

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10)


def load_bytes(data: bytes, fuzz_inputs) -> None:
    """Write data to a file, load it, and hold the loader to its contract."""
    fuzz_inputs.add("snapshot loader")
    path = Path(_DIR.name) / "mutant.json.xz"
    path.write_bytes(data)
    try:
        got = load_snapshot(path)
    except LOADER_ERROR as err:
        assert str(path) in str(err), f"the message does not name the file: {err}"
        return
    except Exception as err:  # anything else breaks the contract: report what and on what
        raise AssertionError(f"load_snapshot raised {type(err).__name__}: {str(err)[:300]}") from err
    assert isinstance(got, Snapshot)


@budget()
@given(name=st.sampled_from(sorted(REAL)), cuts=st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete"]), st.integers(0, 1 << 20),
              st.integers(1, 255)), min_size=1, max_size=6),
       truncate=st.one_of(st.none(), st.integers(0, 1 << 20)))
def test_damaged_xz_bytes(fuzz_inputs, name, cuts, truncate):
    data = bytearray(REAL[name])
    for op, where, byte in cuts:
        i = where % (len(data) or 1)
        if op == "flip" and data:
            data[i] ^= byte
        elif op == "insert":
            data[i:i] = bytes([byte])
        elif data:
            del data[i]
    if truncate is not None:
        data = data[: truncate % (len(data) + 1)]
    load_bytes(bytes(data), fuzz_inputs)


def recompress(obj) -> bytes:
    return lzma.compress(json.dumps(obj).encode("utf-8"), preset=0)


@st.composite
def mutated_json(draw):
    """A real snapshot's JSON object with one to four mutations."""
    obj = json.loads(json.dumps(REAL_JSON[draw(st.sampled_from(sorted(REAL_JSON)))]))
    for _ in range(draw(st.integers(1, 4))):
        if not isinstance(obj, dict):
            break
        op = draw(st.sampled_from(["drop", "retype", "register", "page-key", "page-data",
                                   "page-many", "pair", "replace-all"]))
        keys = sorted(obj)
        if op == "drop" and keys:
            del obj[draw(st.sampled_from(keys))]
        elif op == "retype" and keys:
            obj[draw(st.sampled_from(keys))] = draw(JSON_VALUES)
        elif op == "register":
            obj[draw(st.sampled_from(["cr0", "cr3", "cr4", "cpl"]))] = draw(st.one_of(
                st.integers(-(1 << 40), 1 << 40), st.sampled_from([0, 1 << 31, 0xFFFFFFFF, 1 << 32, -1])))
        elif op.startswith("page") and isinstance(obj.get("pages"), dict) and obj["pages"]:
            pages = obj["pages"]
            key = draw(st.sampled_from(sorted(pages)))
            if op == "page-key":
                pages[draw(st.one_of(st.text(max_size=12), st.integers(-5, 1 << 40).map(hex)))] = pages.pop(key)
            elif op == "page-data":
                pages[key] = draw(st.one_of(JSON_VALUES, st.binary(max_size=5000).map(
                    lambda b: base64.b64encode(b).decode())))
            else:
                for k in range(draw(st.integers(1, 3000))):
                    pages[hex(0x100000 + k)] = pages[key]
        elif op == "pair" and isinstance(obj.get("gva2gpa"), list) and obj["gva2gpa"]:
            i = draw(st.integers(0, len(obj["gva2gpa"]) - 1))
            obj["gva2gpa"][i] = draw(JSON_VALUES)
        elif op == "replace-all":
            obj = draw(JSON_VALUES)
    return obj


@budget(4)
@given(mutated_json())
def test_mutated_json_recompressed(fuzz_inputs, obj):
    load_bytes(recompress(obj), fuzz_inputs)


@budget(20)
@given(depth=st.integers(1, 200_000), field=st.sampled_from(["meta", "gva2gpa", "pages", "cr3"]))
def test_deeply_nested_json(fuzz_inputs, depth, field):
    obj = dict(REAL_JSON["user-1.json.xz"])
    obj[field] = None
    text = json.dumps(obj).replace(f'"{field}": null', f'"{field}": ' + "[" * depth + "]" * depth)
    load_bytes(lzma.compress(text.encode(), preset=0), fuzz_inputs)
