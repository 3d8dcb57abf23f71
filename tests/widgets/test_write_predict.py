"""Notebook 07's prediction buttons (widgets.writes.predict_write) and typed offsets.

The right answers are the hand-derived ones of tests/views/test_write_predictions.py.
"""

from shadowmmu.widgets.writes import guest_write_explorer, predict_write


def test_the_answer_is_hidden_until_the_reader_picks():
    ex = predict_write("pd", 0x080, 4)
    assert ex.answer.value == ""
    assert "Predict first" in ex.question.value and "byte 0x080" in ex.question.value
    assert all("smmu-predict-choice" in b._dom_classes for b in ex.choices)
    labels = [b.description for b in ex.choices]
    assert "sPTEs L2 q0 sPTE 64; L2 q0 sPTE 65" in labels
    wrong = next(b for b in ex.choices if b.description.startswith("one sPTE"))
    wrong.click()
    assert 'data-right="false"' in ex.answer.value and wrong.button_style == "info"
    good = next(b for b in ex.choices if b.description == "sPTEs L2 q0 sPTE 64; L2 q0 sPTE 65")
    good.click()
    assert 'data-right="true"' in ex.answer.value and wrong.button_style == ""
    assert ex.debug.value == ""


def test_hello_as_an_offset_says_it_is_not_a_number():
    ex = guest_write_explorer("pt", 0x800, 4)
    before = ex.view.value
    ex.offset.value = "hello"
    assert "is not a number" in ex.status.value and "hello" in ex.status.value
    assert ex.view.value == before  # the last good picture stays
