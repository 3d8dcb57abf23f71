"""Tests of shadowmmu.snapshot: the loader, and the captured guest it loads.

The second half holds the committed fixtures (shadowmmu/data/) against
an oracle we did not write: QEMU's gva2gpa and info tlb answers, recorded with the
CPU stopped. The walker below is deliberately written here, from the SDM's
description of 32-bit paging, and shares no code with the package.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import lzma
from pathlib import Path

import pytest

from shadowmmu.snapshot import (
    CR0_PG,
    CR4_PAE,
    CR4_PSE,
    FIXTURE_DIR,
    Snapshot,
    available_snapshots,
    dump_snapshot,
    load_snapshot,
)

from reference_oracles.qemu import entry, mini_walk, qemu_tlb

SNAPSHOT_FILES = available_snapshots()
KERNEL_HALF = range(768, 1024)  # PDEs for 0xC0000000..0xFFFFFFFF (VMSPLIT_3G)


def pdes(snap: Snapshot) -> list[int]:
    return [entry(snap.page_directory, i) for i in range(1024)]


def test_mini_walk_on_a_hand_built_directory():
    pd = bytearray(4096)
    pt = bytearray(4096)
    pd[4 * 0x300 : 4 * 0x300 + 4] = (0x0040_0000 | 0b1000_0011).to_bytes(4, "little")  # 4 MiB at 4 MiB
    pd[4 * 0x001 : 4 * 0x001 + 4] = (0x0000_2000 | 0b111).to_bytes(4, "little")  # PT at frame 2
    pt[4 * 0x005 : 4 * 0x005 + 4] = (0x0012_3000 | 0b111).to_bytes(4, "little")
    snap = Snapshot("hand", 0x8000_0001, 0x1000, CR4_PSE, 0, {1: bytes(pd), 2: bytes(pt)}, (), "", "")
    assert mini_walk(snap, 0b1100000000_0000000001_000000000010) == 0x0040_1002
    assert mini_walk(snap, 0b0000000001_0000000101_101010101010) == 0x0012_3AAA
    assert mini_walk(snap, 0b0000000001_0000000110_000000000000) is None
    assert mini_walk(snap, 0b0000000010_0000000000_000000000000) is None


# --- loader: round trip and validation ---------------------------------------------------


def tiny(**changes) -> Snapshot:
    fields = dict(
        name="tiny",
        cr0=0x8000_0011,
        cr3=0x0000_3000,
        cr4=CR4_PSE,
        cpl=3,
        pages={3: bytes(4096)},
        gva2gpa=((0x0804_8000, None), (0xC000_0000, 0)),
        info_tlb="",
        info_mem="",
    )
    fields.update(changes)
    return Snapshot(**fields)


def write_raw(path: Path, obj) -> Path:
    path.write_bytes(lzma.compress(json.dumps(obj).encode()))
    return path


def raw_tiny(tmp_path: Path) -> dict:
    return json.loads(lzma.decompress(dump_snapshot(tiny(), tmp_path / "t.json.xz").read_bytes()))


def test_round_trip(tmp_path):
    pd = bytearray(4096)
    pd[0:4] = (0x0000_4000 | 0b111).to_bytes(4, "little")
    pt = bytes(range(256)) * 16
    snap = tiny(pages={3: bytes(pd), 4: pt}, meta={"moment": "now"}, info_tlb="x\n", info_mem="y\n")
    path = dump_snapshot(snap, tmp_path / "tiny.json.xz")
    assert load_snapshot(path) == snap
    assert load_snapshot(path).pages[4] == pt
    assert dump_snapshot(snap, tmp_path / "again.json.xz").read_bytes() == path.read_bytes()


def test_available_snapshots_takes_a_directory(tmp_path):
    dump_snapshot(tiny(name="b"), tmp_path / "b.json.xz")
    dump_snapshot(tiny(name="a"), tmp_path / "a.json.xz")
    (tmp_path / "README.md").write_text("not a snapshot")
    assert [p.name for p in available_snapshots(tmp_path)] == ["a.json.xz", "b.json.xz"]
    assert available_snapshots(tmp_path / "nowhere") == []


def test_fixture_dir_is_package_data():
    import shadowmmu
    assert FIXTURE_DIR == Path(shadowmmu.__file__).resolve().parent / "data"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda o: o.update(format="other/9"), "format is 'other/9', expected 'shadowmmu-snapshot/1'"),
        (lambda o: o.pop("cr3"), "missing field 'cr3'"),
        (lambda o: o.update(cr4="0x10"), "field 'cr4' has the wrong type (str)"),
        (lambda o: o.update(cpl=True), "field 'cpl' has the wrong type (bool)"),
        (lambda o: o.update(cpl=4), "cpl must be 0..3, got 4"),
        (lambda o: o.update(cr0=1 << 32), "cr0 must be a 32-bit integer, got 4294967296"),
        (
            lambda o: o["pages"].update({"0x3": base64.b64encode(bytes(4095)).decode()}),
            "page 0x3 must be 4096 bytes, got 4095",
        ),
        (lambda o: o["pages"].update({"0x3": "not base64!"}), "page '0x3' is not a hex frame number"),
        (lambda o: o["pages"].update({"zz": ""}), "page 'zz' is not a hex frame number"),
        (
            lambda o: o.update(cr3=0x7000),
            "the page directory at cr3=0x00007000 (frame 0x7) is not among the pages",
        ),
        (lambda o: o.update(gva2gpa=[[1, 2, 3]]), "gva2gpa entry [1, 2, 3] is not a [va, gpa] pair"),
        (lambda o: o.update(gva2gpa=[[-1, None]]), "gva2gpa va -1 is not a 32-bit address"),
        (lambda o: o.update(gva2gpa=[[0, "0x1"]]), "gva2gpa answer '0x1' for va 0x00000000 is not an address"),
    ],
)
def test_load_rejects(tmp_path, edit, message):
    obj = raw_tiny(tmp_path)
    edit(obj)
    path = write_raw(tmp_path / "bad.json.xz", obj)
    with pytest.raises(ValueError) as err:
        load_snapshot(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))


def test_load_rejects_a_missing_page_table(tmp_path):
    obj = raw_tiny(tmp_path)
    pd = bytearray(4096)
    pd[4 * 5 : 4 * 5 + 4] = (0x0000_9000 | 0b1).to_bytes(4, "little")
    obj["pages"]["0x3"] = base64.b64encode(bytes(pd)).decode()
    with pytest.raises(ValueError, match=r"PDE 5 \(0x00009001\) points to page table frame 0x9"):
        load_snapshot(write_raw(tmp_path / "bad.json.xz", obj))
    # The same PDE with PS set and CR4.PSE on maps a 4 MiB page: no page table needed.
    pd[4 * 5 : 4 * 5 + 4] = (0x0000_9000 | 0b1000_0001).to_bytes(4, "little")
    obj["pages"]["0x3"] = base64.b64encode(bytes(pd)).decode()
    assert load_snapshot(write_raw(tmp_path / "ok.json.xz", obj)).pd_gfn == 3


def test_load_rejects_files_that_are_not_snapshots(tmp_path):
    plain = tmp_path / "plain.json.xz"
    plain.write_text("{}")
    with pytest.raises(ValueError, match="not an xz-compressed JSON snapshot"):
        load_snapshot(plain)
    with pytest.raises(ValueError, match="expected a JSON object, got list"):
        load_snapshot(write_raw(tmp_path / "list.json.xz", []))


def test_snapshot_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny().cr3 = 0  # type: ignore[misc]


def test_the_qemu_oracle_parses_info_tlb_lines():
    snap = tiny(
        info_tlb=(
            "0000000008048000: 0000000001e71000 ----A--U-\n"
            "00000000c0400000: 0000000000400000 -GPDA---W\n"
            "\n"
        )
    )
    assert qemu_tlb(snap) == [
        (0x0804_8000, 0x01E7_1000, "----A--U-"),
        (0xC040_0000, 0x0040_0000, "-GPDA---W"),
    ]
    with pytest.raises(ValueError, match="unexpected info tlb line 'garbage'"):
        qemu_tlb(tiny(info_tlb="garbage\n"))


# --- the committed capture ---------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshots() -> list[Snapshot]:
    return [load_snapshot(p) for p in SNAPSHOT_FILES]


def test_fixtures_are_committed():
    assert len(SNAPSHOT_FILES) >= 3
    assert (FIXTURE_DIR / "README.md").is_file()
    for path in SNAPSHOT_FILES:
        assert path.stat().st_size < 100_000, f"{path.name} is meant to be tens of KB"


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.name)
def test_fixture_loads_as_a_non_pae_guest(path):
    snap = load_snapshot(path)
    assert path.name == f"{snap.name}.json.xz"
    assert snap.cr3 >> 12 in snap.pages and len(snap.pages[snap.cr3 >> 12]) == 4096
    assert snap.cr0 & CR0_PG
    assert not snap.cr4 & CR4_PAE
    assert snap.cr4 & CR4_PSE  # the kernel maps its direct map with 4 MiB pages


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.name)
def test_pages_are_the_directory_and_its_page_tables_only(path):
    snap = load_snapshot(path)
    tables = {pde >> 12 for pde in pdes(snap) if pde & 1 and not pde & 0x80}
    assert set(snap.pages) == {snap.cr3 >> 12} | tables


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.name)
def test_every_gva2gpa_answer_agrees_with_our_walk(path):
    snap = load_snapshot(path)
    disagreements = [(hex(va), gpa, mini_walk(snap, va)) for va, gpa in snap.gva2gpa if mini_walk(snap, va) != gpa]
    assert disagreements == []
    assert any(gpa is None for _, gpa in snap.gva2gpa)
    assert sum(gpa is not None for _, gpa in snap.gva2gpa) > 1000


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.name)
def test_info_tlb_lists_exactly_the_present_leaves(path):
    snap = load_snapshot(path)
    entries = qemu_tlb(snap)
    leaves = 0
    for pde in pdes(snap):
        if pde & 1:
            leaves += 1 if pde & 0x80 else sum(entry(snap.pages[pde >> 12], j) & 1 for j in range(1024))
    assert len(entries) == leaves
    for va, pa, flags in entries:
        # 4 MiB frames are 4 MiB-aligned here, so QEMU's 2 MiB mask changes nothing.
        assert mini_walk(snap, va) == pa, hex(va)
        assert ("P" in flags) == (va & 0x3F_FFFF == 0 and bool(pdes(snap)[va >> 22] & 0x80))


def test_a_kernel_only_snapshot_and_user_snapshots(snapshots):
    kernel_only = [s for s in snapshots if s.cpl == 0 and not any(p & 1 for p in pdes(s)[:768])]
    user = [s for s in snapshots if s.cpl == 3]
    assert kernel_only, "no snapshot without user mappings"
    assert len({s.cr3 for s in user}) >= 2, "want two user address spaces"
    for s in user:
        assert any(p & 1 for p in pdes(s)[:768])
        assert "u" in s.info_mem  # info mem marks user ranges with a 'u'


def test_user_processes_share_the_kernel_half(snapshots):
    user = [s for s in snapshots if s.cpl == 3]
    halves = {tuple(pdes(s)[i] for i in KERNEL_HALF) for s in user}
    assert len(halves) == 1
    lows = {tuple(pdes(s)[:768]) for s in user}
    assert len(lows) == len(user)  # but each has its own user half
