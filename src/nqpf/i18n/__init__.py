"""One bilingual (zh/en) catalogue of user-facing labels.

The catalogue is the union of the YAML files in this folder (one per layer, so that layers do not edit
one file); each maps ``key: {zh: ..., en: ...}``. Keys must be unique across files (checked on load).
``t(key, lang)`` returns the label; an unknown key raises ``KeyError`` so that untranslated keys are
caught by the tests rather than shown to users.

Loading is lazy, per file: a line scan of the files' top-level keys (:func:`_index`, a few ms) tells which
file holds a key, and only that file is parsed, so that ``nqpf --help`` does not parse every layer's labels.
:func:`catalogue` still parses and checks every file. Whenever the scan is not exact (a key it did not see,
a key seen twice, a file whose parsed keys differ from the scanned ones), the full catalogue answers.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

LANGS = ("zh", "en")

#: A top-level mapping key at the start of a line: ``key:``, ``"key":`` or ``'key':`` followed by a blank.
_KEY_LINE = re.compile(r"""(?:"([^"]+)"|'([^']+)'|([^\s#'"{\[\-?|>!&*%@`][^:]*?))[ \t]*:(?:[ \t]|$)""")


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(name: str, text: str) -> dict[str, dict[str, str]]:
    """The labels of one file, each checked: zh and en present, no other fields."""
    import yaml

    data = yaml.load(text, Loader=_loader()) or {}
    out: dict[str, dict[str, str]] = {}
    for key, labels in data.items():
        if not isinstance(labels, dict):
            raise ValueError(f"i18n key {key!r} in {name} must map to {{zh: ..., en: ...}}")
        missing = [lang for lang in LANGS if not labels.get(lang)]
        if missing:
            raise ValueError(f"i18n key {key!r} in {name} lacks {missing}")
        extra = sorted(set(labels) - set(LANGS))
        if extra:  # usually an unquoted comma in a flow mapping split a label
            raise ValueError(f"i18n key {key!r} in {name} has unexpected fields {extra}; quote the labels")
        out[key] = {lang: str(labels[lang]) for lang in LANGS}
    return out


def _scan(text: str) -> list[str] | None:
    """Top-level keys of a catalogue file by a line scan (no YAML parse): every line starting in column 0
    must be a ``key:`` line, a comment or a document marker, else None (the scan cannot vouch for it)."""
    keys: list[str] = []
    for line in text.splitlines():
        if not line or line[0] in " \t#" or line.startswith(("---", "...")):
            continue
        m = _KEY_LINE.match(line)
        if m is None:
            return None
        keys.append(m.group(1) or m.group(2) or m.group(3))
    return keys


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every label of every file, merged; a key defined in two files is an error."""
    merged: dict[str, dict[str, str]] = {}
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        for key, labels in _parse(entry.name, entry.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"i18n key {key!r} defined twice (second time in {entry.name})")
            merged[key] = labels
    return merged


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    folder = resources.files(__name__)
    return {e.name: e.read_text(encoding="utf-8") for e in folder.iterdir() if e.name.endswith(".yaml")}


@lru_cache(maxsize=1)
def _index() -> dict[str, str] | None:
    """Key → file name from the line scan; None if the scan saw a key twice or cannot read a file (the full
    catalogue then answers, and reports a key defined twice)."""
    where: dict[str, str] = {}
    for name, text in sorted(_texts().items()):
        keys = _scan(text)
        if keys is None:
            return None
        for key in keys:
            if key in where:
                return None
            where[key] = name
    return where


@cache
def _file(name: str) -> dict[str, dict[str, str]] | None:
    """The parsed labels of one file, or None if they are not exactly the keys the scan saw there."""
    text = _texts()[name]
    labels = _parse(name, text)
    return labels if set(labels) == set(_scan(text) or ()) else None


def lookup(key: str) -> dict[str, str] | None:
    """The ``{zh, en}`` labels of ``key``, or None if the catalogue has no such key."""
    where = _index()
    name = where.get(key) if where is not None else None
    if name is not None:
        labels = _file(name)
        if labels is not None and key in labels:
            return labels[key]
    return catalogue().get(key)


def labels(prefix: str) -> dict[str, dict[str, str]]:
    """Every key starting with ``prefix`` and its labels, parsing only the files that hold such keys
    (e.g. ``labels("cli.")`` for the help screens)."""
    where = _index()
    if where is None:
        return {k: v for k, v in catalogue().items() if k.startswith(prefix)}
    out: dict[str, dict[str, str]] = {}
    for name in sorted({n for k, n in where.items() if k.startswith(prefix)}):
        got = _file(name)
        if got is None:
            return {k: v for k, v in catalogue().items() if k.startswith(prefix)}
        out.update((k, v) for k, v in got.items() if k.startswith(prefix))
    return out


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """Label for ``key`` in ``lang`` ('zh' or 'en'), formatted with ``fmt``."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {LANGS}, got {lang!r}")
    found = lookup(key)
    if found is None:
        raise KeyError(key)
    text = found[lang]
    return text.format(**fmt) if fmt else text
