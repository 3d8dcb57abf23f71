"""The page's JS model against Python, under plain node: every guest page, every rule, and
the address parser on >= 10k generated inputs.

Oracles: ``shadowmmu.exhaustive`` (numpy over the very rule functions of
``QUADRANT_RULES``, not over the tables the JS reads) and the golden table of
``tests/reference_oracles/golden.py`` (typed by hand from kernel-facts.md); for the parser,
``shadowmmu.address.parse_address`` itself, message for message. A planted
mutation of the JS, and one of a table entry, must each be caught.
"""

from __future__ import annotations

import dataclasses
import json
import string

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from reference_oracles.golden import GOLDEN
from shadowmmu import Decomposition, parse_address
from shadowmmu.exhaustive import all_pages, check_all_rules, rule_quadrants
from shadowmmu.frontend.assets import esm_source
from shadowmmu.rules import QUADRANT_RULES
from shadowmmu.address import AddressError, field_values, parse_number

from .conftest import run_node

PAGES = 1 << 20


def _vas() -> np.ndarray:
    """Every guest page once, each with a different in-page offset (so bits 11:0 vary too),
    then the golden rows."""
    pages = all_pages()
    offsets = (np.arange(PAGES, dtype=np.uint32) * np.uint32(0x9E5)) & np.uint32(0xFFF)
    golden = np.array([row[0] for row in GOLDEN], dtype=np.uint32)
    return np.concatenate([pages | offsets, golden])


def _run_model(node, js_dir, module, tables=None):
    vas = _vas()
    (js_dir / "vas.bin").write_bytes(vas.astype("<u4").tobytes())
    tables_file = js_dir / "tables.json"
    if tables is not None:
        tables_file = js_dir / "tables-mutated.json"
        tables_file.write_text(json.dumps(tables))
    out = js_dir / "out.bin"
    run_node(node, module, tables_file, "model", js_dir / "vas.bin", out)
    meta = json.loads((js_dir / "out.bin.json").read_text())
    arrays = np.frombuffer(out.read_bytes(), dtype="<u4").reshape(len(meta["names"]), vas.size)
    return vas, dict(zip(meta["names"], arrays)), meta["ms"]


def _mismatches(vas, got) -> dict[str, int]:
    want = field_values(vas)
    counts = {name: int(np.count_nonzero(got[name] != want[name])) for name in want}
    for name in QUADRANT_RULES:
        pd, pt = rule_quadrants(name, vas)
        counts[f"{name}:pd"] = int(np.count_nonzero(got[f"{name}:pd"] != pd))
        counts[f"{name}:pt"] = int(np.count_nonzero(got[f"{name}:pt"] != pt))
    return counts


def test_js_model_agrees_with_python_on_every_page_and_rule(node, js_dir):
    vas, got, ms = _run_model(node, js_dir, js_dir / "model.mjs")
    fields = {f.name for f in dataclasses.fields(Decomposition)}
    assert fields <= set(got), f"the JS decompose() lacks {fields - set(got)}"
    counts = _mismatches(vas, got)
    assert len(counts) == len(fields) + 2 * len(QUADRANT_RULES)
    print(f"\nJS model: {vas.size} addresses x {len(counts)} values, "
          f"{sum(counts.values())} mismatches, node {ms:.0f} ms")
    assert sum(counts.values()) == 0, {k: v for k, v in counts.items() if v}
    # the golden rows, typed by hand: (va, gPDE, gPTE, PDPTE, sPDE, sPTE, PT q, ...)
    for i, row in enumerate(GOLDEN):
        j = PAGES + i
        assert [int(got[k][j]) for k in ("va", "guest_pde_index", "guest_pte_index",
                "pdpte_index", "shadow_pde_index", "shadow_pte_index", "pt_quadrant",
                "guest_pde_offset", "guest_pte_offset")] == list(row[:9])
        assert (int(got["mainline:pd"][j]), int(got["mainline:pt"][j])) == (row[3], row[6])
    # the misconception is wrong exactly where bit 21 differs from "index >= 256":
    # half of all pages (524,288), the kernel-facts count
    assert int(np.count_nonzero(got["halves:pt"][:PAGES] != (vas[:PAGES] >> 21) & 1)) == PAGES // 2


def test_a_planted_bug_in_the_js_is_caught(node, js_dir):
    source = esm_source("address")
    planted = "const width=hi-lo+1;"
    assert source.count(planted) == 1
    mutant = js_dir / "mutant.mjs"
    mutant.write_text(source.replace(planted, "const width=hi-lo;"))
    vas, got, _ = _run_model(node, js_dir, mutant)
    counts = _mismatches(vas, got)
    print(f"\nplanted off-by-one field width: {sum(counts.values())} mismatches")
    # a 1-bit field sliced 0 bits wide is always 0: bit 21 is 1 on half the pages
    assert counts["pt_quadrant"] == PAGES // 2 + sum(row[6] for row in GOLDEN)
    assert sum(counts.values()) > 0


def test_a_planted_bug_in_a_rule_table_is_caught(node, js_dir):
    tables = json.loads((js_dir / "tables.json").read_text())
    tables["rules"]["mainline"]["pt"][245] ^= 1
    vas, got, _ = _run_model(node, js_dir, js_dir / "model.mjs", tables)
    counts = _mismatches(vas, got)
    # PAE PDE 245 = bits 29:21: 2**11 of the 2**20 pages, plus the golden 0xDEADBEEF row
    assert counts["mainline:pt"] == 2048 + 1
    assert sum(counts.values()) == counts["mainline:pt"]


# ------------------------------------------------------------------ the address box

_ADDRESSY = string.hexdigits + "xXbBoO_ -+.,'\"\\\t\u00a0\u3000\u1680\x1c\x85\ufeff\u200b"
_inputs = st.one_of(
    st.text(alphabet=_ADDRESSY, max_size=14),
    st.integers(-(1 << 36), 1 << 36).map(str),
    st.integers(0, 1 << 36).map(lambda n: f"{n:#x}"),
    st.integers(0, 1 << 36).map(lambda n: f"{n:_x}"),
    st.integers(0, 1 << 36).map(lambda n: f" 0X{n:010X} "),
    st.text(max_size=10),
)
HAND = ["", " ", "0", "00", "0_0", "007", "0x", "0b1", "0B1", "0bz", "0xC020_0000", "c0200000",
        "4294967295", "4294967296", "0x100000000", "-1", "-0x1", "1__0", "_1", "1_", "ü",
        "\U0001F600", "\x00", "it's", 'say "hi"', "both ' and \"", "back\\slash", "\u00a01\u00a0",
        "\ufeff1", "\x1c1\x1f", "0xDEADBEEF", "deadbeef", "+1", "1e3", "0o17", "１２"]


def test_address_box_parses_exactly_like_parse_address(node, js_dir):
    generated: list[str] = []

    @settings(max_examples=12_000, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(_inputs)
    def collect(s):
        generated.append(s)

    collect()
    inputs = HAND + generated
    assert len(inputs) >= 10_000
    (js_dir / "inputs.json").write_text(json.dumps(inputs))
    run_node(node, js_dir / "model.mjs", js_dir / "tables.json", "parse",
             js_dir / "inputs.json", js_dir / "parsed.json")
    got = json.loads((js_dir / "parsed.json").read_text())["results"]
    assert len(got) == len(inputs)
    differ, accepted = [], 0
    for s, (ok, answer) in zip(inputs, got):
        try:
            want = [True, parse_address(s)]
            accepted += 1
        except ValueError as err:
            want = [False, str(err)]
        if [ok, answer] != want:
            differ.append((s, [ok, answer], want))
    print(f"\nparser parity: {len(inputs)} inputs ({accepted} accepted), {len(differ)} differ")
    assert not differ, differ[:5]
    assert 1000 < accepted < len(inputs) - 1000  # both sides of the line were exercised


_ANSWERY = "0123456789abcdefABCDEFxX_ +-\t\u00a0\u3000\x1c"


def answer_number(text: str) -> int | None:
    """What exercises.check_answers() compares: parse_number()'s value, None if refused."""
    try:
        return parse_number(text, name="answer")
    except AddressError:
        return None


def test_exercise_answers_parse_like_check_answers(node, js_dir):
    generated: list[str] = []

    @settings(max_examples=4_000, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.text(alphabet=_ANSWERY, max_size=8), st.integers(-999, 99999).map(str),
                     st.integers(0, 9999).map(hex)))
    def collect(s):
        generated.append(s)

    collect()
    inputs = ["", " ", "12", "+12", "-3", "0x1F", "0X1f", "0x", "_ 0x5", "0x5 _", "1_2", "x12", "1.0"] + generated
    (js_dir / "answers.json").write_text(json.dumps(inputs))
    run_node(node, js_dir / "model.mjs", js_dir / "tables.json", "answer",
             js_dir / "answers.json", js_dir / "answered.json")
    got = json.loads((js_dir / "answered.json").read_text())["results"]
    want = [answer_number(s) for s in inputs]
    differ = [(s, g, w) for s, g, w in zip(inputs, got, want) if g != w]
    assert not differ, differ[:5]
    assert sum(w is not None for w in want) > 1000 and sum(w is None for w in want) > 300


def test_the_pages_rule_check_agrees_with_exhaustive(node, js_dir):
    """The rule explorer's in-page "check on every page" against shadowmmu.exhaustive."""
    run_node(node, js_dir / "model.mjs", js_dir / "tables.json", "check", js_dir / "none",
             js_dir / "checked.json")
    got = json.loads((js_dir / "checked.json").read_text())
    print(f"\nin-page rule check: {len(got['results'])} rules x 2^20 pages, node {got['ms']:.0f} ms")
    for name, want in check_all_rules().items():
        r = got["results"][name]
        assert (r["pages"], r["wrongPd"], r["wrongPt"]) == (want.pages, want.wrong_pd, want.wrong_pt), name
        first = want.first_counterexample
        if first is None:
            assert r["first"] is None
        else:
            assert (r["first"]["va"], {"pd": 2, "pt": 1}[r["first"]["level"]], r["first"]["expected"],
                    r["first"]["got"]) == (first.va, first.level, first.expected, first.got)
    # by hand (kernel-facts): the misconception is wrong on half the pages, first at 0x00200000
    assert got["results"]["halves"]["wrongPt"] == PAGES // 2
    assert got["results"]["halves"]["first"]["va"] == 0x00200000
