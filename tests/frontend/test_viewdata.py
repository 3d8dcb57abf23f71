"""The tables the page computes from, against the model and against hand-typed values.

Expected values are typed by hand from kernel-facts.md (the golden table, the
quadrant rules' definitions) or are the model's own objects (the palette must be
the *same* one views draws with); none is printed by viewdata.
"""

from __future__ import annotations

import json
import re

import pytest

from shadowmmu import views
from shadowmmu.frontend.assets import module_text
from shadowmmu.frontend.viewdata import (
    EXPLORERS,
    explorer_tables,
    parser_table,
    rule_record,
)
from shadowmmu.rules import QUADRANT_RULES, Rule


def test_layouts_are_the_sdm_splits():
    lay = explorer_tables()["layouts"]
    assert [(f["name"], f["hi"], f["lo"]) for f in lay["guest-4k"]] == [
        ("guest_pde_index", 31, 22), ("guest_pte_index", 21, 12), ("page_offset", 11, 0)]
    assert [(f["hi"], f["lo"]) for f in lay["pae-4k"]] == [(31, 30), (29, 21), (20, 12), (11, 0)]
    assert [(f["name"], f["hi"], f["lo"]) for f in lay["quadrant"]] == [
        ("pd_quadrant", 31, 30), ("pt_quadrant", 21, 21)]


def test_rule_tables_by_hand():
    rules = explorer_tables()["rules"]
    assert set(rules) == set(QUADRANT_RULES) and explorer_tables()["rule_order"] == list(QUADRANT_RULES)
    main = rules["mainline"]
    assert main["pd"] == [0, 1, 2, 3]                      # pae_root[i] gets quadrant i
    assert main["pt"][:4] == [0, 1, 0, 1] and main["pt"][244:246] == [0, 1]   # spte_index & 1
    assert len(main["pt"]) == 512 and sum(main["pt"]) == 256
    halves = rules["halves"]
    assert halves["pt"][255] == 0 and halves["pt"][256] == 1 and sum(halves["pt"]) == 256
    assert rules["lai"]["pd"] == [0, 1, 2, 3] and rules["generalised"]["pd"] == [0, 1, 2, 3]
    assert rules["seed-v5"]["pt"] == main["pt"]
    legacy = rules["legacy"]
    assert "pt" not in legacy and "pd" not in legacy
    assert (legacy["reads"]["pd"]["hi"], legacy["reads"]["pd"]["lo"]) == (31, 30)
    assert (legacy["reads"]["pt"]["hi"], legacy["reads"]["pt"]["lo"]) == (21, 21)
    assert [r["correct"] for r in rules.values()].count(False) == 1


def test_a_rule_that_reads_the_address_cannot_be_tabled_by_index():
    sneaky = Rule("sneaky", "t", "f", "o", "s", "preallocated", frozenset({1}), True,
                  lambda level, i, va: (va >> 21) & 1)
    with pytest.raises(TypeError):
        rule_record(sneaky)


def test_what_each_shadow_page_shadows():
    sh = explorer_tables()["shadow"]
    # golden table: gPDE 768 sits at byte 0xC00 of the guest PD, in PD quadrant 3
    assert [(p["first"], p["last"]) for p in sh["pd"]] == [(0, 255), (256, 511), (512, 767), (768, 1023)]
    assert sh["pd"][3]["byte_lo"] == 0xC00 and all(p["sptes_per_gpte"] == 2 for p in sh["pd"])
    # golden table: gPTE 512 sits at byte 0x800, PT quadrant 1: lower and upper 2 KiB
    assert [(p["first"], p["last"], p["byte_lo"], p["byte_hi"]) for p in sh["pt"]] == [
        (0, 511, 0x000, 0x7FF), (512, 1023, 0x800, 0xFFF)]
    assert (sh["gpte_size"], sh["spte_size"], sh["guest_entries"], sh["shadow_entries"]) == (4, 8, 1024, 512)


def test_parser_table_is_pythons_own_character_classes():
    p = parser_table()
    def within(runs, cp):
        return any(lo <= cp <= hi for lo, hi in runs)
    # str.strip() strips these, JavaScript's trim() disagrees on each one
    assert within(p["whitespace"], 0x1C) and within(p["whitespace"], 0x85)
    assert not within(p["whitespace"], 0xFEFF)
    assert within(p["nonprintable"], 0x00) and within(p["nonprintable"], 0xA0)
    assert not within(p["nonprintable"], ord(" ")) and not within(p["nonprintable"], ord("ü"))
    assert (p["va_max"], p["valid_range"]) == (0xFFFFFFFF, "0x00000000..0xFFFFFFFF")


def test_one_palette_for_python_and_js():
    colours = explorer_tables()["colours"]
    assert colours["field_colours"] == views.FIELD_COLOURS
    assert colours["field_labels"] == views.FIELD_LABELS
    assert colours["palette"]["vermillion"] == "#D55E00"          # Okabe-Ito, by hand
    assert colours["ink"]["#0072B2"] == "#fff" and colours["ink"]["#F0E442"] == "#000"


def test_arrow_keys_name_real_fields_for_every_explorer():
    t = explorer_tables()
    names = {f["name"] for layout in t["layouts"].values() for f in layout}
    assert set(t["arrows"]) == set(EXPLORERS) == {"address-anatomy", "pd-split", "pt-split",
                                                   "rule", "exercise"}
    assert all(set(v) <= names for v in t["arrows"].values())


def test_tables_are_json():
    assert json.loads(json.dumps(explorer_tables())) == explorer_tables()


BIT_POSITIONS = {"12", "21", "22", "30", "31"}
SIZES = re.compile(r"\b(256|511|512|1023|1024|2048|4095|4096|0x[fF]{3,8}|0x[13]?[fF]{2})\b")


PICTURES = ("draw.js", "bits.js", "twotrees.js", "readout.js", "real_draw.js")


@pytest.mark.parametrize("name", ["model.js", "explorer.js", "exercise.js", "rulecheck.js", *PICTURES])
def test_the_js_holds_no_kernel_constants(name):
    """Outside strings and comments the JS names no table size or mask, and the model and
    the widget glue no bit position either (a picture's pixel geometry may use small numbers)."""
    code = module_text(name)
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r"`(?:\\.|[^`\\])*`|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', code)
    hits = SIZES.findall(code)
    if name not in PICTURES:
        hits += [n for n in re.findall(r"\b\d+\b", code) if n in BIT_POSITIONS]
    assert not hits, hits


def test_sizes_are_said_by_python():
    sh = explorer_tables()["shadow"]
    assert sh["page"] == "4 KiB" and [p["size"] for p in sh["pt"]] == ["2 KiB", "2 KiB"]
    assert [p["size"] for p in sh["pd"]] == ["1 KiB"] * 4   # 256 gPDEs x 4 bytes each
