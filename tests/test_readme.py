"""The README's examples run and print what it says, and its commands are the real ones."""

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples():
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0


def test_readme_links_every_notebook():
    text = README.read_text()
    for nb in sorted((README.parent / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        assert f"(notebooks/{nb.name})" in text, nb.name
