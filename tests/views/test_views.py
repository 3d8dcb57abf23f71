"""shadowmmu.views (the tables): assert on the returned strings. Expected values are the golden table of
kernel-facts.md, written by hand."""

import re
from html.parser import HTMLParser

import pytest

from reference_oracles.golden import GOLDEN as GOLDEN_ROWS

from shadowmmu import decompose
from shadowmmu.exhaustive import check_rule
from shadowmmu.views import (
    FIELD_COLOURS,
    FIELD_LABELS,
    PALETTE,
    PRESETS,
    check_answers,
    format_value,
    make_exercise,
    render_pd_presets,
    render_pd_quarters,
    render_preset_table,
    render_pt_presets,
    render_rule_checks,
    render_rule_table,
    render_solution,
    render_table,
    value_span,
)

# VA, gPDE, gPTE, PDPTE = PD quadrant, sPDE, sPTE, PT quadrant: the golden table's first columns
GOLDEN = [row[:7] for row in GOLDEN_ROWS]


def spans(html: str, cls: str = "smmu-v") -> dict[str, list[str]]:
    """data-field -> [text, ...] of every <span class=cls data-field=...>."""
    found: dict[str, list[str]] = {}
    for field, text in re.findall(
            rf'<span class="{cls}" data-field="([a-z_0-9]+)">([^<]*)</span>', html):
        found.setdefault(field, []).append(text)
    return found


class _WellFormed(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta", "link", "col", "rect", "line", "path",
            "polygon"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def assert_well_formed(html: str):
    p = _WellFormed()
    p.feed(html)
    p.close()
    assert p.stack == []


# --- the shared layer ------------------------------------------------------

def test_palette_is_okabe_ito():
    assert set(PALETTE.values()) == {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442",
                                     "#0072B2", "#D55E00", "#CC79A7", "#999999"}
    assert set(FIELD_COLOURS.values()) <= set(PALETTE.values())
    assert set(FIELD_COLOURS) == set(FIELD_LABELS)


def test_same_bits_same_colour():
    assert FIELD_COLOURS["pdpte_index"] == FIELD_COLOURS["pd_quadrant"]


def test_value_span_format():
    assert value_span("va", 0xC0200000) == \
        '<span class="smmu-v" data-field="va">0xC0200000</span>'
    assert value_span("shadow_pde_index", 245) == \
        '<span class="smmu-v" data-field="shadow_pde_index">245</span>'
    assert format_value("va", 0) == "0x00000000"


def test_render_table_escapes_unless_raw():
    t = render_table(["h"], [["<b>"]])
    assert "&lt;b&gt;" in t and "<b>" not in t
    assert "<b>x</b>" in render_table(["h"], [["<b>x</b>"]], raw=True)


RENDERS = [
    lambda: render_preset_table(),
    lambda: render_pd_presets(),
    lambda: render_pt_presets(),
    lambda: render_pd_quarters(),
    lambda: render_rule_table(),
    lambda: render_solution(make_exercise(1, 0)),
    lambda: render_solution(make_exercise(1, 2)),
]


@pytest.mark.parametrize("render", RENDERS)
def test_views_are_well_formed_and_modest(render):
    html = render()
    assert_well_formed(html)
    assert len(html) < 40_000


# --- notebooks 01, 02 ------------------------------------------------------

def test_preset_table_rows():
    html = render_preset_table()
    for va in PRESETS:
        assert f"0x{va:08X}" in html
    # 0xC0200000: gPDE 768, gPTE 512, PDPTE 3, sPDE 1, sPTE 0, PT quadrant 1
    assert re.search(r">0xC0200000</td>.*?>768</td>.*?>512</td>.*?>3</td>.*?>3</td>"
                     r".*?>1</td>.*?>0</td>.*?>1</td>", html)


# --- notebook 03 -----------------------------------------------------------

def test_pd_quarters_table():
    html = render_pd_quarters()
    for text in ("L2 q0", "L2 q3", "768-1023", "0xC00-0xFFF", "0x40000000-0x7FFFFFFF"):
        assert text in html


# --- notebook 04 -----------------------------------------------------------

def test_pt_presets_table():
    html = render_pt_presets()
    assert html.count("HALVES WRONG") == 3  # 0x00200000, 0xC0200000, 0xDEADBEEF
    assert html.count(">agree<") == 3


# --- notebook 05 -----------------------------------------------------------

def test_rule_table_lists_every_rule_and_fate():
    html = render_rule_table()
    for name in ("seed-v5", "lai", "generalised", "mainline", "legacy", "halves"):
        assert f">{name}</td>" in html
    assert "never merged" in html and "mainline since Linux 6.0" in html
    assert "spte_index &amp; 1" in html and "spte_index % (1 &lt;&lt; level)" in html




def test_rule_checks():
    table = render_rule_checks({"mainline": check_rule("mainline"),
                                "halves": check_rule("halves")})
    assert "1,048,576" in table and ">NO<" in table and ">yes<" in table


# --- notebook 09 -----------------------------------------------------------

def test_exercises_are_deterministic_and_cycle_kinds():
    assert make_exercise(3, 4) == make_exercise(3, 4)
    assert make_exercise(3, 0) != make_exercise(4, 0)
    assert [make_exercise(0, n).kind for n in range(6)] == ["address", "pt-write",
                                                            "pd-write"] * 2


def test_address_exercise_answers_are_the_decomposition():
    for n in (0, 3, 6, 9):
        ex = make_exercise(11, n)
        d = decompose(ex.va)
        assert dict(ex.answers) == {
            "pd_quadrant": d.va >> 30, "guest_pde_index": d.va >> 22,
            "shadow_pde_index": (d.va >> 21) & 511, "pt_quadrant": (d.va >> 21) & 1,
            "guest_pte_index": (d.va >> 12) & 1023, "shadow_pte_index": (d.va >> 12) & 511}


def test_write_exercise_answers_follow_the_closed_forms():
    for n in (1, 4, 7):
        ex = make_exercise(5, n)
        j = ex.offset // 4  # gPTE j -> PT quadrant j // 512, sPTE j % 512
        assert dict(ex.answers) == {"pt_quadrant": j // 512, "shadow_pte_index": j % 512}
    for n in (2, 5, 8):
        ex = make_exercise(5, n)
        k = ex.offset // 4  # gPDE k -> PD quadrant k // 256, sPDEs 2(k % 256), +1
        assert dict(ex.answers) == {"pd_quadrant": k // 256, "spte_lo": 2 * (k % 256),
                                    "spte_hi": 2 * (k % 256) + 1}


def test_check_answers():
    ex = make_exercise(5, 2)
    a = dict(ex.answers)
    given = {"pd_quadrant": str(a["pd_quadrant"]), "spte_lo": hex(a["spte_lo"]),
             "spte_hi": "nope"}
    assert check_answers(ex, given) == {"pd_quadrant": True, "spte_lo": True, "spte_hi": None}


def test_solution_names_the_answers():
    ex = make_exercise(5, 1)
    s = spans(render_solution(ex))
    assert s["pt_quadrant"] == [str(dict(ex.answers)["pt_quadrant"])]
    assert "write_effects" in render_solution(ex)
