"""shadowmmu.views: assert on the returned strings. Expected values are the golden table of
kernel-facts.md, written by hand."""

import re
from html.parser import HTMLParser

import pytest

from oracles.golden import GOLDEN as GOLDEN_ROWS

from shadowmmu import decompose
from shadowmmu.exhaustive import check_rule
from shadowmmu.views import (
    FIELD_COLOURS,
    FIELD_LABELS,
    PALETTE,
    PRESETS,
    check_answers,
    field_chip,
    format_value,
    make_exercise,
    render_address_anatomy,
    render_error,
    render_legend,
    render_pd_presets,
    render_pd_quarters,
    render_pd_split,
    render_preset_table,
    render_pt_presets,
    render_pt_split,
    render_refutation,
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


def test_render_error_escapes_and_has_role_alert():
    assert render_error(ValueError("address '<x>' is outside 0x00000000..0xFFFFFFFF")) == (
        '<div class="smmu-error" role="alert">address &#x27;&lt;x&gt;&#x27; is outside '
        "0x00000000..0xFFFFFFFF</div>")


def test_render_table_escapes_unless_raw():
    t = render_table(["h"], [["<b>"]])
    assert "&lt;b&gt;" in t and "<b>" not in t
    assert "<b>x</b>" in render_table(["h"], [["<b>x</b>"]], raw=True)


def test_chip_and_legend_say_what_they_colour():
    for name in FIELD_COLOURS:
        chip = field_chip(name)
        assert FIELD_LABELS[name] in chip and FIELD_COLOURS[name] in chip
    legend = render_legend(["pd_quadrant", "pt_quadrant"])
    assert "PD quadrant" in legend and "PT quadrant" in legend


RENDERS = [
    lambda: render_address_anatomy(0xDEADBEEF),
    lambda: render_pd_split(0xDEADBEEF),
    lambda: render_pt_split(0x00200000),
    lambda: render_preset_table(),
    lambda: render_pd_presets(),
    lambda: render_pt_presets(),
    lambda: render_pd_quarters(),
    lambda: render_rule_table(),
    lambda: render_solution(make_exercise(1, 0)),
    lambda: render_solution(make_exercise(1, 2)),
]


@pytest.mark.parametrize("render", RENDERS)
def test_every_coloured_field_is_labelled_in_text(render):
    html = render()
    visible = re.sub(r"<[^>]+>", " ", html)  # the text a reader sees, tags removed
    coloured = set(re.findall(r"smmu-f-([a-z_]+)", html))
    for name in coloured:
        assert FIELD_LABELS[name] in visible, name


@pytest.mark.parametrize("render", RENDERS)
def test_views_are_well_formed_and_modest(render):
    html = render()
    assert_well_formed(html)
    assert len(html) < 40_000


@pytest.mark.parametrize("render", RENDERS)
def test_views_are_deterministic(render):
    assert render() == render()


# --- notebook 02 -----------------------------------------------------------



def test_anatomy_bits_and_fields():
    html = render_address_anatomy(0xDEADBEEF)
    # 0xDEADBEEF = 11 01111010 1 011011011 111011101111, bit 31 first, drawn in both rows
    row = "".join(re.findall(r'data-bit="\d+"[^>]*>([01])</td>', html))
    assert row == "11011110101011011011111011101111" * 2
    for text in ("guest PDE<br>31:22<br>= 890", "guest PTE<br>21:12<br>= 731",
                 "offset<br>11:0<br>= 0xEEF", "PDPTE<br>31:30<br>= 3",
                 "PAE PDE<br>29:21<br>= 245", "PAE PTE<br>20:12<br>= 219"):
        assert text in html
    # bits coloured by their job; bit 21 is the PT quadrant, bits 31:30 the PD quadrant
    assert re.search(r'class="smmu-bit-cell smmu-f-pt_quadrant" data-bit="21"', html)
    assert re.search(r'class="smmu-bit-cell smmu-f-pd_quadrant" data-bit="30"', html)
    assert re.search(r'class="smmu-bit-cell smmu-f-pde_pair" data-bit="22"', html)
    assert "guest PDE 890 = 256 &times; 3 + 122" in html


def test_preset_table_rows():
    html = render_preset_table()
    for va in PRESETS:
        assert f"0x{va:08X}" in html
    # 0xC0200000: gPDE 768, gPTE 512, PDPTE 3, sPDE 1, sPTE 0, PT quadrant 1
    assert re.search(r">0xC0200000</td>.*?>768</td>.*?>512</td>.*?>3</td>.*?>3</td>"
                     r".*?>1</td>.*?>0</td>.*?>1</td>", html)


# --- notebook 03 -----------------------------------------------------------

@pytest.mark.parametrize("va,gpde,pdq,pair", [
    (0xDEADBEEF, 890, 3, (244, 245)),
    (0x00400000, 1, 0, (2, 3)),
    (0x3FFFFFFF, 255, 0, (510, 511)),
    (0x40000000, 256, 1, (0, 1)),
    (0xC0200000, 768, 3, (0, 1)),
])
def test_pd_split_highlights_pde_and_pair(va, gpde, pdq, pair):
    svg = render_pd_split(va)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert re.findall(r'data-highlight="guest-pde" data-index="(\d+)"', svg) == [str(gpde)]
    got = re.findall(r'data-highlight="pae-pde" data-pd-quadrant="(\d)" data-index="(\d+)"', svg)
    assert got == [(str(pdq), str(pair[0])), (str(pdq), str(pair[1]))]
    assert f"guest PDE {gpde} -&gt; PAE PDEs {pair[0]}, {pair[1]} of PD quadrant {pdq}" in svg


def test_pd_split_draws_four_pds_one_quarter_each():
    svg = render_pd_split(0)
    assert re.findall(r'data-pd-quadrant="(\d)" x', svg)[:4] == ["0", "1", "2", "3"]
    for i, (lo, hi) in enumerate([(0, 255), (256, 511), (512, 767), (768, 1023)]):
        assert f"guest PDEs {lo}-{hi}" in svg
        assert f"pae_root[{i}]: PD quadrant {i}" in svg
    assert "VA 0xC0000000-0xFFFFFFFF" in svg


def test_pd_split_zoom_crosses_quarters():
    svg = render_pd_split(0xC0000000)  # gPDE 768, first of quadrant 3
    zoom = re.findall(r'data-zoom-pae-pde="(\d+)" data-pd-quadrant="(\d)"', svg)
    assert ("510", "2") in zoom and ("511", "2") in zoom  # gPDE 767 -> PD 2, PDEs 510, 511
    assert ("0", "3") in zoom and ("1", "3") in zoom


def test_pd_quarters_table():
    html = render_pd_quarters()
    for text in ("L2 q0", "L2 q3", "768-1023", "0xC00-0xFFF", "0x40000000-0x7FFFFFFF"):
        assert text in html


# --- notebook 04 -----------------------------------------------------------

def test_pt_split_interleaves_consecutive_pae_pdes():
    svg = render_pt_split(0xDEADBEEF)
    window = [(int(i), int(q)) for i, q in re.findall(r'data-spde="(\d+)" data-quadrant="(\d)"',
                                                        svg)]
    assert len(window) == 8
    assert [i for i, _ in window] == list(range(window[0][0], window[0][0] + 8))
    assert [q for _, q in window] == [i % 2 for i, _ in window]
    assert (245, 1) in window and (244, 0) in window


def test_pt_split_guest_halves_and_highlight():
    svg = render_pt_split(0x00200000)
    assert "guest PTEs 0-511 (bytes 0x000-0x7FF)" in svg
    assert "guest PTEs 512-1023 (bytes 0x800-0xFFF)" in svg
    assert 'data-highlight="guest-pte" data-index="512"' in svg
    assert 'data-highlight="pae-pte" data-pt-quadrant="1" data-index="0"' in svg


def test_pt_split_shows_misconception_labelled_side_by_side():
    svg = render_pt_split(0x00200000)
    assert "MISCONCEPTION (wrong)" in svg
    assert 'data-reading="halves"' in svg and 'data-reading="interleave"' in svg
    assert "PAE PDE 1 -&gt; says PT quadrant 0" in svg  # the halves reading
    assert "PAE PDE 1 -&gt; says PT quadrant 1" in svg  # the interleave
    assert "WRONG here" in svg


def test_refutation_for_0x00200000():
    html = render_refutation(0x00200000)
    assert 'data-agree="false"' in html
    assert "bit 21 = 1" in html and "PT quadrant 1" in html and "says quadrant 0" in html


def test_refutation_admits_when_halves_agree():
    assert 'data-agree="true"' in render_refutation(0xFFFFFFFF)  # sPDE 511: odd and upper


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
