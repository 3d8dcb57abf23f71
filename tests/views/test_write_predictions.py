"""Notebook 07's "predict, then see" answers (views.writes.write_predictions).

Expected answers come from the golden table of /work/shared/reference/kernel-facts.md,
by hand: a write to guest PDE k zaps PAE PDEs 2(k mod 256) and +1 in the root with PD
quadrant k div 256 (k = 32: sPDEs 64 and 65 of L2 q0); a gPTE write at byte o hits PT
quadrant o div 2048, sPTE (o/4) mod 512 (o = 0x800: L1 q1 sPTE 0); an 8-byte store is
misaligned for 4-byte gPTEs and zaps every shadow page of the frame (trap 11).
"""

import pytest

from shadowmmu.scenarios.write_lab import write_experiment
from shadowmmu.views.writes import render_prediction_feedback, write_predictions


def right(r):
    answers = [label for label, ok in write_predictions(r) if ok]
    assert len(answers) == 1
    return answers[0]


@pytest.mark.parametrize("case, expected", [
    (("pd", 0x080, 4, True), "sPTEs L2 q0 sPTE 64; L2 q0 sPTE 65"),
    (("pt", 0x800, 4, False), "sPTEs L1 q1 sPTE 0"),
    (("pt", 0x000, 4, False), "sPTEs L1 q0 sPTE 0"),
    (("pt", 0x000, 4, True), "nothing: the store lands and no sPTE is zapped"),
    (("pd", 0x080, 8, True), "every shadow page of the frame, whole: L2 q0, L2 q1, L2 q2, L2 q3"),
    (("pt", 0x000, 8, False), "every shadow page of the frame, whole: L1 q0, L1 q1"),
])
def test_the_right_answer_is_what_kvm_does(case, expected):
    assert right(write_experiment(*case)) == expected


def test_the_wrong_answers_are_the_usual_mistakes():
    labels = [label for label, ok in write_predictions(write_experiment("pd", 0x080, 4)) if not ok]
    # no quadrant skip: sPDEs 64 and 65 in all four roots; byte 0x80 / 8 = 16 (trap 7)
    assert "sPTEs " + "; ".join(f"L2 q{q} sPTE {i}" for q in range(4) for i in (64, 65)) in labels
    assert "one sPTE, number 16 (byte offset / 8), in L2 q0" in labels
    assert len(labels) == 3 + 1  # + nothing, + whole pages
    assert labels == sorted(labels)


def test_feedback_says_right_or_wrong_and_shows_the_picture():
    r = write_experiment("pd", 0x080, 4)
    good = render_prediction_feedback("sPTEs L2 q0 sPTE 64; L2 q0 sPTE 65", r)
    bad = render_prediction_feedback("one sPTE, number 16 (byte offset / 8), in L2 q0", r)
    assert 'data-right="true"' in good and "Right." in good
    assert 'data-right="false"' in bad and "You picked: one sPTE, number 16" in bad
    assert "What KVM does: sPTEs L2 q0 sPTE 64; L2 q0 sPTE 65" in bad
    assert 'class="smmu-write-view"' in good and 'class="smmu-write-view"' in bad


def test_an_eight_byte_pd_store_shows_reloaded_roots_not_none_left():
    # issue 13 point 3: the four roots were in use; after the store the vCPU has four new ones
    r = write_experiment("pd", 0x080, 8)
    assert [name for name, present, _ in r.pages_after] == ["L2 q0", "L2 q1", "L2 q2", "L2 q3"]
    assert all(present == 0 for _, present, _ in r.pages_after)
    html = render_prediction_feedback("x", r)
    assert "(none left" not in html and "new roots, reloaded" in html and "obsolete" in html
