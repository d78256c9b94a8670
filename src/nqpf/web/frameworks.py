"""Frameworks as the dashboard offers them: the built-in list, the ``auto`` framework of an upload and a
built-in framework whose leaves are mapped to uploaded columns."""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from nqpf.errors import NQPFError


@lru_cache(maxsize=1)
def builtin_frameworks() -> dict[str, dict[str, Any]]:
    """name -> {name, dataset, title_zh, title_en, periods} of every framework YAML shipped in ``nqpf``."""
    out: dict[str, dict[str, Any]] = {}
    folder = resources.files("nqpf") / "frameworks"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            spec = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            name = spec.get("name") or entry.name.rsplit(".", 1)[0]
            out[name] = {
                "name": name,
                "dataset": spec.get("dataset"),
                "title_zh": spec.get("title_zh", name),
                "title_en": spec.get("title_en", name),
                "periods": spec.get("periods"),
            }
    return out


def default_periods(framework: str) -> str | None:
    """A built-in framework's own ``periods`` (its coverage promise) as ``"lo-hi"``, else None."""
    p = builtin_frameworks().get(framework, {}).get("periods")
    if isinstance(p, list) and len(p) == 2:
        return f"{int(p[0])}-{int(p[1])}"
    return None


def auto_framework(indicators: list[str], catalogue: Any) -> dict[str, Any]:
    """One level: root + every uploaded indicator as a +1 leaf (named like a shipped indicator of the same id,
    from ``catalogue``, else by its column name)."""
    nodes = [{"id": "index", "label_zh": "综合指数", "label_en": "Composite index"}]
    names = {str(r["indicator"]): (str(r["name_zh"]), str(r["name_en"])) for r in catalogue.to_dict(orient="records")}
    for ind in indicators:
        zh, en = names.get(ind, (ind, ind))
        nodes.append({"id": f"i_{ind}", "parent": "index", "label_zh": zh, "label_en": en, "direction": 1,
                      "series": ind})
    return {"name": "auto", "title_zh": "自动（上传指标等权正向）", "title_en": "Automatic (uploaded indicators)",
            "nodes": nodes}


def mapped_framework(fw: Any, framework: str, mapping: dict[str, str], available: list[str]) -> dict[str, Any]:
    """The built-in ``fw`` (named ``framework``) keeping only the leaves in ``mapping`` (their ``series``
    replaced by the mapped uploaded column) and their ancestors; unknown leaves or columns are refused by name."""
    leaves = set(fw.leaves)
    bad_leaves = sorted(k for k in mapping if k not in leaves)
    if bad_leaves:
        raise NQPFError(f"mapping names {bad_leaves} which are not leaves of {framework}; leaves: "
                        f"{', '.join(fw.leaves)}")
    bad_cols = sorted({v for v in mapping.values() if v not in set(available)})
    if bad_cols:
        raise NQPFError(f"mapping uses columns {bad_cols} that the upload does not have; columns: "
                        f"{', '.join(available)}")
    keep: set[str] = set()
    for leaf in mapping:
        keep.add(leaf)
        keep.update(fw.ancestors(leaf))
    spec = fw.to_dict()
    nodes = []
    for n in spec["nodes"]:
        if n["id"] not in keep:
            continue
        n = {k: v for k, v in n.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if n["id"] in mapping:
            n["series"] = mapping[n["id"]]
        nodes.append(n)
    spec = {k: v for k, v in spec.items() if k not in ("nodes", "periods", "coverage", "dataset")}
    spec["name"] = f"{framework}-mapped"
    spec["nodes"] = nodes
    return spec


def framework_nodes(fw: Any) -> list[dict[str, Any]]:
    """Every node of a Framework with labels, leaf flag, series and direction (for mapping columns to leaves)."""
    leaves = set(fw.leaves)
    nodes = []
    for nid in fw.ids:
        n = fw.node(nid)
        nodes.append({"id": nid, "parent": fw.parent(nid), "label_zh": fw.label(nid, "zh"),
                      "label_en": fw.label(nid, "en"), "is_leaf": nid in leaves,
                      "series": (n.get("series") or nid) if nid in leaves else None,
                      "direction": fw.direction(nid) if nid in leaves else None})
    return nodes
