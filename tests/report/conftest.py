"""Fixtures of the report tests."""

from __future__ import annotations

import warnings

import pytest


@pytest.fixture(scope="session")
def cn():
    import nqpf.datasets as D

    try:
        return D.load("cn_provinces")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"built-in dataset cn_provinces not available: {exc}")


@pytest.fixture(scope="session")
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
