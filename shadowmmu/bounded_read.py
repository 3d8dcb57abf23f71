"""Read an xz-compressed JSON file from outside with bounded time and memory:

    >>> import tempfile, lzma
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "x.json.xz"
    ...     _ = path.write_bytes(lzma.compress(b'{"a": [1, null]}'))
    ...     read_xz_json(path, "x.json.xz", 1 << 10)
    {'a': [1, None]}

The first stage of shadowmmu.snapshot.load_snapshot(). It knows the xz
container and JSON, and what any snapshot file must be at that level (one
xz stream, UTF-8, one JSON object holding at most MAX_OBJECTS objects,
integers only, no key twice, shallow);
it does not know the snapshot's fields, which snapshot.py checks.

Theory of operation: the file is never read whole. We check the xz magic,
then feed the decoder 64 KiB at a time and ask it for at most the bytes
left under the cap, so an xz bomb stops at ``max_bytes`` + 1 expanded bytes
however far it would go. The decoder's own memory is limited too
(XZ_MEMLIMIT), since an xz header may ask for a dictionary of up to 1.5
GiB. JSON is then parsed in one go from at most ``max_bytes`` of text; the
cap is what keeps the objects it builds small, so it is chosen from the
real files (see MAX_EXPANDED_BYTES). Python's parser refuses deep nesting
with RecursionError at about a thousand levels, which we turn into a message.
"""

from __future__ import annotations

import json
import lzma
import os
import reprlib
from pathlib import Path

#: The cap on a snapshot's expanded size, in bytes. The three real captures
#: are 32.9-41.4 KB compressed and 387-446 KB expanded (10-15 pages, ~5,600
#: gva2gpa pairs, ~200 KB of ``info tlb`` text); 4 MiB is nine times the
#: largest. It also bounds the worst JSON that fits: 4 MiB of ``[[],[],...]``
#: builds 1.4 million lists, about 110 MiB, inside the 256 MiB the loader may
#: use (benchmarks/bench_hostile.py measures it; a flood of objects is cut
#: short by MAX_OBJECTS instead). A bigger capture needs a bigger
#: ``max_bytes``: the full 1025 pages alone are 5.6 MB of base64.
MAX_EXPANDED_BYTES = 4 << 20
#: What the xz decoder may allocate. The fixtures use preset 9e (a 64 MiB
#: dictionary, 65 MiB to decode); a header asking for more is refused.
XZ_MEMLIMIT = 96 << 20
_CHUNK = 64 << 10
_XZ_MAGIC = b"\xfd7zXZ\x00"
_MAX_INT_DIGITS = 20
#: JSON objects a snapshot file may hold: it has three (the whole, its pages,
#: its meta); the rest is slack so that a small mistake gets its own message.
MAX_OBJECTS = 16


class _Refused(ValueError):
    """A refusal found inside json.loads(); _parse() puts the file name in front."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxdict = 4
_SHORT.maxlevel = 2


def short(value) -> str:
    """A bounded repr for messages: a hostile file must not fill the screen."""
    return _SHORT.repr(value)


def _expand(path: Path, where: str, max_bytes: int) -> bytes:
    """The bytes of the one xz stream in path, decompressed in chunks, never more than max_bytes."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"{where}: max_bytes {max_bytes!r} must be a positive number of bytes")
    try:
        stream = path.open("rb")
        size = os.fstat(stream.fileno()).st_size
    except OSError as err:
        raise ValueError(f"{where}: cannot read the file ({err.strerror}); expected a .json.xz snapshot") from err
    decoder = lzma.LZMADecompressor(lzma.FORMAT_XZ, memlimit=XZ_MEMLIMIT)
    parts, total = [], 0
    with stream:
        if size == 0:
            raise ValueError(f"{where}: the file is empty; expected an xz-compressed JSON snapshot")
        if size > max_bytes:
            raise ValueError(f"{where}: {size} bytes compressed, so it would expand past the cap of "
                             f"{max_bytes} bytes (max_bytes); expected a snapshot of tens of KB")
        if not stream.read(len(_XZ_MAGIC)) == _XZ_MAGIC:
            raise ValueError(f"{where}: not an xz-compressed JSON snapshot (it does not start with "
                             f"the xz magic bytes FD 37 7A 58 5A 00); expected a .json.xz file")
        stream.seek(0)
        while not decoder.eof:
            chunk = b""
            if decoder.needs_input:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    raise ValueError(f"{where}: the xz stream is truncated after {total} expanded bytes; "
                                     f"expected a complete .json.xz file")
            try:
                data = decoder.decompress(chunk, max_length=max_bytes - total + 1)
            except lzma.LZMAError as err:
                raise ValueError(f"{where}: not an xz-compressed JSON snapshot (xz says: {err}); "
                                 f"expected a .json.xz file as dump_snapshot() writes") from err
            total += len(data)
            if total > max_bytes:
                raise ValueError(f"{where}: expands to more than {max_bytes} bytes (max_bytes); real "
                                 f"snapshots expand to under 0.5 MB, raise max_bytes only for a file you trust")
            parts.append(data)
        if decoder.unused_data or stream.read(1):
            raise ValueError(f"{where}: data follows the end of the xz stream; expected exactly one stream")
    return b"".join(parts)


def _object_hook():
    """json's object_pairs_hook for one parse: no key twice, at most MAX_OBJECTS objects.

    The parser builds objects innermost first, so a file of a million little
    objects is stopped at the seventeenth, long before it costs time or memory;
    the slack above three leaves room for a precise message about a small mistake.
    """
    count = 0

    def make(pairs: list) -> dict:
        nonlocal count
        count += 1
        if count > MAX_OBJECTS:
            raise _Refused(f"more than {MAX_OBJECTS} JSON objects; a snapshot has three "
                           f"(the snapshot, its pages and its meta)")
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise _Refused(f"the key {short(key)} appears twice in one JSON object; expected each once")
        return obj

    return make


def _small_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _Refused(f"an integer of {len(text)} digits; expected at most {_MAX_INT_DIGITS}")
    return int(text)


def _no_float(text: str):
    raise _Refused(f"the number {short(text)} is not an integer; every number in a snapshot is one")


def _parse(raw: bytes, where: str) -> dict:
    try:
        text = raw.decode("utf-8")
        obj = json.loads(text, object_pairs_hook=_object_hook(), parse_int=_small_int,
                         parse_float=_no_float, parse_constant=_no_float)
    except _Refused as err:
        raise ValueError(f"{where}: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{where}: the expanded file is not UTF-8 text ({err.reason} at byte "
                         f"{err.start}); expected JSON") from None
    except RecursionError:
        raise ValueError(f"{where}: the JSON is nested too deeply to read; a snapshot nests "
                         f"three levels (object, gva2gpa list, [va, gpa] pair)") from None
    except ValueError as err:  # json.JSONDecodeError and the like
        raise ValueError(f"{where}: not an xz-compressed JSON snapshot (the JSON is invalid: {err})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def read_xz_json(path: Path, where: str, max_bytes: int = MAX_EXPANDED_BYTES) -> dict:
    """The JSON object in the xz file at path; ValueError starting with where otherwise."""
    return _parse(_expand(path, where, max_bytes), where)
