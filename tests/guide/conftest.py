"""Shared fixtures of the guide tests: the built-in cn_provinces dataset and a small index on it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def cn():
    """The shipped provincial dataset; a missing dataset is a broken build and fails (issue 18.7), never skips."""
    import nqpf.datasets as D

    return D.load("cn_provinces")


@pytest.fixture(scope="session")
def small_index(cn):
    from nqpf.index import build_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_index(cn, str(FIXTURES / "cn_small.yaml"), impute="group-mean", periods="2016-2021")


@pytest.fixture(scope="session")
def core_index(cn):
    """The default index (framework nqpf-core with its declared method) on the shipped cn_provinces data."""
    from nqpf.index import build_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_index(cn, "nqpf-core")


@pytest.fixture(scope="session")
def core_guides(cn, core_index):
    """Profiles, placements and action guides of every province in 2022 on the default index (en), and in zh for
    Beijing, Guangdong, Anhui, Gansu and Tibet."""
    from nqpf.guide.action import action_guide
    from nqpf.guide.profile import build_profile
    from nqpf.guide.typology import classify, classify_all

    fw = core_index.framework
    series = {n: (fw.node(n).get("series") if isinstance(fw.node(n).get("series"), str) and fw.node(n).get("series")
                  else n) for n in fw.leaves}
    year = 2022
    types_all = classify_all(cn.data, year)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for u in sorted(cn.units["unit"].astype(str)):
            for lang in ("en", "zh") if u in ("110000", "440000", "340000", "620000", "540000") else ("en",):
                prof = build_profile(core_index, u, year, units=cn.units, data=cn.data, lang=lang)
                pl = classify(cn.data, u, year)
                g = action_guide(prof, pl, cn.data, catalogue=cn.indicators, lang=lang, leaf_series=series,
                                 directions_override={series[n]: fw.direction(n) for n in fw.leaves},
                                 types_all=types_all)
                out[(u, lang)] = (prof, pl, g)
    return out
