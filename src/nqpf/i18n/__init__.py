"""One bilingual (zh/en) catalogue of user-facing labels.

The catalogue is the union of the YAML files in this folder (one per layer, so that layers do not edit
one file); each maps ``key: {zh: ..., en: ...}``. Keys must be unique across files (checked on load).
``t(key, lang)`` returns the label; an unknown key raises ``KeyError`` so that untranslated keys are
caught by the tests rather than shown to users.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

LANGS = ("zh", "en")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = yaml.load(entry.read_text(encoding="utf-8"), Loader=_Loader) or {}
        for key, labels in data.items():
            if key in merged:
                raise ValueError(f"i18n key {key!r} defined twice (second time in {entry.name})")
            if not isinstance(labels, dict):
                raise ValueError(f"i18n key {key!r} in {entry.name} must map to {{zh: ..., en: ...}}")
            missing = [lang for lang in LANGS if not labels.get(lang)]
            if missing:
                raise ValueError(f"i18n key {key!r} in {entry.name} lacks {missing}")
            extra = sorted(set(labels) - set(LANGS))
            if extra:  # usually an unquoted comma in a flow mapping split a label
                raise ValueError(f"i18n key {key!r} in {entry.name} has unexpected fields {extra}; quote the labels")
            merged[key] = {lang: str(labels[lang]) for lang in LANGS}
    return merged


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """Label for ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {LANGS}, got {lang!r}")
    text = catalogue()[key][lang]
    return text.format(**fmt) if fmt else text
