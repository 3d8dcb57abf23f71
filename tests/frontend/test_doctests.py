"""Every docstring example in shadowmmu.frontend runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import shadowmmu.frontend

MODULES = sorted(m.name for m in pkgutil.iter_modules(shadowmmu.frontend.__path__, "shadowmmu.frontend."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_explorers_module_has_examples():
    assert doctest.testmod(importlib.import_module("shadowmmu.frontend.explorers")).attempted >= 2
