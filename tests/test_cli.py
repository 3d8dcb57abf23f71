"""python -m shadowmmu: the table, --json, and bad input (exit 2, others still reported)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reference_oracles.golden import GOLDEN
from shadowmmu.__main__ import main

GOLDEN_DIR = Path(__file__).with_name("golden")


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "shadowmmu", *args],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_table_rows_carry_the_golden_values():
    code, out, err = run(*(f"0x{row[0]:08X}" for row in GOLDEN))
    assert code == 0 and err == ""
    header, *lines = out.splitlines()
    assert header.split()[:2] == ["address", "gPDE"]
    assert len(lines) == len(GOLDEN)
    for line, row in zip(lines, GOLDEN):
        va, gpde, gpte, pdpte, spde, spte, q1 = row[:7]
        tokens = line.split()
        assert tokens[0] == f"0x{va:08X}"
        assert int(tokens[3], 16) == va & 0xFFF
        assert [int(t) for t in tokens[1:3] + tokens[4:]] == [gpde, gpte, pdpte, spde, spte, pdpte, q1]


def test_table_is_aligned():
    # Typed by hand (tests/golden/cli_two_rows.txt): every column right-aligned.
    code, out, _ = run("0x00200000", "0xDEADBEEF")
    assert code == 0
    assert out == (GOLDEN_DIR / "cli_two_rows.txt").read_text()


def test_json_output():
    code, out, _ = run("--json", "0xDEADBEEF", "c0200000")
    assert code == 0
    first, second = json.loads(out)
    assert first["address"] == "0xDEADBEEF" and first["va"] == 0xDEADBEEF
    assert (first["guest_pde_index"], first["guest_pte_index"]) == (890, 731)
    assert (first["pdpte_index"], first["shadow_pde_index"], first["shadow_pte_index"]) == (3, 245, 219)
    assert (first["pd_quadrant"], first["pt_quadrant"]) == (3, 1)
    assert (second["pd_quadrant"], second["pt_quadrant"], second["shadow_pde_index"]) == (3, 1, 1)


def test_bad_address_is_one_line_on_stderr_and_the_rest_still_printed():
    code, out, err = run("0x00400000", "0x1_0000_0000", "bogus", "0xC0000000")
    assert code == 2
    assert err.count("\n") == 2 and err.startswith("shadowmmu: address ")
    assert "0x00000000..0xFFFFFFFF" in err
    rows = out.splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["0x00400000", "0xC0000000"]


def test_json_with_bad_input_still_valid_json():
    code, out, err = run("--json", "-1", "0x40000000")
    assert code == 2 and "negative" in err
    assert [d["pdpte_index"] for d in json.loads(out)] == [1]


def test_console_script_is_installed():
    script = Path(sys.executable).with_name("shadowmmu")
    proc = subprocess.run([str(script), "0xFFFFFFFF"], capture_output=True, text=True)
    assert proc.returncode == 0 and "0xFFFFFFFF" in proc.stdout


@given(st.lists(st.text(max_size=12).filter(lambda t: not t.startswith("-")), min_size=1, max_size=4))
@settings(max_examples=150, deadline=None)
@example(["0B\x1e0"])  # once echoed a control character raw, breaking the one-line message
def test_cli_never_raises(capsys_args):
    # in-process, so hypothesis can try many inputs quickly
    import contextlib
    import io
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(capsys_args)
    assert code in (0, 2)
    assert (code == 2) == bool(err.getvalue())
    assert err.getvalue().count("\n") == sum(1 for _ in err.getvalue().splitlines())


def test_no_addresses_is_a_usage_error():
    code, _, err = run()
    assert code == 2 and "usage" in err
