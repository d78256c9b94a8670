"""Framework trees: indicator systems as data (YAML).

A framework is a tree of nodes. Every node has ``id`` and ``parent`` (empty for the single root) and may
carry ``label_zh``, ``label_en`` and ``theory`` (a citation such as ``seed 003 §2.2``). A node without
children is an *indicator* (leaf) and carries:

``direction``  +1 (more is better) or −1 (less is better). **Required on every leaf** unless the file sets
               ``default_direction`` at the top level (then that value is used where a leaf gives none).
``series``     the data's ``indicator`` it reads (default: the leaf's own ``id``), or
``formula``    arithmetic over data series, e.g. ``"rd_exp / gdp * 100"`` (see :mod:`.formula`),
``unit``       unit of measure (text), ``weight`` (fixed weight relative to its siblings), ``target``.

Internal nodes may carry ``weight`` (relative to siblings) and ``ahp`` (a pairwise comparison matrix over
their children, rows/columns in the order the children appear in the file, or
``{children: [...], matrix: [[...]]}``; cells may be fractions such as ``"1/3"``).

The minimal form is enough::

    name: example
    nodes:
      - {id: index}
      - {id: A, parent: index}
      - {id: x1, parent: A, direction: 1}
      - {id: x2, parent: A, direction: -1}
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from nqpf.errors import FrameworkError, Problem
from nqpf.framework import checks
from nqpf.framework.formula import evaluate_formula, formula_names

# The C-accelerated safe loader when libyaml is present (same safety as yaml.safe_load, ~10x faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NODE_COLUMNS = [
    "id",
    "parent",
    "label_zh",
    "label_en",
    "theory",
    "direction",
    "unit",
    "series",
    "formula",
    "weight",
    "target",
    "level",
]
_KNOWN_NODE_KEYS = set(NODE_COLUMNS) - {"level"}
BUILTIN_PACKAGE = "nqpf.frameworks"


class Framework:
    """A validated-on-demand indicator tree. Use :func:`load_framework` to make one."""

    def __init__(
        self,
        name: str,
        nodes: pd.DataFrame,
        meta: dict | None = None,
        source: str | None = None,
        _records: list[dict] | None = None,
    ):
        self.name = str(name)
        self.meta = dict(meta or {})
        self.source = source
        self.nodes = nodes.reset_index(drop=True)
        self._children: dict[str, list[str]] = {}
        for nid, par in zip(self.nodes["id"], self.nodes["parent"], strict=True):
            self._children.setdefault(nid, [])
            if par:
                self._children.setdefault(par, []).append(nid)
        self._parent = dict(zip(self.nodes["id"], self.nodes["parent"], strict=True))
        self._row = {nid: i for i, nid in enumerate(self.nodes["id"])}
        self._records = (
            _records
            if _records is not None
            else [
                {k: (None if _empty(v) else v) for k, v in rec.items()}
                for rec in self.nodes.to_dict("records")
            ]
        )

    # --- tree navigation -------------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        return list(self.nodes["id"])

    @functools.cached_property
    def root(self) -> str:
        roots = [n for n, p in self._parent.items() if not p]
        if len(roots) != 1:
            raise FrameworkError(f"framework {self.name!r}: needs exactly one root node, found {roots}")
        return roots[0]

    @functools.cached_property
    def _leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes["id"] if not self._children.get(n))

    @property
    def leaves(self) -> list[str]:
        """Indicator ids (nodes without children) in file order."""
        return list(self._leaves)

    @property
    def internal(self) -> list[str]:
        """Non-leaf node ids in post-order (children before parents; the root last)."""
        out: list[str] = []

        def visit(n: str) -> None:
            for c in self._children.get(n, []):
                visit(c)
            if self._children.get(n):
                out.append(n)

        visit(self.root)
        return out

    def children(self, node_id: str) -> list[str]:
        self._check(node_id)
        return list(self._children.get(node_id, []))

    def parent(self, node_id: str) -> str | None:
        self._check(node_id)
        return self._parent[node_id] or None

    def leaves_of(self, node_id: str) -> list[str]:
        """Leaves under ``node_id`` (itself if it is a leaf), in file order."""
        self._check(node_id)
        kids = self._children.get(node_id, [])
        if not kids:
            return [node_id]
        out: list[str] = []
        for c in kids:
            out.extend(self.leaves_of(c))
        return out

    def ancestors(self, node_id: str) -> list[str]:
        """Parents from ``node_id``'s parent up to the root."""
        out = []
        p = self._parent.get(node_id)
        while p:
            out.append(p)
            p = self._parent.get(p)
        return out

    def node(self, node_id: str) -> dict:
        """The node's fields as a dict; empty fields are ``None``."""
        self._check(node_id)
        return dict(self._records[self._row[node_id]])

    def label(self, node_id: str, lang: str = "en") -> str:
        """``label_zh``/``label_en`` of the node, falling back to the other language, then the id."""
        d = self.node(node_id)
        order = ("label_zh", "label_en") if lang == "zh" else ("label_en", "label_zh")
        for k in order:
            v = d.get(k)
            if isinstance(v, str) and v:
                return v
        return node_id

    def direction(self, node_id: str) -> int:
        d = self.node(node_id).get("direction")
        if d is None or (isinstance(d, float) and np.isnan(d)):
            raise FrameworkError(
                f"framework {self.name!r}: indicator {node_id!r} has no direction; add direction: 1 or -1"
            )
        return int(d)

    def series_of(self, leaf: str) -> list[str]:
        """Data series a leaf reads (its ``series`` or id, or the names in its formula)."""
        d = self.node(leaf)
        if d.get("formula"):
            return formula_names(d["formula"], node=leaf)
        return [d.get("series") or leaf]

    def _check(self, node_id: str) -> None:
        if node_id not in self._row:
            raise FrameworkError(f"framework {self.name!r} has no node {node_id!r}")

    def __repr__(self) -> str:
        return f"Framework({self.name!r}, {len(self.nodes)} nodes, {len(self.leaves)} indicators)"

    # --- hashing ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        nodes = [
            {k: _plain(v) for k, v in rec.items() if k != "level" and not _empty(v)} for rec in self._records
        ]
        return {"name": self.name, **{k: v for k, v in self.meta.items()}, "nodes": nodes}

    @property
    def hash(self) -> str:
        """sha256 of the canonical JSON of the framework (name, meta, nodes)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    # --- validation -------------------------------------------------------------------------------------
    def problems(self, data: Any = None) -> list[Problem]:
        """All structural problems and, with ``data``, all indicators/series missing from it
        (:mod:`nqpf.framework.checks`)."""
        ids = list(self.nodes["id"])
        probs = checks.id_problems(ids) + checks.tree_problems(ids, self._parent)
        probs += checks.record_problems(self._records, lambda nid: not self._children.get(nid),
                                        self.meta.get("default_direction"))
        if data is not None:
            probs += checks.series_problems(self.leaves, self.series_of,
                                            lambda leaf: bool(self.node(leaf).get("formula")), data)
        return probs

    def validate(self, data: Any = None) -> Framework:
        """Raise :class:`FrameworkError` listing *all* problems (``.problems``); return self when valid."""
        probs = [p for p in self.problems(data) if p.severity == "error"]
        if probs:
            missing = sorted({p.extra["series"] for p in probs if p.code == "missing_series"})
            other = [p for p in probs if p.code != "missing_series"]
            parts = []
            if missing:
                from nqpf.framework.formula import closest_names

                have = _series_available(data)
                parts.append(
                    f"{len(missing)} series missing from the data: {', '.join(missing)} — supply them, "
                    "map the indicators to existing series (series: / formula:), or drop them; the data have "
                    f"{', '.join(closest_names(missing[0], have, 12))}{' …' if len(have) > 12 else ''} "
                    "(closest first)"
                )
            parts.extend(f"{p.code}: {p.message}" for p in other)
            exc = FrameworkError(f"framework {self.name!r}: {len(probs)} problem(s): " + "; ".join(parts))
            exc.problems = probs  # type: ignore[attr-defined]
            raise exc
        return self

    # --- computing leaves from data ---------------------------------------------------------------------
    def leaf_matrix(self, M: np.ndarray, columns: list[str]) -> np.ndarray:
        """Leaf values (rows × leaves, in :attr:`leaves` order) from a block ``M`` whose columns are data series
        ``columns``: ``series`` columns are copied, formulas evaluated row-wise (per unit-period)."""
        M = np.asarray(M, dtype=float)
        pos = {c: j for j, c in enumerate(columns)}
        out = np.empty((M.shape[0], len(self._leaves)))
        plain_k, plain_j = [], []
        for k, leaf in enumerate(self._leaves):
            d = self._records[self._row[leaf]]
            if d.get("formula"):
                out[:, k] = evaluate_formula(d["formula"], {c: M[:, j] for c, j in pos.items()}, node=leaf)
            else:
                s = d.get("series") or leaf
                if s not in pos:
                    raise FrameworkError(f"indicator {leaf!r} needs series {s!r}, which is not in the data")
                plain_k.append(k)
                plain_j.append(pos[s])
        if plain_k == list(range(len(self._leaves))):
            out = M[:, plain_j]  # one gather when no formulas
        elif plain_k:
            out[:, plain_k] = M[:, plain_j]
        return out

    def leaf_values(self, wide: pd.DataFrame) -> pd.DataFrame:
        """Leaf indicator values from a wide table (columns = series), same index, one column per leaf."""
        return pd.DataFrame(
            self.leaf_matrix(wide.to_numpy(dtype=float), [str(c) for c in wide.columns]),
            index=wide.index,
            columns=self.leaves,
        )

    def ahp_matrix(self, node_id: str) -> tuple[list[str], np.ndarray] | None:
        """The AHP pairwise matrix declared on ``node_id`` as (children order, matrix), or None."""
        spec = self.node(node_id).get("ahp")
        if _empty(spec):
            return None
        kids = self.children(node_id)
        if isinstance(spec, dict):
            order = [str(c) for c in spec.get("children", kids)]
            mat = spec.get("matrix")
        else:
            order, mat = kids, spec
        if sorted(order) != sorted(kids):
            raise FrameworkError(
                f"node {node_id!r}: AHP children {order} differ from the node's children {kids}"
            )
        try:
            arr = np.array([[float(Fraction(str(v))) for v in row] for row in mat], dtype=float)
        except (ValueError, TypeError, ZeroDivisionError):
            raise FrameworkError(
                f"node {node_id!r}: AHP matrix must hold numbers or fractions like '1/3'"
            ) from None
        if arr.shape != (len(kids), len(kids)):
            raise FrameworkError(
                f"node {node_id!r}: AHP matrix is {arr.shape}, expected {len(kids)}×{len(kids)}"
            )
        return order, arr


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


_empty = checks.empty
_series_available = checks.series_available  # imported by nqpf.framework.formula and the CLI


def _from_dict(spec: dict, *, source: str | None = None) -> Framework:
    if not isinstance(spec, dict) or "nodes" not in spec:
        raise FrameworkError(f"framework {source or ''}: needs a top-level 'nodes:' list")
    nodes = spec["nodes"]
    if not isinstance(nodes, list) or not nodes:
        raise FrameworkError(f"framework {source or ''}: 'nodes' must be a non-empty list")
    name = str(spec.get("name") or (Path(source).stem if source else "framework"))
    meta = {k: v for k, v in spec.items() if k not in ("name", "nodes")}
    default_dir = meta.get("default_direction")
    rows = []
    extra_cols: list[str] = []
    for i, n in enumerate(nodes):
        if not isinstance(n, dict) or "id" not in n:
            raise FrameworkError(f"framework {name!r}: node #{i + 1} has no 'id'")
        r = {k: n.get(k) for k in NODE_COLUMNS if k != "level"}
        r["id"] = str(n["id"])
        r["parent"] = "" if n.get("parent") in (None, "") else str(n["parent"])
        for k, v in n.items():
            if k not in _KNOWN_NODE_KEYS:
                r[k] = v
                if k not in extra_cols:
                    extra_cols.append(k)
        rows.append(r)
    has_child = {r["parent"] for r in rows}
    parent = {r["id"]: r["parent"] for r in rows}
    for r in rows:
        for k in list(r):
            if _empty(r[k]) and k != "parent":
                r[k] = None
        d = r.get("direction")
        if d is None and default_dir is not None and r["id"] not in has_child:
            d = int(default_dir)  # documented: leaves without a direction take default_direction
        if isinstance(d, int | float) and not isinstance(d, bool) and float(d).is_integer():
            d = int(d)
        r["direction"] = d
        # level: 0 = root; unknown parents stop the climb; cycles get level -1 (reported by validate)
        lvl, p, guard = 0, r["parent"], 0
        while p and guard <= len(rows):
            lvl += 1
            p = parent.get(p) if p in parent else None
            guard += 1
        r["level"] = lvl if guard <= len(rows) else -1
    cols = NODE_COLUMNS + extra_cols
    records = [{c: r.get(c) for c in cols} for r in rows]
    df = pd.DataFrame([[r[c] for c in cols] for r in records], columns=cols, dtype=object)
    df["level"] = df["level"].astype("int64")
    return Framework(name, df, meta, source, _records=records)


PUBLISHED_FOLDER = "published"


def builtin_names() -> list[str]:
    """Names of the frameworks shipped in ``nqpf/frameworks/*.yaml`` and, as ``published/<name>``, the
    replications of published indicator systems in ``nqpf/frameworks/published/*.yaml``."""
    folder = resources.files(BUILTIN_PACKAGE)
    own = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    pub = folder.joinpath(PUBLISHED_FOLDER)
    published = (
        sorted(f"{PUBLISHED_FOLDER}/{p.name[:-5]}" for p in pub.iterdir() if p.name.endswith(".yaml"))
        if pub.is_dir()
        else []
    )
    return own + published


def load_framework(spec: str | Path | dict | Framework) -> Framework:
    """A :class:`Framework` from a built-in name, a YAML path, a dict (the YAML's content) or a Framework.

    YAML is read with ``yaml.safe_load``. Structural problems are not raised here; call
    :meth:`Framework.validate` (``build_index`` does).
    """
    if isinstance(spec, Framework):
        return spec
    if isinstance(spec, dict):
        return _from_dict(spec)
    s = str(spec)
    p = Path(s)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise FrameworkError(
                f"framework file {s!r} not found (or not a file); give a YAML path or a built-in "
                f"name from {builtin_names()}"
            )
        try:
            content = yaml.load(p.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            raise FrameworkError(f"framework file {s}: not valid YAML ({exc})") from None
        return _from_dict(content, source=str(p))
    names = builtin_names()
    if s not in names:
        raise FrameworkError(f"unknown framework {s!r}; built-ins are {names}, or give a path to a YAML file")
    return _from_dict(copy.deepcopy(_builtin_spec(s)), source=f"builtin:{s}")


@functools.cache
def _builtin_spec(name: str) -> dict:
    """Parsed YAML of a built-in framework (parsed once per process; callers get a deep copy)."""
    folder = resources.files(BUILTIN_PACKAGE)
    for part in name.split("/")[:-1]:
        folder = folder.joinpath(part)
    text = folder.joinpath(f"{name.split('/')[-1]}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_YAML_LOADER)


def _citation(meta: dict) -> str:
    c = meta.get("citation")
    if isinstance(c, dict):
        return str(c.get("short") or c.get("text") or "")
    return str(c or "")


def list_frameworks() -> pd.DataFrame:
    """Built-in frameworks: name, kind (own / published), title_en, title_zh, dataset, nodes, indicators,
    citation (published systems: the paper they reproduce)."""
    cols = ["name", "kind", "title_en", "title_zh", "dataset", "nodes", "indicators", "citation"]
    rows = []
    for n in builtin_names():
        kind = "published" if n.startswith(PUBLISHED_FOLDER + "/") else "own"
        try:
            fw = load_framework(n)
            rows.append(
                {
                    "name": n,
                    "kind": kind,
                    "title_en": fw.meta.get("title_en", ""),
                    "title_zh": fw.meta.get("title_zh", ""),
                    "dataset": fw.meta.get("dataset", ""),
                    "nodes": len(fw.nodes),
                    "indicators": len(fw.leaves),
                    "citation": _citation(fw.meta),
                }
            )
        except Exception as exc:  # noqa: BLE001 - listing must not fail on one broken file
            rows.append(
                {
                    "name": n,
                    "kind": kind,
                    "title_en": f"(cannot load: {exc})",
                    "title_zh": "",
                    "dataset": "",
                    "nodes": 0,
                    "indicators": 0,
                    "citation": "",
                }
            )
    return pd.DataFrame(rows, columns=cols)
