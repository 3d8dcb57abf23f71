"""shadowmmu.widgets without a browser: set control values, assert on the views' .value.

Expected numbers come from the golden table of kernel-facts.md, written by hand.
"""

import re

import pytest

from shadowmmu.widgets import (
    Explorer,
    address_explorer,
    exercise_explorer,
    pd_split_explorer,
    pt_split_explorer,
    rule_explorer,
)

ADDRESS_BUILDERS = [address_explorer, pd_split_explorer, pt_split_explorer, rule_explorer]


def shown(explorer) -> dict[str, str]:
    """data-field -> value of the readout's smmu-v spans (each appears once)."""
    return dict(re.findall(r'<span class="smmu-v" data-field="([a-z_]+)">([^<]*)</span>',
                           explorer.readout.value))


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.mark.parametrize("build", ADDRESS_BUILDERS)
def test_dom_conventions(build):
    ex = build()
    assert isinstance(ex, Explorer)
    assert "smmu-explorer" in ex._dom_classes
    assert "smmu-address" in ex.address._dom_classes
    assert ex.address.continuous_update is False
    widgets = list(walk(ex))
    assert ex.address in widgets and ex.readout in widgets and ex.status in widgets
    assert ex.debug in widgets


def test_bit_toggles_have_classes():
    ex = address_explorer()
    assert len(ex.bits) == 32
    for t in ex.bits:
        assert "smmu-bit" in t._dom_classes and f"smmu-bit-{t.bit}" in t._dom_classes
    assert [t.bit for t in ex.bits] == list(range(31, -1, -1))


@pytest.mark.parametrize("build", ADDRESS_BUILDERS)
@pytest.mark.parametrize("text,expected", [
    ("0xDEADBEEF", dict(va="0xDEADBEEF", pdpte_index="3", pd_quadrant="3",
                        guest_pde_index="890", shadow_pde_index="245", pt_quadrant="1",
                        guest_pte_index="731", shadow_pte_index="219", page_offset="3823")),
    ("0x00200000", dict(va="0x00200000", pdpte_index="0", pd_quadrant="0",
                        guest_pde_index="0", shadow_pde_index="1", pt_quadrant="1",
                        guest_pte_index="512", shadow_pte_index="0", page_offset="0")),
    ("c0200000", dict(va="0xC0200000", pdpte_index="3", pd_quadrant="3",
                      guest_pde_index="768", shadow_pde_index="1", pt_quadrant="1",
                      guest_pte_index="512", shadow_pte_index="0", page_offset="0")),
    ("0x3FFFFFFF", dict(va="0x3FFFFFFF", pd_quadrant="0", guest_pde_index="255",
                        shadow_pde_index="511", pt_quadrant="1", guest_pte_index="1023",
                        shadow_pte_index="511", page_offset="4095")),
    ("1073741824", dict(va="0x40000000", pd_quadrant="1", guest_pde_index="256",
                        shadow_pde_index="0", pt_quadrant="0", guest_pte_index="0")),
])
def test_typing_an_address_updates_the_readout(build, text, expected):
    ex = build(0xFFFFFFFF)
    ex.address.value = text
    got = shown(ex)
    assert {k: got[k] for k in expected} == expected
    assert ex.status.value == "" and ex.debug.value == ""


@pytest.mark.parametrize("build", ADDRESS_BUILDERS)
def test_bad_input_shows_error_and_keeps_last_view(build):
    ex = build()
    ex.address.value = "0xC0200000"
    before = (ex.readout.value, [v.value for v in ex.views])
    for bad, words in [("0x1_0000_0000", "outside 0x00000000..0xFFFFFFFF"),
                       ("hello", "is not a number"), ("", "is empty"),
                       ("-5", "is negative")]:
        ex.address.value = bad
        assert re.fullmatch(r'<div class="smmu-error" role="alert">[^<]*</div>',
                            ex.status.value)
        assert words in ex.status.value and "address" in ex.status.value
        assert (ex.readout.value, [v.value for v in ex.views]) == before
    ex.address.value = "0xDEADBEEF"  # good input clears the message
    assert ex.status.value == ""
    assert shown(ex)["guest_pde_index"] == "890"


@pytest.mark.parametrize("build", ADDRESS_BUILDERS)
def test_presets(build):
    ex = build()
    labels = [b.description for b in ex.presets]
    assert labels == ["0x00000000", "0x00200000", "0xC0000000", "0xC0200000", "0xDEADBEEF",
                      "0xFFFFFFFF"]
    ex.presets[3].click()  # 0xC0200000
    assert ex.address.value == "0xC0200000"
    assert (shown(ex)["pd_quadrant"], shown(ex)["shadow_pde_index"],
            shown(ex)["pt_quadrant"]) == ("3", "1", "1")


def test_bit_toggles_drive_and_follow_the_address():
    ex = address_explorer(0x00000000)
    by_bit = {t.bit: t for t in ex.bits}
    by_bit[21].value = True
    assert ex.address.value == "0x00200000"
    assert (shown(ex)["shadow_pde_index"], shown(ex)["pt_quadrant"],
            shown(ex)["guest_pte_index"]) == ("1", "1", "512")
    by_bit[31].value = True
    by_bit[30].value = True
    assert ex.address.value == "0xC0200000"
    assert shown(ex)["pd_quadrant"] == "3" and shown(ex)["guest_pde_index"] == "768"
    ex.address.value = "0xDEADBEEF"
    assert "".join("1" if t.value else "0" for t in ex.bits) == \
        "11011110101011011011111011101111"
    by_bit[21].value = False  # 0xDE8DBEEF: PAE PDE 244, PT quadrant 0, gPTE 219
    assert ex.address.value == "0xDE8DBEEF"
    assert (shown(ex)["shadow_pde_index"], shown(ex)["pt_quadrant"],
            shown(ex)["guest_pte_index"]) == ("244", "0", "219")


def test_bits_after_bad_input_start_from_last_good_address():
    ex = address_explorer(0xC0000000)
    ex.address.value = "nonsense"
    {t.bit: t for t in ex.bits}[21].value = True
    assert ex.address.value == "0xC0200000" and ex.status.value == ""


def test_anatomy_view_follows():
    ex = address_explorer()
    ex.address.value = "0xC0200000"
    assert "PAE PDE<br>29:21<br>= 1" in ex.view.value
    assert "guest PTE<br>21:12<br>= 512" in ex.view.value


def test_pd_split_view_follows():
    ex = pd_split_explorer(0)
    ex.address.value = "0xDEADBEEF"
    assert 'data-highlight="guest-pde" data-index="890"' in ex.view.value
    assert re.findall(r'data-highlight="pae-pde" data-pd-quadrant="(\d)" data-index="(\d+)"',
                      ex.view.value) == [("3", "244"), ("3", "245")]


def test_pt_split_view_and_refutation_follow():
    ex = pt_split_explorer(0xFFFFFFFF)
    assert 'data-agree="true"' in ex.refutation.value
    ex.address.value = "0x00200000"
    assert 'data-agree="false"' in ex.refutation.value
    quads = re.findall(r'data-spde="(\d+)" data-quadrant="(\d)"', ex.view.value)
    assert quads[:4] == [("0", "0"), ("1", "1"), ("2", "0"), ("3", "1")]


def test_rule_explorer():
    ex = rule_explorer(0x00200000, rule="mainline")
    assert ex.rule.options[0][1] == "seed-v5"
    assert 'data-agrees="true"' in ex.check.value
    ex.rule.value = "halves"
    assert 'data-agrees="false"' in ex.check.value
    assert "0x00200000: PT quadrant (VA bit 21) should be 1, rule gives 0" in ex.check.value
    assert re.search(r'data-field="pt_quadrant">0<', ex.view.value)  # halves says 0
    assert shown(ex)["pt_quadrant"] == "1"  # the bits say 1
    ex.address.value = "nope"  # (not "bad": that is hex 0xBAD)
    ex.rule.value = "legacy"  # re-rendered for the last good address
    assert 'data-rule="legacy"' in ex.view.value and "0x00200000" in ex.view.value
    assert ex.checks.value == ""
    ex.check_all.click()
    assert ex.checks.value.count(">yes<") == 5 and ex.checks.value.count(">NO<") == 1
    assert ex.debug.value == ""


def test_exercise_explorer_check_and_reveal():
    ex = exercise_explorer(seed=7, number=0)
    first = ex.question.value
    assert ex.exercise.kind == "address"
    for name, t in ex.answers.items():
        assert "smmu-answer" in t._dom_classes and f"smmu-answer-{name}" in t._dom_classes
    right = dict(ex.exercise.answers)
    # hand check of the package's answers against the address itself
    va = ex.exercise.va
    assert right["pd_quadrant"] == va >> 30 and right["pt_quadrant"] == (va >> 21) & 1
    for name, t in ex.answers.items():
        t.value = str(right[name])
    ex.answers["shadow_pte_index"].value = str((right["shadow_pte_index"] + 1) % 512)
    ex.check.click()
    assert "5 of 6 right" in ex.feedback.value
    assert 'data-field="shadow_pte_index" data-correct="false"' in ex.feedback.value
    assert ex.solution.value == ""
    ex.reveal.click()
    assert f'data-field="shadow_pte_index">{right["shadow_pte_index"]}<' in ex.solution.value
    ex.number.value = 2  # a PD write: three answers, fresh boxes, cleared feedback
    assert ex.exercise.kind == "pd-write" and list(ex.answers) == ["pd_quadrant", "spte_lo",
                                                                   "spte_hi"]
    assert ex.feedback.value == ex.solution.value == ""
    k = ex.exercise.offset // 4
    ex.answers["pd_quadrant"].value = str(k // 256)
    ex.answers["spte_lo"].value = str(2 * (k % 256))
    ex.answers["spte_hi"].value = str(2 * (k % 256) + 1)
    ex.check.click()
    assert "3 of 3 right" in ex.feedback.value
    ex.number.value = 0
    assert ex.question.value == first  # deterministic
    ex.seed.value = 8
    assert ex.question.value != first
    assert ex.debug.value == ""


def test_builders_make_fresh_widgets():
    a, b = address_explorer(), address_explorer()
    assert a.address is not b.address
    a.address.value = "0x00200000"
    assert shown(b)["va"] == "0xDEADBEEF"


def test_callback_errors_are_shown_not_swallowed(monkeypatch):
    ex = pd_split_explorer()

    def boom(d):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr("shadowmmu.widgets.common.render_readout", boom)
    ex.address.value = "0x00200000"
    assert "RuntimeError: drawing failed" in ex.debug.value
    assert 'class="smmu-debug"' in ex.debug.value
