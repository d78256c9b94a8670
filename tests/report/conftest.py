"""Fixtures of the report tests."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(scope="session")
def cn():
    """The shipped provincial dataset; a missing dataset is a broken build and fails (issue 18.7), never skips."""
    import nqpf.datasets as D

    return D.load("cn_provinces")


@pytest.fixture(scope="session")
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
