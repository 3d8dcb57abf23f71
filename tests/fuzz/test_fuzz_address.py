"""Fuzz the one typed-number parser: parse_address(), parse_number() (other names and ranges) and the CLI in batches.

The oracles are independent of the parsers' code:

* spellings built from a known number (decimal, 0x hex, bare hex with a
  letter, underscores between digits, spaces around): the parser must give
  back exactly that number, or refuse it with AddressError if it is above
  0xFFFFFFFF -- never a clamped or truncated value;
* arbitrary text: either AddressError whose message quotes the input and the
  valid range, or a number that the text's own digits spell (read as hex or
  as decimal after dropping a 0x, underscores and spaces): nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import ANY_TEXT, NEAR_MISS, RANGE_TEXT, VA_MAX, budget, digits_spell, spelled_numbers
from shadowmmu import AddressError, parse_address
from shadowmmu.address import parse_number

@budget()
@given(spelled_numbers())
def test_parse_address_gives_back_the_number_typed(fuzz_inputs, case):
    fuzz_inputs.add("parse_address")
    n, text = case
    if n <= VA_MAX:
        assert parse_address(text) == n, text
    else:
        try:
            got = parse_address(text)
        except AddressError as err:
            assert RANGE_TEXT in str(err)
        else:
            raise AssertionError(f"{text!r} (= {n:#x}) gave {got:#x}: clamped or truncated")


@budget()
@given(st.one_of(ANY_TEXT, NEAR_MISS, st.integers(), st.floats(), st.booleans(), st.none(),
                 st.binary(max_size=8)))
def test_parse_address_returns_the_digits_or_refuses_clearly(fuzz_inputs, value):
    fuzz_inputs.add("parse_address")
    try:
        got = parse_address(value)
    except AddressError as err:
        message = str(err)
        assert message.startswith("address ") and RANGE_TEXT in message, message
        if isinstance(value, str) and value.strip():
            assert repr(value) in message, message
        return
    assert isinstance(got, int) and 0 <= got <= VA_MAX
    if isinstance(value, str):
        assert digits_spell(value, got), (value, got)
    else:
        assert type(value) is int and got == value


#: (name, maximum) pairs as the callers use them: byte offsets, 10-bit and 9-bit indices, answers.
RANGES = st.one_of(st.sampled_from([("byte offset", 0xFFF), ("guest PDE index", 0x3FF),
                                    ("pte_index", 0x1FF), ("quadrant", 3), ("answer", VA_MAX)]),
                   st.tuples(st.just("field"), st.integers(1, VA_MAX)))


def refuses_clearly(message: str, name: str, maximum: int) -> bool:
    """Does the refusal name the input and show the top of the valid range?"""
    return message.startswith(name + " ") and f"0x{maximum:X}" in message


@budget()
@given(spelled_numbers(), RANGES)
def test_parse_number_gives_back_the_number_or_refuses_above_its_range(fuzz_inputs, case, where):
    fuzz_inputs.add("parse_number")
    (n, text), (name, maximum) = case, where
    try:
        got = parse_number(text, name=name, maximum=maximum)
    except AddressError as err:
        assert n > maximum, f"{text!r} (= {n:#x}) refused as a {name} in 0..{maximum:#x}: {err}"
        assert refuses_clearly(str(err), name, maximum), str(err)
    else:
        assert n <= maximum and got == n, f"{text!r} (= {n:#x}) gave {got:#x}: clamped or truncated"


@budget()
@given(st.one_of(ANY_TEXT, NEAR_MISS), RANGES)
def test_parse_number_returns_the_digits_or_refuses_clearly(fuzz_inputs, text, where):
    fuzz_inputs.add("parse_number")
    name, maximum = where
    try:
        got = parse_number(text, name=name, maximum=maximum)
    except AddressError as err:
        assert refuses_clearly(str(err), name, maximum), str(err)
        if text.strip():
            assert repr(text) in str(err), str(err)
        return
    assert isinstance(got, int) and 0 <= got <= maximum
    assert digits_spell(text, got), (text, got)


# -- the command line, as a subprocess, hundreds of addresses per call -----------------

ARGV_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    min_size=0, max_size=16)


def is_error_for(line: str, text: str) -> bool:
    """Is this stderr line the CLI's refusal of argument text (the message quotes it)?"""
    if not text.strip():
        return line == "shadowmmu: address is empty; give a value in " + RANGE_TEXT
    return line.startswith(f"shadowmmu: address {text!r} ") and RANGE_TEXT in line


@budget(25)
@given(st.lists(st.one_of(spelled_numbers(), ARGV_TEXT.map(lambda t: (None, t))),
                min_size=100, max_size=300))
def test_cli_reports_every_good_address_and_one_line_per_bad_one(fuzz_inputs, batch):
    fuzz_inputs.add("CLI (python -m shadowmmu)", len(batch))
    texts = [t for _, t in batch]
    proc = subprocess.run([sys.executable, "-m", "shadowmmu", "--json", "--", *texts],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    rows = json.loads(proc.stdout)
    errors = proc.stderr.splitlines()
    # in argument order, each argument is the next error line (quoting it) or the next row
    r = e = 0
    for n, text in batch:
        if e < len(errors) and is_error_for(errors[e], text):
            assert n is None or n > VA_MAX, f"{text!r} (= {n:#x}) refused: {errors[e]}"
            e += 1
            continue
        assert r < len(rows), (text, proc.stderr)
        va = rows[r]["va"]
        assert rows[r]["address"] == f"0x{va:08X}"
        if n is not None:
            assert va == n, (text, va)
        else:
            assert digits_spell(text, va), (text, va)
        r += 1
    assert (r, e) == (len(rows), len(errors)), (proc.stderr, len(rows))
    assert proc.returncode == (2 if errors else 0)
