"""Knowledge base of policy paths (``paths.yaml``), documented facts (``facts.yaml``) and the case library
(``cases.yaml``): loading, concept-to-indicator mapping, validation.

Each path paraphrases a policy path of the source documents (seed 000 §4, seed 001 §3, seed 002 §4,
seed 003 §4.2, seed 004 §2–§3); paths the sources argue with the same concepts are one entry with several
citations. A path names the measurable *concepts* it acts on, the region types it suits, the documented facts
or concept levels that also make it apply, the conditions under which the sources' own argument advises
against it, and the cautions the sources attach. Concepts map to candidate indicator ids;
:func:`concept_indicators` keeps those present in a dataset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from nqpf.errors import FrameworkError, Problem, ValidationError
from nqpf.guide.sources import cite, parse

# The sources' catalogues of paths (seed, section pattern); every section of these is cited by a path.
FAMILIES = {
    "five_in_one": ("seed 000", r"§4\.[1-5]"),
    "nine_paths": ("seed 001", r"§3\.[1-9]"),
    "four_paths": ("seed 002", r"§4\.[1-4]"),
    "four_reforms": ("seed 003", r"§4\.2, part [1-4]"),
    "seed004_paths": ("seed 004", r"§(2\.1|2\.2\.[1-3]|3\.1|3\.2)"),
}
CATALOGUE_SECTIONS = (
    [f"seed 000 §4.{i}" for i in range(1, 6)] + [f"seed 001 §3.{i}" for i in range(1, 10)]
    + [f"seed 002 §4.{i}" for i in range(1, 5)] + [f"seed 003 §4.2, part {i}" for i in range(1, 5)]
    + ["seed 004 §2.1", "seed 004 §2.2.1", "seed 004 §2.2.2", "seed 004 §2.2.3", "seed 004 §3.1", "seed 004 §3.2"])


@dataclass(frozen=True)
class Path_:
    """One policy path of the knowledge base."""

    id: str
    citations: tuple[str, ...]
    title: dict
    summary: dict
    concepts: tuple[str, ...]
    suits: tuple[str, ...]
    applies_if_facts: tuple[str, ...] = ()
    applies_if_concepts: tuple[dict, ...] = ()
    not_applicable: tuple[dict, ...] = ()
    cautions: tuple[dict, ...] = ()

    @property
    def citation(self) -> str:
        """The citation ids joined (stable, language-neutral; readers see :meth:`cite`)."""
        return "; ".join(self.citations)

    def cite(self, lang: str) -> str:
        return ("；" if lang == "zh" else "; ").join(cite(c, lang) for c in self.citations)

    def label(self, lang: str) -> str:
        return self.title[lang]

    def suits_type(self, types: set[str]) -> bool:
        return "all" in self.suits or bool(types & set(self.suits))


@dataclass(frozen=True)
class Case:
    """One regional case of seed 004 §5, in our own words."""

    id: str
    citation: str
    units: tuple[str, ...]
    title: dict
    industry: dict
    mechanism: dict
    paths: tuple[str, ...]
    indicators: tuple[str, ...]
    source_figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class KnowledgeBase:
    concepts: dict  # concept -> {"label": {zh,en}, "indicators": [...]}
    paths: tuple[Path_, ...]
    source: str
    facts: dict = field(default_factory=dict)     # fact id -> {label, citation, units}
    cases: tuple[Case, ...] = ()

    def facts_of(self, unit: str) -> list[str]:
        """The documented facts (facts.yaml) that hold for ``unit``."""
        return [f for f, d in self.facts.items() if str(unit) in {str(u) for u in d.get("units", [])}]

    def cases_of(self, units) -> list[Case]:
        us = {str(u) for u in units}
        return [c for c in self.cases if us & set(c.units)]

    def path(self, path_id: str) -> Path_:
        for p in self.paths:
            if p.id == path_id:
                return p
        raise KeyError(f"no path {path_id!r} in the knowledge base; known: {[p.id for p in self.paths]}")

    def concept_label(self, concept: str, lang: str) -> str:
        return self.concepts[concept]["label"][lang]


def _read(path: str | Path | None, name: str = "paths.yaml") -> tuple[dict, str]:
    if path is None:
        text = resources.files("nqpf.guide").joinpath(name).read_text(encoding="utf-8")
        return yaml.safe_load(text) or {}, f"nqpf/guide/{name}"
    p = Path(path)
    return yaml.safe_load(p.read_text(encoding="utf-8")) or {}, str(p)


def load_knowledge(path: str | Path | None = None, *, known_types: set[str] | None = None,
                   facts: str | Path | None = None, cases: str | Path | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (built-in ``paths.yaml``, ``facts.yaml`` and ``cases.yaml`` by
    default); errors list every problem."""
    raw, src = _read(path)
    fraw, fsrc = _read(facts, "facts.yaml")
    craw, csrc = _read(cases, "cases.yaml")
    if known_types is None:
        from nqpf.guide.typology import load_typology

        known_types = load_typology().type_ids()
    fdict = dict((fraw or {}).get("facts") or {})
    problems = validate_knowledge(raw, known_types=known_types, file=src, known_facts=set(fdict))
    problems += validate_facts(fraw, file=fsrc)
    path_ids = {e.get("id") for e in (raw.get("paths") or []) if isinstance(e, dict)}
    problems += validate_cases(craw, path_ids=path_ids, file=csrc)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValidationError(f"knowledge base {src} is invalid ({len(errors)} problems); fix the entries listed",
                              errors)
    paths = tuple(
        Path_(id=e["id"], citations=tuple(e["citations"]), title=dict(e["title"]),
              summary=dict(e["summary"]), concepts=tuple(e["concepts"]), suits=tuple(e["suits"]),
              applies_if_facts=tuple(e.get("applies_if_facts") or ()),
              applies_if_concepts=tuple(e.get("applies_if_concepts") or ()),
              not_applicable=tuple(e.get("not_applicable") or ()), cautions=tuple(e.get("cautions") or ()))
        for e in raw["paths"]
    )
    cs = tuple(Case(id=c["id"], citation=c["citation"], units=tuple(str(u) for u in c["units"]),
                    title=dict(c["title"]), industry=dict(c["industry"]), mechanism=dict(c["mechanism"]),
                    paths=tuple(c["paths"]), indicators=tuple(c.get("indicators") or ()),
                    source_figures=dict(c.get("source_figures") or {}))
               for c in (craw.get("cases") or []))
    return KnowledgeBase(concepts=dict(raw["concepts"]), paths=paths, source=src, facts=fdict, cases=cs)


@lru_cache(maxsize=1)
def default_knowledge() -> KnowledgeBase:
    return load_knowledge()


def _copied(text: str, seed_texts: list[str], min_copy: int) -> str | None:
    """The first run of ``min_copy`` characters of ``text`` found verbatim in a source text, else None."""
    zh = re.sub(r"\s+", "", text or "")
    joined = [re.sub(r"\s+", "", s) for s in seed_texts]
    for k in range(0, max(0, len(zh) - min_copy + 1)):
        piece = zh[k:k + min_copy]
        if any(piece in s for s in joined):
            return piece
    return None


def _bilingual(v) -> bool:
    """A {zh, en} mapping with both texts and nothing else (an unquoted comma in a YAML flow mapping would add
    stray keys and cut the text)."""
    return isinstance(v, dict) and set(v) == {"zh", "en"} and all(
        isinstance(v.get(lang), str) and v.get(lang).strip() for lang in ("zh", "en"))


def validate_knowledge(raw: dict, *, known_types: set[str], file: str | None = None,
                       seed_texts: list[str] | None = None, min_copy: int = 14,
                       known_facts: set[str] | None = None) -> list[Problem]:
    """Check a parsed ``paths.yaml``: required fields, bilingual text, well-formed citations, concepts defined,
    suited types and facts known, conditions well formed, unique ids, no two paths with the same concepts
    (merge them: one path, several citations); with ``seed_texts``, also that no Chinese text shares a run of
    ``min_copy`` characters with a source document (paraphrase, not quotation)."""
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
    by_concepts: dict[frozenset, str] = {}
    for i, e in enumerate(raw["paths"] or []):
        pid = e.get("id") or f"#{i}"
        perr = functools.partial(err, where=pid)
        for key in ("id", "citations", "title", "summary", "concepts", "suits"):
            if not e.get(key):
                perr("kb.missing", f"path {pid!r} lacks {key!r}")
        if pid in seen:
            perr("kb.duplicate", f"path id {pid!r} is used twice")
        seen.add(pid)
        _check_text(e, pid, concepts, perr)
        key = frozenset(e.get("concepts") or [])
        if key and key in by_concepts:
            perr("kb.same_concepts", f"paths {by_concepts[key]!r} and {pid!r} act on the same concepts; merge them "
                                     "into one path with several citations")
        by_concepts.setdefault(key, pid)
        _check_links(e, pid, concepts, known_types, known_facts, perr)
        if seed_texts:
            _check_copies(e, pid, seed_texts, min_copy, perr)
    return out


def _check_text(e: dict, pid: str, concepts: dict, err: Callable[[str, str], None]) -> None:
    """One path's citations, bilingual title and summary, and known concepts."""
    cs = e.get("citations") or []
    if not isinstance(cs, list):
        err("kb.citation", f"path {pid!r}: 'citations' must be a list of citation ids")
        cs = []
    for c in cs:
        _check_citation(c, f"path {pid!r}", err)
    if len(set(cs)) != len(cs):
        err("kb.citation", f"path {pid!r} cites the same passage twice")
    for key in ("title", "summary"):
        if not _bilingual(e.get(key)):
            err("kb.lang", f"path {pid!r}: {key} needs zh and en text")
    for c in e.get("concepts") or []:
        if c not in concepts:
            err("kb.concept", f"path {pid!r} names unknown concept {c!r}; define it under 'concepts'")


def _check_links(e: dict, pid: str, concepts: dict, known_types: set[str], known_facts: set[str] | None,
                 err: Callable[[str, str], None]) -> None:
    """One path's suited types, facts, conditions (for and against) and cautions."""
    for s in e.get("suits") or []:
        if s != "all" and s not in known_types:
            err("kb.type", f"path {pid!r} suits unknown region type {s!r}; known: {sorted(known_types)}")
    for f in e.get("applies_if_facts") or []:
        if known_facts is not None and f not in known_facts:
            err("kb.fact", f"path {pid!r} names unknown fact {f!r}; known: {sorted(known_facts)}")
    for c in e.get("applies_if_concepts") or []:
        if c.get("concept") not in concepts or not isinstance(c.get("min_pct"), int | float):
            err("kb.condition", f"path {pid!r}: applies_if_concepts entries need a known concept and min_pct")
    for c in e.get("not_applicable") or []:
        if c.get("concept") not in concepts or not isinstance(c.get("max_pct"), int | float):
            err("kb.condition", f"path {pid!r}: not_applicable entries need a known concept and max_pct")
        _check_cited_text(c, "reason", f"path {pid!r}: not_applicable reason", f"path {pid!r} (not_applicable)", err)
    for c in e.get("cautions") or []:
        _check_cited_text(c, "text", f"path {pid!r}: caution text", f"path {pid!r} (caution)", err)


def _check_citation(cid: str, where: str, err: Callable[[str, str], None]) -> None:
    try:
        parse(cid)
    except ValueError as exc:
        err("kb.citation", f"{where}: {exc}")


def _check_cited_text(entry: dict, key: str, what: str, where: str, err: Callable[[str, str], None]) -> None:
    """A condition or caution: bilingual ``entry[key]`` and a well-formed ``entry['citation']``."""
    if not _bilingual(entry.get(key)):
        err("kb.lang", f"{what} needs zh and en text")
    _check_citation(entry.get("citation", ""), where, err)


def _check_copies(e: dict, pid: str, seed_texts: list[str], min_copy: int, err: Callable[[str, str], None]) -> None:
    """At most one ``kb.copied`` problem per path: its Chinese texts must not repeat ``min_copy`` source chars."""
    texts = [(e.get("summary") or {}).get("zh", ""), (e.get("title") or {}).get("zh", "")]
    texts += [((c.get("reason") or {}).get("zh", "")) for c in e.get("not_applicable") or []]
    texts += [((c.get("text") or {}).get("zh", "")) for c in e.get("cautions") or []]
    for tx in texts:
        piece = _copied(tx, seed_texts, min_copy)
        if piece:
            err("kb.copied", f"path {pid!r}: text repeats source text {piece!r}; paraphrase it")
            return


def validate_facts(raw: dict, file: str | None = None) -> list[Problem]:
    """Check ``facts.yaml``: every fact has a bilingual label, a well-formed citation and a list of units."""
    out: list[Problem] = []
    for fid, f in ((raw or {}).get("facts") or {}).items():
        if not _bilingual((f or {}).get("label")):
            out.append(Problem("error", "facts.label", f"fact {fid!r} needs label.zh and label.en", file=file))
        try:
            parse((f or {}).get("citation", ""))
        except ValueError as exc:
            out.append(Problem("error", "facts.citation", f"fact {fid!r}: {exc}", file=file))
        if not isinstance((f or {}).get("units"), list) or not f["units"]:
            out.append(Problem("error", "facts.units", f"fact {fid!r} needs a non-empty list 'units'", file=file))
    return out


def validate_cases(raw: dict, *, path_ids: set[str], file: str | None = None,
                   seed_texts: list[str] | None = None, min_copy: int = 14) -> list[Problem]:
    """Check ``cases.yaml``: required fields, bilingual text, citations, known paths; with ``seed_texts``, that
    the Chinese mechanism is a paraphrase (no run of ``min_copy`` characters copied from a source)."""
    out: list[Problem] = []
    seen: set[str] = set()
    for i, c in enumerate((raw or {}).get("cases") or []):
        cid = c.get("id") or f"#{i}"

        def err(code: str, msg: str, _cid: str = cid) -> None:
            out.append(Problem("error", code, msg, file=file, column=_cid))

        for key in ("id", "citation", "units", "title", "industry", "mechanism", "paths"):
            if not c.get(key):
                err("cases.missing", f"case {cid!r} lacks {key!r}")
        if cid in seen:
            err("cases.duplicate", f"case id {cid!r} is used twice")
        seen.add(cid)
        for key in ("title", "industry", "mechanism"):
            if c.get(key) and not _bilingual(c.get(key)):
                err("cases.lang", f"case {cid!r}: {key} needs zh and en text")
        try:
            parse(c.get("citation", ""))
        except ValueError as exc:
            err("cases.citation", f"case {cid!r}: {exc}")
        for pid in c.get("paths") or []:
            if pid not in path_ids:
                err("cases.path", f"case {cid!r} names unknown path {pid!r}; known: {sorted(path_ids)}")
        if seed_texts:
            for key in ("mechanism", "source_figures", "title"):
                piece = _copied((c.get(key) or {}).get("zh", ""), seed_texts, min_copy)
                if piece:
                    err("cases.copied", f"case {cid!r}: {key} repeats source text {piece!r}; paraphrase it")
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
