"""Knowledge base of policy paths (``paths.yaml``): loading, concept-to-indicator mapping, validation.

Each path paraphrases a policy path of the source documents (seed 000 §4, seed 001 §3, seed 002 §4,
seed 003 §4.2) with its citation, the measurable *concepts* it acts on and the region types it suits.
Concepts map to candidate indicator ids; :func:`concept_indicators` keeps those present in a dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from nqpf.errors import FrameworkError, Problem, ValidationError

FAMILIES = {
    "five_in_one": ("seed 000", r"§4\.[1-5]"),
    "nine_paths": ("seed 001", r"§3\.[1-9]"),
    "four_paths": ("seed 002", r"§4\.[1-4]"),
    "four_reforms": ("seed 003", r"§4\.2, part [1-4]"),
}


@dataclass(frozen=True)
class Path_:
    """One policy path of the knowledge base."""

    id: str
    family: str
    citation: str
    title: dict
    summary: dict
    concepts: tuple[str, ...]
    suits: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.title[lang]

    def suits_type(self, types: set[str]) -> bool:
        return "all" in self.suits or bool(types & set(self.suits))


@dataclass(frozen=True)
class KnowledgeBase:
    concepts: dict  # concept -> {"label": {zh,en}, "indicators": [...]}
    paths: tuple[Path_, ...]
    source: str

    def path(self, path_id: str) -> Path_:
        for p in self.paths:
            if p.id == path_id:
                return p
        raise KeyError(f"no path {path_id!r} in the knowledge base; known: {[p.id for p in self.paths]}")

    def concept_label(self, concept: str, lang: str) -> str:
        return self.concepts[concept]["label"][lang]


def _read(path: str | Path | None) -> tuple[dict, str]:
    if path is None:
        text = resources.files("nqpf.guide").joinpath("paths.yaml").read_text(encoding="utf-8")
        return yaml.safe_load(text) or {}, "nqpf/guide/paths.yaml"
    p = Path(path)
    return yaml.safe_load(p.read_text(encoding="utf-8")) or {}, str(p)


def load_knowledge(path: str | Path | None = None, *, known_types: set[str] | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (built-in ``paths.yaml`` by default); errors list every problem."""
    raw, src = _read(path)
    if known_types is None:
        from nqpf.guide.typology import load_typology

        known_types = load_typology().type_ids()
    problems = validate_knowledge(raw, known_types=known_types, file=src)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValidationError(f"knowledge base {src} is invalid ({len(errors)} problems); fix the entries listed",
                              errors)
    paths = tuple(
        Path_(id=e["id"], family=e["family"], citation=e["citation"], title=dict(e["title"]),
              summary=dict(e["summary"]), concepts=tuple(e["concepts"]), suits=tuple(e["suits"]))
        for e in raw["paths"]
    )
    return KnowledgeBase(concepts=dict(raw["concepts"]), paths=paths, source=src)


@lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase:
    return load_knowledge()


def validate_knowledge(raw: dict, *, known_types: set[str], file: str | None = None,
                       seed_texts: list[str] | None = None, min_copy: int = 14) -> list[Problem]:
    """Check a parsed ``paths.yaml``: required fields, bilingual text, citations matching the family,
    concepts defined, suited types known, unique ids; with ``seed_texts``, also that no Chinese summary
    shares a run of ``min_copy`` characters with a source document (paraphrase, not quotation)."""
    out: list[Problem] = []

    def err(code: str, msg: str, where: str | None = None) -> None:
        out.append(Problem("error", code, msg, file=file, column=where))

    if not isinstance(raw, dict) or "paths" not in raw or "concepts" not in raw:
        err("kb.structure", "the file needs top-level keys 'concepts' and 'paths'")
        return out
    concepts = raw["concepts"] or {}
    for cid, c in concepts.items():
        lab = (c or {}).get("label") or {}
        if not all(lab.get(lang) for lang in ("zh", "en")):
            err("kb.concept_label", f"concept {cid!r} needs label.zh and label.en", cid)
        if not isinstance((c or {}).get("indicators"), list):
            err("kb.concept_indicators", f"concept {cid!r} needs a list 'indicators'", cid)
    seen: set[str] = set()
    for i, e in enumerate(raw["paths"] or []):
        pid = e.get("id") or f"#{i}"
        for key in ("id", "family", "citation", "title", "summary", "concepts", "suits"):
            if not e.get(key):
                err("kb.missing", f"path {pid!r} lacks {key!r}", pid)
        if pid in seen:
            err("kb.duplicate", f"path id {pid!r} is used twice", pid)
        seen.add(pid)
        fam = e.get("family")
        if fam not in FAMILIES:
            err("kb.family", f"path {pid!r}: family {fam!r} is not one of {sorted(FAMILIES)}", pid)
        else:
            seed, sec = FAMILIES[fam]
            if not re.fullmatch(rf"{seed} {sec}", str(e.get("citation", ""))):
                err("kb.citation", f"path {pid!r}: citation {e.get('citation')!r} does not match "
                                   f"'{seed} {sec}' for family {fam}", pid)
        for key in ("title", "summary"):
            v = e.get(key) or {}
            if not all(isinstance(v.get(lang), str) and v.get(lang).strip() for lang in ("zh", "en")):
                err("kb.lang", f"path {pid!r}: {key} needs zh and en text", pid)
        for c in e.get("concepts") or []:
            if c not in concepts:
                err("kb.concept", f"path {pid!r} names unknown concept {c!r}; define it under 'concepts'", pid)
        for s in e.get("suits") or []:
            if s != "all" and s not in known_types:
                err("kb.type", f"path {pid!r} suits unknown region type {s!r}; known: {sorted(known_types)}", pid)
        if seed_texts:
            zh = re.sub(r"\s+", "", (e.get("summary") or {}).get("zh", ""))
            joined = [re.sub(r"\s+", "", s) for s in seed_texts]
            for k in range(0, max(0, len(zh) - min_copy + 1)):
                piece = zh[k:k + min_copy]
                if any(piece in s for s in joined):
                    err("kb.copied", f"path {pid!r}: summary repeats source text {piece!r}; paraphrase it", pid)
                    break
    return out


def concept_indicators(kb: KnowledgeBase, available: set[str] | list[str]) -> dict[str, list[str]]:
    """For each concept, the candidate indicators that are present in ``available`` (order of the YAML)."""
    avail = set(available)
    return {cid: [i for i in c["indicators"] if i in avail] for cid, c in kb.concepts.items()}


def check_framework_indicators(kb: KnowledgeBase, available: set[str]) -> None:
    """Raise if no concept of the knowledge base maps to any indicator of the data (the guide would be empty)."""
    if not any(concept_indicators(kb, available).values()):
        raise FrameworkError(
            "none of the knowledge base's concept indicators are in this data; add your indicator ids to the "
            f"'indicators' lists under 'concepts' in {kb.source}")
