"""The examples in the docstrings run (issue 18.7: "a doctest for each public method that reproduces a published
or peer number"). Every module of ``nqpf`` is searched; a module whose examples fail fails here, and the
functions listed in :data:`MUST_HAVE_EXAMPLES` must keep theirs (a test that cannot silently lose its examples).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import nqpf

MODULES = sorted(m.name for m in pkgutil.walk_packages(nqpf.__path__, "nqpf.") if not m.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: public functions whose docstrings carry an example reproducing a published, peer or textbook number
MUST_HAVE_EXAMPLES = [
    "nqpf.index.weights.entropy_weights",
    "nqpf.index.weights.ahp_weights",
    "nqpf.productivity.dea.dea",
    "nqpf.analysis.inequality.theil",
]


def _tests(name: str) -> list[doctest.DocTest]:
    mod = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder(exclude_empty=True).find(mod, name) if t.examples]


def _has_prompt(name: str) -> bool:
    """Cheap pre-selection without importing: the module's source contains a doctest prompt."""
    spec = importlib.util.find_spec(name)
    return bool(spec and spec.origin and spec.origin.endswith(".py")
                and ">>> " in open(spec.origin, encoding="utf-8").read())


WITH_EXAMPLES = [m for m in MODULES if _has_prompt(m)]


def test_modules_are_found():
    assert len(MODULES) > 50 and "nqpf.index.weights" in WITH_EXAMPLES


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in _tests(name):
        runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} docstring example(s) in {name} fail (output above)"


@pytest.mark.parametrize("qualname", MUST_HAVE_EXAMPLES)
def test_listed_functions_keep_their_examples(qualname):
    mod, _, fn = qualname.rpartition(".")
    assert any(t.name.endswith("." + fn) for t in _tests(mod)), f"{qualname} lost its docstring example"
