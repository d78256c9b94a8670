"""The report's settings card speaks the reader's language: catalogue labels, never 'impute=…' strings or ids."""

from __future__ import annotations

from nqpf.report.build import _setting_label, build_report


def test_zh_settings_card_has_labels_not_settings_strings():
    doc = build_report(dataset="cn_provinces", framework="nqpf-core", year=2023, lang="zh", fmt="html")
    meta = dict(doc.meta)
    settings = next(v for k, v in meta.items() if "方法" in k or "设置" in k)
    assert "=" not in settings and "impute" not in settings and "skewkurt" not in settings
    assert "固定权重" in settings and "线性插值" in settings
    assert "nqpf-core" not in " ".join(str(v) for v in meta.values())
    en = dict(build_report(dataset="cn_provinces", framework="nqpf-core", year=2023, lang="en", fmt="html").meta)
    assert any("Fixed (from the framework)" in str(v) for v in en.values())


def test_setting_labels_split_chains_and_never_fail():
    assert _setting_label("impute", "linear-carry+group-mean", "zh").count("＋") == 2
    assert _setting_label("aggregate", {"1": "topsis"}, "zh") == "自定义"
