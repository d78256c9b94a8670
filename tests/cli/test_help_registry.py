"""The CLI's method lists are those of the one registry (issue 18 item 3).

The help screens must not import the library (start-up, issue 15: no numpy/pandas for ``--help``), so the
choices are written in the option help and in its catalogue labels (en, zh); this test derives the lists from :mod:`nqpf.index.registry` and fails
when a method is added to or removed from a step without the help following."""

from __future__ import annotations

import re

import pytest
import typer

from nqpf.cli.main import app, register_commands
from nqpf.i18n import t
from nqpf.index import registry


def _listed(help_text: str) -> set[str]:
    """The methods a help text lists: ``a | b (note) | c, more`` → {a, b, c} (a ``Label:`` prefix skipped)."""
    text = re.sub(r"^([A-Z][a-z ]+:|[^a-z|]+：)\s*", "", help_text)  # "Gap filling:" / "缺失值插补："
    text = re.sub(r"\([^)]*\)|（[^）]*）", "", text).replace("，", ",")  # notes in brackets
    out = set()
    for piece in text.split("|"):
        m = re.match(r"\s*([a-z0-9][a-z0-9-]*)", piece)
        if m:
            out.add(m.group(1))
        if "," in piece:
            break
    return out


@pytest.mark.parametrize("step", ["normalize", "weights", "weight_scope", "aggregate", "impute", "treat"])
def test_index_help_lists_the_registry_methods(step):
    register_commands()
    cmd = typer.main.get_command(app).commands["index"]
    param = next(p for p in cmd.params if p.name == step)
    assert _listed(param.help) == set(registry.STEPS[step]), param.help
    for lang in ("en", "zh"):  # what the help screens show: the catalogue's text
        text = t(f"cli.opt.index.{step}", lang)
        assert _listed(text) == set(registry.STEPS[step]), (lang, text)
