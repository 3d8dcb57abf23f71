"""Every docstring example in the package runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import shadowmmu

MODULES = sorted(m.name for m in pkgutil.walk_packages(shadowmmu.__path__, "shadowmmu.")
                 if m.name != "shadowmmu.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_core_modules_have_examples():
    attempted = sum(doctest.testmod(importlib.import_module(f"shadowmmu.{m}")).attempted
                    for m in ("address", "role", "rules", "writes", "exhaustive"))
    assert attempted >= 20
