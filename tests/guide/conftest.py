"""Shared fixtures of the guide tests: the built-in cn_provinces dataset and a small index on it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def cn():
    import nqpf.datasets as D

    try:
        return D.load("cn_provinces")
    except Exception as exc:  # noqa: BLE001 - dataset not built in this checkout
        pytest.skip(f"built-in dataset cn_provinces not available: {exc}")


@pytest.fixture(scope="session")
def small_index(cn):
    from nqpf.index import build_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_index(cn, str(FIXTURES / "cn_small.yaml"), impute="group-mean", periods="2016-2021")
