"""Hostile snapshot files: each one is refused with the message written here.

Every file is made by the test in tmp_path (no blobs). The messages are the
specification: they name the file (every one starts with its path), what is
wrong and what was expected. Time and memory are measured, not asserted:
benchmarks/bench_hostile.py runs the same cases in subprocesses.
"""

from __future__ import annotations

import base64
import binascii
import json
import lzma
import random
from pathlib import Path

import pytest

from shadowmmu.snapshot import (
    MAX_EXPANDED_BYTES,
    MAX_PAGES,
    Snapshot,
    available_snapshots,
    dump_snapshot,
    load_snapshot,
)

PAGE_B64 = base64.b64encode(bytes(4096)).decode()  # 5464 characters


def xz(path: Path, data: bytes, **kw) -> Path:
    path.write_bytes(lzma.compress(data, **kw))
    return path


def valid_obj() -> dict:
    """A small valid snapshot as the JSON dict dump_snapshot() writes (frame 3 is the PD)."""
    return {
        "format": "shadowmmu-snapshot/1", "name": "tiny", "cr0": 0x8000_0011, "cr3": 0x3000,
        "cr4": 0x10, "cpl": 3, "pages": {"0x3": PAGE_B64}, "gva2gpa": [[0x0804_8000, None]],
        "info_tlb": "", "info_mem": "", "meta": {"moment": "test"},
    }


def obj_file(tmp_path: Path, obj) -> Path:
    return xz(tmp_path / "hostile.json.xz", json.dumps(obj).encode())


def refusal(path: Path, **kw) -> str:
    """The message, with the file name checked and cut off the front."""
    with pytest.raises(ValueError) as err:
        load_snapshot(path, **kw)
    text = str(err.value)
    assert text.startswith(f"{path}: "), text
    return text[len(f"{path}: "):]


def bomb(path: Path, size: int) -> Path:
    """size bytes of zeros, xz-compressed in 64 MiB steps (64 MiB -> about 10 KB)."""
    comp = lzma.LZMACompressor(preset=1)
    with path.open("wb") as out:
        for _ in range(size >> 26):
            out.write(comp.compress(bytes(1 << 26)))
        out.write(comp.flush())
    return path


def with_dict_size(data: bytes, dict_byte: int) -> bytes:
    """data (one xz stream, one block) with its LZMA2 dictionary-size byte replaced, CRC fixed.

    The block header starts after the 12-byte stream header; its first byte is
    (size / 4) - 1, and for a lone LZMA2 filter it reads: size, flags, filter id
    0x21, properties size 1, the dictionary byte, padding, CRC32 of all before.
    Byte 40 asks for 1.5 GiB (xz file format 1.2.0, section 5.3.1).
    """
    size = (data[12] + 1) * 4
    header = bytearray(data[12:12 + size])
    assert header[2:4] == b"\x21\x01"  # flags 0: one filter, no sizes
    header[4] = dict_byte
    header[-4:] = binascii.crc32(header[:-4]).to_bytes(4, "little")
    return data[:12] + bytes(header) + data[12 + size:]


# --- the container: xz ---------------------------------------------------------------------


def test_truncated_xz(tmp_path):
    real = available_snapshots()[0].read_bytes()
    path = tmp_path / "half.json.xz"
    path.write_bytes(real[: len(real) // 2])
    assert refusal(path).startswith("the xz stream is truncated after ")
    assert refusal(path).endswith(" expanded bytes; expected a complete .json.xz file")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.json.xz"
    path.write_bytes(random.Random(0).randbytes(4096))
    assert refusal(path) == ("not an xz-compressed JSON snapshot (it does not start with the xz "
                             "magic bytes FD 37 7A 58 5A 00); expected a .json.xz file")


def test_random_bytes_behind_the_xz_magic(tmp_path):
    path = tmp_path / "noise.json.xz"
    path.write_bytes(b"\xfd7zXZ\x00" + random.Random(1).randbytes(4096))
    assert refusal(path).startswith("not an xz-compressed JSON snapshot (xz says: ")
    assert refusal(path).endswith("); expected a .json.xz file as dump_snapshot() writes")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.json.xz"
    path.write_bytes(b"")
    assert refusal(path) == "the file is empty; expected an xz-compressed JSON snapshot"


def test_missing_file(tmp_path):
    assert refusal(tmp_path / "nowhere.json.xz") == (
        "cannot read the file (No such file or directory); expected a .json.xz snapshot")


def test_xz_bomb(tmp_path):
    # 64 MiB of zeros in about 10 KB: refused at 4 MiB + 1 expanded bytes.
    path = bomb(tmp_path / "bomb.json.xz", 64 << 20)
    assert path.stat().st_size < 20_000
    assert refusal(path) == (f"expands to more than {MAX_EXPANDED_BYTES} bytes (max_bytes); real "
                             "snapshots expand to under 0.5 MB, raise max_bytes only for a file you trust")


def test_the_cap_is_a_parameter(tmp_path):
    path = dump_snapshot(Snapshot("tiny", 0x8000_0001, 0x1000, 0x10, 0, {1: bytes(4096)}, (), "", ""),
                         tmp_path / "tiny.json.xz")
    assert refusal(path, max_bytes=1000).startswith("expands to more than 1000 bytes (max_bytes)")
    assert load_snapshot(path, max_bytes=10_000).pd_gfn == 1


def test_a_compressed_file_bigger_than_the_cap(tmp_path):
    path = tmp_path / "big.json.xz"
    path.write_bytes(b"\xfd7zXZ\x00" + bytes(2000))
    assert refusal(path, max_bytes=1000) == (
        "2006 bytes compressed, so it would expand past the cap of 1000 bytes (max_bytes); "
        "expected a snapshot of tens of KB")


def test_an_xz_header_asking_for_a_huge_dictionary(tmp_path):
    data = lzma.compress(json.dumps(valid_obj()).encode(), format=lzma.FORMAT_XZ,
                         filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 1 << 20}])
    path = tmp_path / "greedy.json.xz"
    path.write_bytes(with_dict_size(data, 40))
    assert refusal(path) == ("not an xz-compressed JSON snapshot (xz says: Memory usage limit "
                             "exceeded); expected a .json.xz file as dump_snapshot() writes")


def test_data_after_the_stream(tmp_path):
    path = tmp_path / "two.json.xz"
    one = lzma.compress(json.dumps(valid_obj()).encode())
    path.write_bytes(one + one)
    assert refusal(path) == "data follows the end of the xz stream; expected exactly one stream"


# --- the text: UTF-8 and JSON --------------------------------------------------------------


def test_valid_xz_of_invalid_json(tmp_path):
    path = xz(tmp_path / "cut.json.xz", b'{"format": "shadowmmu-snapshot/1", "pages": {')
    assert refusal(path) == ("not an xz-compressed JSON snapshot (the JSON is invalid: Expecting "
                             "property name enclosed in double quotes: line 1 column 46 (char 45))")


def test_valid_xz_of_text_that_is_not_utf8(tmp_path):
    path = xz(tmp_path / "latin1.json.xz", b'{"name": "caf\xe9"}')
    assert refusal(path) == ("the expanded file is not UTF-8 text (invalid continuation byte at "
                             "byte 13); expected JSON")


def test_deeply_nested_json(tmp_path):
    path = xz(tmp_path / "deep.json.xz", b"[" * 100_000 + b"]" * 100_000)
    assert refusal(path) == ("the JSON is nested too deeply to read; a snapshot nests three levels "
                             "(object, gva2gpa list, [va, gpa] pair)")


def test_nested_where_a_pair_should_be(tmp_path):
    obj = valid_obj()
    deep: list = []
    for _ in range(50):
        deep = [deep]
    obj["gva2gpa"] = [deep]
    assert refusal(obj_file(tmp_path, obj)) == (
        "gva2gpa entry [[[...]]] is not a [va, gpa] pair; expected two integers, or an integer and null")


@pytest.mark.parametrize("text, message", [
    (b'{"cr0": 1.5}', "the number '1.5' is not an integer; every number in a snapshot is one"),
    (b'{"cr0": NaN}', "the number 'NaN' is not an integer; every number in a snapshot is one"),
    (b'{"cr0": ' + b"9" * 5000 + b"}", "an integer of 5000 digits; expected at most 20"),
    (b'{"cr0": 1, "cr0": 2}', "the key 'cr0' appears twice in one JSON object; expected each once"),
    (b'{"a": 1, "b": 2, "c": 3, "b": 4}', "the key 'b' appears twice in one JSON object; expected each once"),
    (b"[" + b",".join([b"{}"] * 100_000) + b"]",
     "more than 16 JSON objects; a snapshot has three (the snapshot, its pages and its meta)"),
    (b"[1, 2]", "expected a JSON object, got list"),
    (b'"a string"', "expected a JSON object, got str"),
])
def test_json_that_no_snapshot_holds(tmp_path, text, message):
    assert refusal(xz(tmp_path / "odd.json.xz", text)) == message


# --- the shape: fields and types -----------------------------------------------------------


def edited(**changes):
    def edit(obj):
        obj.update(changes)
    return edit


@pytest.mark.parametrize("edit, message", [
    (edited(format="other/9"), "format is 'other/9', expected 'shadowmmu-snapshot/1'"),
    (lambda o: o.pop("cr3"), "missing field 'cr3'; expected every field of shadowmmu-snapshot/1"),
    (edited(cr3="0x3000"), "field 'cr3' has the wrong type (str); expected int"),
    (edited(cpl=True), "field 'cpl' has the wrong type (bool); expected int"),
    (edited(pages=[PAGE_B64]), "field 'pages' has the wrong type (list); expected dict"),
    (edited(gva2gpa={"a": 1}), "field 'gva2gpa' has the wrong type (dict); expected list"),
    (edited(info_tlb=None), "field 'info_tlb' has the wrong type (NoneType); expected str"),
    (edited(name="n" * 300), "name of 300 characters; expected at most 200"),
    (edited(extra=1, more=2), "unknown fields ['extra', 'more']; expected only cpl, cr0, cr3, cr4, "
                              "format, gva2gpa, info_mem, info_tlb, meta, name, pages"),
    (edited(meta={"a": [1]}), "field 'meta' must map names to text, got {'a': [1]}"),
    (edited(gva2gpa=[[1, 2, 3]]), "gva2gpa entry [1, 2, 3] is not a [va, gpa] pair; expected two "
                                  "integers, or an integer and null"),
    (edited(gva2gpa=[[True, None]]), "gva2gpa entry [True, None] is not a [va, gpa] pair; expected "
                                     "two integers, or an integer and null"),
    (edited(gva2gpa=[[-1, None]]), "snapshot 'tiny': gva2gpa va -1 is not a 32-bit address"),
    (edited(cr0=-1), "snapshot 'tiny': cr0 must be a 32-bit integer, got -1"),
    (edited(cpl=7), "snapshot 'tiny': cpl must be 0..3, got 7"),
])
def test_wrong_shape_or_types(tmp_path, edit, message):
    obj = valid_obj()
    edit(obj)
    assert refusal(obj_file(tmp_path, obj)) == message


# --- the registers --------------------------------------------------------------------------


@pytest.mark.parametrize("edit, message", [
    (edited(cr0=0x0000_0011), "snapshot 'tiny': cr0 0x00000011 has PG (bit 31) clear, so the guest "
                              "was not paging; expected CR0.PG set"),
    (edited(cr4=0x30), "snapshot 'tiny': cr4 0x00000030 has PAE (bit 5) set, a 3-level guest; "
                       "expected CR4.PAE clear (2-level, non-PAE paging)"),
    (edited(cr3=0x7000), "snapshot 'tiny': the page directory at cr3=0x00007000 (frame 0x7) is not "
                         "among the pages; expected it there"),
    (edited(cr3=0xFFFF_F000), "snapshot 'tiny': the page directory at cr3=0xfffff000 (frame 0xfffff) "
                              "is not among the pages; expected it there"),
])
def test_registers_that_make_no_sense_for_a_non_pae_guest(tmp_path, edit, message):
    obj = valid_obj()
    edit(obj)
    assert refusal(obj_file(tmp_path, obj)) == message


# --- the pages ------------------------------------------------------------------------------


def pages_edited(pages: dict):
    def edit(obj):
        obj["pages"].update(pages)
    return edit


@pytest.mark.parametrize("edit, message", [
    (pages_edited({"0x4": base64.b64encode(bytes(4095)).decode()}),
     "snapshot 'tiny': page 0x4 must be 4096 bytes, got 4095"),
    (pages_edited({"0x4": base64.b64encode(bytes(4097)).decode()}),
     "snapshot 'tiny': page 0x4 must be 4096 bytes, got 4097"),  # 5464 characters too
    (pages_edited({"0x4": PAGE_B64 + "AAAA"}),
     "page 0x4 must be 4096 bytes, got more (5468 base64 characters, expected 5464)"),
    (pages_edited({"0x4": "not base64!"}),
     "page '0x4' is not a hex frame number with base64 of 4096 bytes (Only base64 data is allowed)"),
    (pages_edited({"0x4": 12}), "page '0x4' is a int; expected base64 text"),
    (pages_edited({"zz": PAGE_B64}), "page 'zz' is not a hex frame number with base64; expected a "
                                     "key like '0x1e73'"),
    (pages_edited({"-0x10": PAGE_B64}), "page '-0x10' is not a hex frame number with base64; "
                                        "expected a key like '0x1e73'"),
    (pages_edited({"0x100000": PAGE_B64}), "page '0x100000' is outside 32-bit physical space; "
                                           "expected a frame number 0x0..0xfffff"),
    (pages_edited({"0x" + "f" * 1000: PAGE_B64}),
     "page '0xfffffffffffffff...ffffffffffffffffff' is outside 32-bit physical space; "
     "expected a frame number 0x0..0xfffff"),
    (pages_edited({"0x003": PAGE_B64}), "pages '0x3' and '0x003' are both frame 0x3; expected each "
                                        "frame once"),
])
def test_bad_pages(tmp_path, edit, message):
    obj = valid_obj()
    edit(obj)
    assert refusal(obj_file(tmp_path, obj)) == message


def test_thousands_of_pages_are_counted_before_any_is_decoded(tmp_path):
    obj = valid_obj()
    obj["pages"] = {f"0x{gfn:x}": "" for gfn in range(3000)}  # not even base64 of a page
    assert refusal(obj_file(tmp_path, obj)) == (
        f"3000 pages; expected at most {MAX_PAGES} (the page directory and at most 1024 page tables)")


def test_a_pde_naming_a_page_table_not_in_the_file(tmp_path):
    obj = valid_obj()
    pd = bytearray(4096)
    pd[4 * 0x300:4 * 0x301] = (0x0012_3000 | 0b111).to_bytes(4, "little")
    obj["pages"]["0x3"] = base64.b64encode(bytes(pd)).decode()
    assert refusal(obj_file(tmp_path, obj)) == (
        "snapshot 'tiny': PDE 768 (0x00123007) points to page table frame 0x123, which is not among "
        "the pages; expected every page table the directory names")


# --- and what must still load ---------------------------------------------------------------


def test_the_valid_object_loads(tmp_path):
    snap = load_snapshot(obj_file(tmp_path, valid_obj()))
    assert (snap.pd_gfn, snap.cr4, snap.meta) == (3, 0x10, {"moment": "test"})


@pytest.mark.parametrize("path", available_snapshots(), ids=lambda p: p.name)
def test_every_real_snapshot_still_loads(path):
    snap = load_snapshot(path)
    raw = json.loads(lzma.decompress(path.read_bytes()))
    assert snap.cr3 == raw["cr3"] and len(snap.pages) == len(raw["pages"])
    assert snap.page_directory == base64.b64decode(raw["pages"][f"0x{raw['cr3'] >> 12:x}"])


def test_a_directory(tmp_path):
    assert refusal(tmp_path).startswith("cannot read the file (Is a directory)")


@pytest.mark.parametrize("cap", [0, -1, 1.5, True, "4M"])
def test_a_cap_that_is_not_a_size(tmp_path, cap):
    path = obj_file(tmp_path, valid_obj())
    assert refusal(path, max_bytes=cap) == f"max_bytes {cap!r} must be a positive number of bytes"
