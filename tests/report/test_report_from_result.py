"""The report consumes an index result instead of rebuilding it (issue 18 item 6), and its settings card labels
the weight scope apart from the weighting method."""

from __future__ import annotations

import pytest

import nqpf.index
from nqpf.errors import DataError
from nqpf.i18n import t
from nqpf.index import build_index
from nqpf.report.build import build_report
from nqpf.report.html import render_html

YEAR = 2023
FAST = {"year": YEAR, "uncertainty_samples": 0}  # no Monte Carlo: the index alone is compared


@pytest.fixture(scope="module")
def res(quiet, cn):
    """The index as the report builds it from the dataset (its long table; nqpf-core declares its gap filling)."""
    return build_index(cn.data, "nqpf-core")


def _refuse(*a, **kw):
    raise AssertionError("the report rebuilt the index")


@pytest.fixture
def no_rebuild(monkeypatch):
    """Fail on any index build through ``nqpf.index.build_index`` (the name the report calls)."""
    monkeypatch.setattr(nqpf.index, "build_index", _refuse)


@pytest.mark.parametrize("unit", [None, "340000"])
def test_a_result_is_reported_as_built_and_not_rebuilt(res, quiet, unit):
    ref = build_report(dataset="cn_provinces", framework="nqpf-core", unit=unit, lang="en", **FAST)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nqpf.index, "build_index", _refuse)
        doc = build_report(result=res, dataset="cn_provinces", unit=unit, lang="en", **FAST)
    assert render_html(doc) == render_html(ref)
    assert doc.manifest["index"]["result_hash"] == ref.manifest["index"]["result_hash"]
    assert doc.manifest["index_options"] == res.spec.build_kwargs()


def test_a_result_reads_the_data_it_was_built_on(res, quiet, no_rebuild):
    data = t("report.meta.data", "zh")
    ds = build_index("cn_provinces", "nqpf-core", rank_nodes="index")
    with_name = build_report(result=ds, lang="zh", **FAST)
    assert dict(with_name.meta)[data] == t("report.dataset.cn_provinces", "zh")
    with_frame = build_report(result=res, lang="zh", **FAST)
    assert dict(with_frame.meta)[data] == t("report.dataset.frame", "zh")
    assert [s.id for s in with_frame.sections] == [s.id for s in with_name.sections]


def test_a_spec_is_built_once(res, quiet):
    doc = build_report(result=res.spec, lang="en", **FAST)
    assert doc.manifest["index"]["result_hash"] == res.manifest["result_hash"]


def test_a_result_and_index_settings_together_are_refused(res, quiet):
    with pytest.raises(DataError, match="do not give framework or index_options"):
        build_report(result=res, framework="nqpf-core", lang="en", **FAST)
    with pytest.raises(DataError, match="IndexResult or an IndexSpec"):
        build_report(result="nqpf-core", dataset="cn_provinces", lang="en", **FAST)
    with pytest.raises(DataError, match="framework"):
        build_report(dataset="cn_provinces", lang="en", **FAST)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_settings_card_labels_the_weight_scope_apart_from_the_weighting(res, quiet, lang):
    doc = build_report(result=res, lang=lang, **FAST)
    settings = dict(doc.meta)[t("report.meta.settings", lang)]
    sep = "：" if lang == "zh" else ": "
    labels = [part.split(sep)[0] for part in settings.split("；" if lang == "zh" else "; ")]
    assert t("report.meta.weight_scope", lang) in labels
    assert labels.count(t("index.step.weights", lang)) == 1
    assert len(set(labels)) == len(labels)
