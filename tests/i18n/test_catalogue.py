"""The bilingual catalogue: every key has a zh and an en label and nothing else; format fields agree."""

from __future__ import annotations

import re

import pytest

from nqpf.i18n import catalogue, t


def test_every_key_has_both_languages_and_the_same_fields():
    cat = catalogue()
    assert len(cat) > 300
    field = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")
    for key, labels in cat.items():
        assert set(labels) == {"zh", "en"}, key
        assert set(field.findall(labels["zh"])) == set(field.findall(labels["en"])), key


def test_unknown_key_and_language_are_errors():
    with pytest.raises(KeyError):
        t("no.such.key")
    with pytest.raises(ValueError):
        t("common.unit", "fr")


def test_flow_mapping_split_by_a_comma_is_caught(tmp_path, monkeypatch):
    import yaml

    import nqpf.i18n as i18n

    bad = "x.key: {zh: 自动（所有指标, en: Automatic, all)}\n"
    data = yaml.safe_load(bad)
    assert set(data["x.key"]) != {"zh", "en"}  # the trap this check exists for
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "a.yaml").write_text(bad, encoding="utf-8")
    monkeypatch.setattr(i18n.resources, "files", lambda _name: folder)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match="unexpected fields|lacks"):
            i18n.catalogue()
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()
