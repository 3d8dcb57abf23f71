"""The tables notebooks 05, 09 and 10 show with one call each, against values found elsewhere:
by hand (05), from the exercise model (09), from the fixture files read with lzma and json
alone (10)."""

import html
import json
import lzma
import re
from pathlib import Path

from shadowmmu.exercises import make_exercise
from shadowmmu.scenarios import REAL_PAIR, real_guest
from shadowmmu.views.exercises import render_worked_answers
from shadowmmu.views.real_guest import render_snapshots
from shadowmmu.views.rules import render_rules_at

DATA = Path(__file__).resolve().parents[2] / "shadowmmu" / "data"


def _rows(table: str) -> list[list[str]]:
    body = table.split("<tbody>", 1)[1]
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body)]


def test_every_rule_at_0x00200000_by_hand():
    """0x00200000: bits 31:30 = 0, bit 21 = 1, PAE PDE 1. Every rule but "halves" gives PT
    quadrant 1 (1 % 2, 1 & 1, 1 % 2 at level 1, bit 21); "halves" 0 (1 < 256). The PD
    quadrant is 0 for all; lai, generalised and legacy derive it, the others take it from
    mmu_alloc_root()."""
    not_derived = "not derived (WARN_ON_ONCE if asked); from mmu_alloc_root()"
    assert _rows(render_rules_at(0x00200000)) == [
        ["seed-v5", "0", "0", "1", "1", not_derived],
        ["lai", "0", "0", "1", "1", "derived: 0"],
        ["generalised", "0", "0", "1", "1", "derived: 0"],
        ["mainline", "0", "0", "1", "1", not_derived],
        ["legacy", "0", "0", "1", "1", "derived: 0"],
        ["halves", "0", "0", "0", "1", not_derived],
    ]


def test_the_snapshot_table_reads_what_the_fixture_files_hold():
    want = []
    for name in REAL_PAIR:
        raw = json.loads(lzma.open(DATA / f"{name}.json.xz").read())
        want.append([name, f"0x{raw['cr3']:08X}", f"0x{raw['cr4']:08X}", str(raw["cpl"]),
                     str(len(raw["pages"])), str(len(raw["gva2gpa"]))])
    table = render_snapshots(real_guest(*REAL_PAIR).snapshots)
    assert _rows(table) == want
    assert [r[2] for r in want] == ["0x00000690", "0x00000690"]  # PSE on, PAE off (notebook 10)
    assert 'scenarios.real_guest("user-1", "user-2").snapshots' in html.unescape(table)


def test_the_worked_answers_are_folded_and_give_each_exercise_its_answers():
    page = render_worked_answers(2024, worked=3, count=6)
    assert page.startswith("<details><summary>show the worked answers to exercises 0 to 5 "
                           "(seed 2024)</summary>") and page.endswith("</details>")
    assert page.count('class="smmu-solution"') == 3
    answers = page.rsplit("<table", 1)[1]
    want = []
    for n in (3, 4, 5):
        ex = make_exercise(2024, n)
        labels = dict(ex.fields)
        want.append([str(n), ", ".join(f"{labels[k]} = {v}" for k, v in ex.answers)])
    assert _rows("<table" + answers) == want
