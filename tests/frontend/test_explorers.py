"""The explorer widgets from Python: traitlets in, state out, bad values refused with a message,
and the static picture each output carries. Expected numbers come from the golden table
(typed by hand) or from the model (parse_address), never from the code under test."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import traitlets

import shadowmmu.frontend.explorers as E

from reference_oracles.golden import GOLDEN
from shadowmmu import parse_address
from shadowmmu.frontend.explorers import (
    Explorer,
    address_anatomy,
    exercise,
    linked,
    pd_split,
    pt_split,
    rule_explorer,
    static_svg,
)
from shadowmmu.exercises import make_exercise

BUILDERS = {"address-anatomy": address_anatomy, "pd-split": pd_split, "pt-split": pt_split,
            "rule": rule_explorer}
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="static pictures need node")


@pytest.mark.parametrize("kind", BUILDERS)
def test_builders_name_their_explorer_and_take_any_address_spelling(kind):
    x = BUILDERS[kind]("0xC020_0000")
    assert x.kind == kind and x.address == 0xC0200000
    x.address = "3221225472"
    assert x.address == 0xC0000000


@pytest.mark.parametrize("bad", ["0x1_0000_0000", "-1", "", "007", "0b101", 2**32, True, 1.5])
def test_bad_addresses_are_refused_with_parse_address_message(bad):
    x = address_anatomy(0xDEADBEEF)
    with pytest.raises(ValueError) as want:
        parse_address(bad)
    with pytest.raises(traitlets.TraitError) as got:
        x.address = bad
    assert str(got.value) == str(want.value)
    assert x.address == 0xDEADBEEF  # nothing changed


def test_rule_must_be_a_quadrant_rule():
    x = rule_explorer(rule="halves")
    with pytest.raises(traitlets.TraitError, match="unknown quadrant rule 'top-half'; choose one of"):
        x.rule = "top-half"
    assert x.rule == "halves"


def test_exercises_are_the_engines_with_their_answers():
    x = exercise(seed=2024, count=6)
    assert len(x.exercises) == 6 and x.address == x.exercises[0]["va"]
    for rec in x.exercises:
        ex = make_exercise(2024, rec["number"])
        assert rec["question"] == ex.question
        assert [(a["name"], a["value"]) for a in rec["answers"]] == list(ex.answers)
    with pytest.raises(traitlets.TraitError, match=r"exercise number 6 is outside 0\.\.5"):
        x.number = 6


def test_a_write_exercise_shows_an_address_whose_walk_uses_the_written_entry():
    x = exercise(seed=2024, count=3)
    pt = x.exercises[1]  # kinds cycle address, pt-write, pd-write
    assert pt["kind"] == "pt-write"
    entry = int(re.search(r"gPTE (\d+)", pt["question"]).group(1))
    assert (pt["va"] >> 12) & 0x3FF == entry
    pd = x.exercises[2]
    assert pd["kind"] == "pd-write"
    assert pd["va"] >> 22 == int(re.search(r"gPDE (\d+)", pd["question"]).group(1))


def test_linked_explorers_share_address_and_rule():
    a, b = rule_explorer(0x00200000, "halves"), rule_explorer()
    box = linked(a, b, address_anatomy())
    assert len(box.links) == 3  # address to each of two, rule to the other rule explorer
    assert [(l.source[1], l.target[1]) for l in box.links] == [("address", "address")] * 2 + [("rule", "rule")]


@needs_node
@pytest.mark.parametrize("row", GOLDEN[:: 3], ids=lambda r: f"0x{r[0]:08X}")
def test_static_picture_carries_the_state(row):
    va, gpde, gpte, pdpte, spde, spte, ptq = row[:7]
    svg = static_svg(pt_split(va))
    assert svg.startswith("<svg") and f"0x{va:08X}" in svg
    assert f'data-field="guest_pde_index"' in svg and f"guest PDE {gpde}" in svg
    assert re.search(rf'data-field="shadow_pde_index"[^>]*>{spde}<', svg)
    assert re.search(rf'data-field="shadow_pte_index"[^>]*>{spte}<', svg)
    assert re.search(rf'data-field="pt_quadrant"[^>]*>{ptq}<', svg)
    assert f'data-select-address="0x{va:08X}"' in svg  # the selected entries select va itself


@needs_node
def test_output_carries_svg_beside_the_widget():
    data, _ = address_anatomy(0x00200000)._repr_mimebundle_()
    assert {"image/svg+xml", "application/vnd.jupyter.widget-view+json", "text/plain"} <= set(data)
    assert data["text/plain"] == "<address-anatomy explorer at 0x00200000>"
    assert all(f'data-bit="{n}"' in data["image/svg+xml"] for n in range(32))
    data, _ = linked(address_anatomy(), rule_explorer())._repr_mimebundle_()
    assert data["image/svg+xml"].count("<svg") == 3


@needs_node
def test_a_wrong_rule_says_so_in_the_picture():
    svg = static_svg(rule_explorer(0x00200000, rule="halves"))
    assert "WRONG: PT quadrant 0, but VA bit 21 = 1" in svg
    assert "WRONG" not in static_svg(rule_explorer(0x00200000, rule="legacy"))


def test_one_es_module_for_every_explorer():
    assert isinstance(Explorer._esm, str) and re.search(r"export\{[^}]*\brender\b", Explorer._esm)
    assert not re.search(r"\bimport\b", Explorer._esm)  # one bundled module: nothing left to import
    assert "http" not in Explorer._esm.replace("http://www.w3.org/2000/svg", "")  # no CDN


def test_a_failing_node_gives_a_line_not_a_traceback(monkeypatch):
    def broken(views):
        raise RuntimeError("node could not draw the static picture: boom")
    monkeypatch.setattr(E, "draw_with_node", broken)
    data, _ = address_anatomy(0)._repr_mimebundle_()
    assert "image/svg+xml" not in data
    assert data["text/plain"].endswith("[no static picture: node could not draw the static picture: boom]")


COMMITTED = ["02-address-anatomy", "03-pd-split", "04-pt-split", "05-role-from-parent", "09-exercises"]


@pytest.mark.parametrize("stem", COMMITTED)
def test_committed_notebooks_carry_well_formed_static_pictures(stem):
    """GitHub shows image/svg+xml only if it is well-formed XML; every explorer output has one."""
    path = Path(__file__).resolve().parents[2] / "notebooks" / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    pictures = [out["data"]["image/svg+xml"] for c in nb.cells if c.cell_type == "code"
                for out in c.outputs if "in-page explorer" in out.get("data", {}).get("text/plain", "")]
    assert pictures, f"{stem}: no explorer output"
    for svg in pictures:
        svg = "".join(svg) if isinstance(svg, list) else svg
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


@needs_node
@pytest.mark.parametrize("x", [address_anatomy(), pd_split(), pt_split(), rule_explorer(rule="halves"),
                               exercise(count=1)], ids=lambda x: x.kind)
def test_no_text_below_11px(x):
    sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)"', static_svg(x))]
    assert sizes and min(sizes) >= 11


def test_predict_is_only_for_the_pd_and_pt_split():
    assert pd_split(predict=True).predict and pt_split(predict=True).predict
    assert not pd_split().predict  # the plain explorer stays the default
    with pytest.raises(traitlets.TraitError, match="predict=True is for the pd-split and pt-split explorers"):
        address_anatomy().predict = True


def _readout(svg: str, name: str) -> str:
    root = ET.fromstring(svg)
    return [e.text for e in root.iter() if e.get("data-field") == name][-1]


@needs_node
@pytest.mark.parametrize("kind, level", [("pd-split", "pd"), ("pt-split", "pt")])
def test_a_hidden_quadrant_is_not_drawn(kind, level):
    # one address per answer: bits 31:30 = q for the PD; bit 21 = q for the PT (by hand)
    vas = [q << 30 | 0x00345000 for q in range(4)] if level == "pd" else [0x00200000, 0x00400000]
    views = [{"kind": kind, "va": va, **h} for va in vas for h in ({}, {"hide": level})]
    out = E.draw_with_node(views)
    for i, va in enumerate(vas):
        want = va >> 30 if level == "pd" else va >> 21 & 1
        plain, hidden = out[2 * i], out[2 * i + 1]
        assert _readout(plain, f"{level}_quadrant") == str(want)
        assert _readout(hidden, f"{level}_quadrant") == "?"
        marker = "->q" if level == "pt" else f"PAE PD q{want}:"
        words = lambda svg: "".join(ET.fromstring(svg).itertext())
        assert marker in words(plain) and marker not in words(hidden)


@needs_node
def test_a_write_exercise_shows_no_address_before_its_answer():
    """Issue 20 point 15: seed 2024's exercise 1 (a guest-PT write at byte 0x46C, gPTE 283) drew
    0x0011B000, whose bit 21 and bits 20:12 are the answer; now the picture names no address
    until revealed, and the page-directory reveal frames both zapped PAE PDEs."""
    x = exercise(seed=2024, count=3)
    pt, pd = x.exercises[1], x.exercises[2]
    assert (pt["kind"], pd["kind"]) == ("pt-write", "pd-write")
    hidden, shown, pd_shown = E.draw_with_node([
        {"kind": "exercise", "va": pt["va"], "exercise": pt, "revealed": False},
        {"kind": "exercise", "va": pt["va"], "exercise": pt, "revealed": True},
        {"kind": "exercise", "va": pd["va"], "exercise": pd, "revealed": True}])
    va_text = f"0x{pt['va']:08X}"
    assert va_text not in hidden and "data-bit" not in hidden and "No address is named" in hidden
    assert va_text in shown
    # gPDE k = va >> 22 (by hand: the written entry); its PAE PDEs are 2(k mod 256) and +1
    k = pd["va"] >> 22
    pair = [2 * (k % 256), 2 * (k % 256) + 1]
    framed = re.findall(r'data-link="gpde\d+[^"]*f:shadow_pde_index"', pd_shown)
    assert len(framed) == 2, framed
    assert [a["value"] for a in pd["answers"]][1:] == pair


def test_every_exercise_answer_carries_a_hint_that_names_where_it_comes_from():
    x = exercise(seed=2024, count=6)
    for rec in x.exercises:
        for a in rec["answers"]:
            assert a["hint"] and str(a["value"]) not in a["hint"].split(), (rec["number"], a)
    assert "bit 21" in x.exercises[0]["answers"][3]["hint"]  # the address kind's PT quadrant
