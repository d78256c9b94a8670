"""``IndexSpec``: every choice of a composite index in one frozen, validated, JSON-serialisable value.

A spec names the data (a shipped dataset, a file, or a DataFrame recorded by its content hash), the framework
(a built-in id, a YAML path, or an inline definition, with its sha256), the periods, an optional filter of
units, the six steps (impute → treat → normalise → weight → aggregate, with the weight scope) and their
options, and a seed for consumers that resample (the index itself is deterministic). ``build_index(spec)``
builds it; :meth:`IndexResult.spec` gives the spec of a result and :meth:`IndexResult.regen` rebuilds it with
changes. A step left as None takes the framework's declared ``method:`` value, else the engine default
(:func:`nqpf.index.registry.resolve_method`); :meth:`IndexSpec.resolved` writes every one out.

The JSON form is exact: ``IndexSpec.from_json(spec.to_json()) == spec`` and both build the same
``result_hash``. A DataFrame is not written into the JSON; a spec read back that refers to one is built with
``spec.with_data(df)``, which checks the frame's content hash.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from nqpf.errors import DataError, FrameworkError, MethodError
from nqpf.framework import Framework, load_framework
from nqpf.framework.core import builtin_names
from nqpf.index import registry as reg

SPEC_VERSION = 1
DATA_KINDS = ("dataset", "file", "frame")
STEP_FIELDS = tuple(reg.ENGINE_DEFAULTS)  # impute, treat, normalize, weights, weight_scope, aggregate
# options with a closed set of values (the others are numbers, flags, node matrices or unit maps)
_OPTION_CHOICES: dict[str, tuple] = {
    "combine": reg.COMBINE_METHODS,
    "zero_rule": reg.ZERO_RULES,
    "units": reg.UNIT_READ_MODES,
}


# --------------------------------------------------------------------------------------------------------
# content hashes and frozen values
# --------------------------------------------------------------------------------------------------------
def frame_hash(df: pd.DataFrame) -> str:
    """sha256 of a DataFrame's content: column names, then pandas' row hashes (values and index)."""
    h = hashlib.sha256(json.dumps([str(c) for c in df.columns], ensure_ascii=False).encode())
    h.update(json.dumps([str(n) for n in df.index.names]).encode())
    h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    return h.hexdigest()


def file_hash(path: str | Path) -> str:
    """sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=16)
def dataset_hash(name: str) -> str:
    """Content hash (:func:`frame_hash`) of a shipped dataset's long table; computed once per process."""
    import nqpf.datasets as ds

    return frame_hash(ds.load(name).data)


def _freeze(v: Any, where: str) -> Any:
    """JSON-like value → immutable (lists → tuples, mappings → read-only with str keys); refuses others."""
    if isinstance(v, bool) or v is None or isinstance(v, str | int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            raise MethodError(f"{where}: NaN is not a valid setting")
        return v
    if hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalar
        return _freeze(v.item(), where)
    if isinstance(v, Mapping):
        return MappingProxyType({str(k): _freeze(x, f"{where}[{k!r}]") for k, x in v.items()})
    if isinstance(v, list | tuple) or (hasattr(v, "tolist") and hasattr(v, "shape")):
        seq = v.tolist() if hasattr(v, "tolist") else v
        return tuple(_freeze(x, f"{where}[{i}]") for i, x in enumerate(seq))
    raise MethodError(
        f"{where}: {type(v).__name__} cannot be written to a spec; use numbers, strings, lists or mappings"
    )


def _thaw(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


def _canonical_periods(p: Any) -> str | None:
    """None (the framework's span) | ``"all"`` | ``"lo-hi"`` (a contiguous range) | ``"y1,y2,…"`` (those years).
    Strings only, so that re-validating a canonical value never changes it (a pair ``(lo, hi)`` is a range)."""
    if p is None:
        return None
    if isinstance(p, str) and p.strip().lower() == "all":
        return "all"
    if isinstance(p, int) and not isinstance(p, bool):
        p = [p]
    try:
        pers = reg.parse_periods(p)
    except (TypeError, ValueError):
        raise DataError(
            f"periods {p!r}: use 'all', a range such as '2012-2022', a pair (2012, 2022) or a list of years"
        ) from None
    s = reg.periods_setting(sorted(set(pers)), "argument")
    return s if isinstance(s, str) else ",".join(str(y) for y in s)


# --------------------------------------------------------------------------------------------------------
# the spec
# --------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class IndexSpec:
    """Every choice of a composite index. Fields (all validated; bad values raise an ``NQPFError`` naming the
    field and the allowed values):

    ``framework``: built-in id (``nqpf.framework.builtin_names()``), YAML path, or inline definition (mapping);
    ``framework_hash``: its sha256 (checked when built; None = not pinned);
    ``data``: dataset name or file path (None for a DataFrame); ``data_kind``: dataset / file / frame (inferred);
    ``data_hash``: sha256 of the content (checked when built; None = not pinned);
    ``periods``: None (framework span) / "all" / "lo-hi" / tuple of years; ``unit_filter``: units kept (None =
    all); ``impute`` … ``aggregate``: the steps (None = framework's, else engine default); ``options``: the
    engine options (:data:`nqpf.index.registry.OPTIONS`); ``seed``: for resampling consumers.
    """

    framework: Any
    data: str | None = None
    data_kind: str | None = None
    data_hash: str | None = None
    framework_hash: str | None = None
    periods: str | None = None
    unit_filter: tuple[str, ...] | None = None
    impute: str | None = None
    treat: str | None = None
    normalize: str | None = None
    weights: str | None = None
    weight_scope: str | None = None
    aggregate: Any = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    source: Any = dataclasses.field(default=None, compare=False, repr=False)  # in-memory data, not serialised

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        set_("framework", _check_framework(self.framework))
        for name in ("framework_hash", "data_hash"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or len(v) != 64):
                raise DataError(f"{name}: {v!r} is not a sha256 hex digest (64 characters) or None")
        data, kind = _check_data(self.data, self.data_kind, self.data_hash, self.source)
        set_("data", data)
        set_("data_kind", kind)
        set_("periods", _canonical_periods(self.periods))
        set_("unit_filter", _check_unit_filter(self.unit_filter))
        for step in STEP_FIELDS:
            v = getattr(self, step)
            if v is None:
                continue
            if step == "aggregate" and isinstance(v, Mapping):
                v = MappingProxyType({str(k): m for k, m in v.items()})  # JSON keys are strings
                set_(step, v)
            reg.check_step(step, dict(v) if isinstance(v, Mapping) else v, field=step)
        set_("options", _check_options(self.options))
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0):
            raise MethodError(f"seed: {self.seed!r}; give a non-negative integer or None")

    # --- construction --------------------------------------------------------------------------------------
    @classmethod
    def from_args(cls, data: Any, framework: Any, *, periods: Any = None, unit_filter: Any = None,
                  seed: int | None = None, data_hash: str | None = None, **steps_and_options: Any) -> IndexSpec:
        """The spec of a ``build_index(data, framework, ...)`` call. ``data``: dataset name, file path,
        ``nqpf.datasets.Dataset`` or DataFrame (kept in memory as :attr:`source`; its content hash is computed
        when the spec is written out or checked)."""
        steps = {k: steps_and_options.pop(k) for k in STEP_FIELDS if k in steps_and_options}
        src, ref, kind = None, None, None
        if isinstance(data, str | Path):
            ref = str(data)
        elif isinstance(data, pd.DataFrame):
            src, kind = data, "frame"
        elif hasattr(data, "data") and isinstance(data.data, pd.DataFrame):  # a Dataset
            import nqpf.datasets as ds

            name = getattr(data, "name", None)
            if name in ds.names():
                src, ref, kind = data, name, "dataset"
            else:
                src, kind = data, "frame"
        else:
            raise DataError(
                f"data must be a DataFrame, a Dataset, a dataset name or a file path; got {type(data).__name__}"
            )
        return cls(framework=framework, data=ref, data_kind=kind, data_hash=data_hash, periods=periods,
                   unit_filter=unit_filter, options=steps_and_options, seed=seed, source=src, **steps)

    def replace(self, **changes: Any) -> IndexSpec:
        """A new spec with ``changes``; an option name (e.g. ``alpha=0.3``) sets that option (None removes it).
        Changing ``framework`` or ``data`` drops the old hash pin and in-memory data unless given too."""
        fields = {f.name for f in dataclasses.fields(self)}
        opts = dict(self.options)
        direct = {}
        for k, v in changes.items():
            if k in fields:
                direct[k] = v
            elif k in reg.OPTIONS:
                if v is None:
                    opts.pop(k, None)
                else:
                    opts[k] = v
            else:
                raise MethodError(
                    f"replace: unknown field {k!r}; fields: {', '.join(sorted(fields))}; options: "
                    f"{', '.join(reg.OPTIONS)}"
                )
        if "options" not in direct:
            direct["options"] = opts
        if "framework" in direct:
            direct.setdefault("framework_hash", None)
        if "data" in direct:
            d = direct["data"]
            if not isinstance(d, str | Path | None):
                base = IndexSpec.from_args(d, self.framework)
                direct["data"], direct["source"] = base.data, base.source
                direct.setdefault("data_kind", base.data_kind)
            else:
                direct.setdefault("source", None)
                direct.setdefault("data_kind", None)
            direct.setdefault("data_hash", None)
        return dataclasses.replace(self, **direct)

    def with_data(self, df: Any) -> IndexSpec:
        """This spec with its in-memory data attached (a DataFrame or Dataset); checks the content hash when
        the spec pins one."""
        h = frame_hash(df.data if hasattr(df, "data") and isinstance(df.data, pd.DataFrame) else df)
        if self.data_hash is not None and h != self.data_hash:
            raise DataError(
                f"data: the DataFrame's content hash {h[:12]}… differs from the spec's data_hash "
                f"{self.data_hash[:12]}…; it is not the data this spec was written for"
            )
        return dataclasses.replace(self, source=df, data_hash=h)

    # --- serialisation ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (lists for tuples); hashes of data and framework filled in when known."""
        out: dict[str, Any] = {"nqpf_index_spec": SPEC_VERSION}
        for f in dataclasses.fields(self):
            if f.name == "source":
                continue
            out[f.name] = _thaw(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IndexSpec:
        """Inverse of :meth:`to_dict`; unknown keys are refused by name."""
        if not isinstance(d, Mapping):
            raise MethodError(f"IndexSpec.from_dict: expected a mapping, got {type(d).__name__}")
        d = dict(d)
        ver = d.pop("nqpf_index_spec", SPEC_VERSION)
        if ver != SPEC_VERSION:
            raise MethodError(f"nqpf_index_spec: version {ver!r} is not supported (this nqpf reads {SPEC_VERSION})")
        fields = {f.name for f in dataclasses.fields(cls)} - {"source"}
        bad = sorted(set(d) - fields)
        if bad:
            raise MethodError(f"IndexSpec: unknown field(s) {bad}; fields: {', '.join(sorted(fields))}")
        if "framework" not in d:
            raise FrameworkError("IndexSpec: the field 'framework' is required")
        return cls(**d)

    def to_json(self, indent: int | None = 2) -> str:
        """Canonical JSON (sorted keys, UTF-8 text); :meth:`from_json` reads it back to an equal spec."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False, indent=indent)

    @classmethod
    def from_json(cls, text: str) -> IndexSpec:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MethodError(f"IndexSpec.from_json: not valid JSON ({exc})") from None
        return cls.from_dict(d)

    def __hash__(self) -> int:
        return hash(self.to_json(indent=None))

    # --- use -------------------------------------------------------------------------------------------------
    def load_framework(self) -> Framework:
        """The framework, checked against :attr:`framework_hash` when pinned."""
        fw = load_framework(_thaw(self.framework) if isinstance(self.framework, Mapping) else self.framework)
        if self.framework_hash is not None and fw.hash != self.framework_hash:
            raise FrameworkError(
                f"framework {fw.name!r}: its sha256 {fw.hash[:12]}… differs from the spec's framework_hash "
                f"{self.framework_hash[:12]}…; the framework changed since the spec was written (use "
                "spec.replace(framework_hash=None) to accept the current one)"
            )
        return fw

    def content_hash(self) -> str:
        """sha256 of the data this spec refers to (dataset content, file bytes, or the attached frame)."""
        if self.source is not None:
            s = self.source
            return frame_hash(s.data if hasattr(s, "data") and isinstance(s.data, pd.DataFrame) else s)
        if self.data_kind == "dataset":
            return dataset_hash(self.data)
        if self.data_kind == "file":
            if not Path(self.data).is_file():
                raise DataError(f"data: file {self.data!r} not found; give the path of the data file")
            return file_hash(self.data)
        raise DataError(
            "data: this spec refers to a DataFrame (data_kind 'frame') that is not attached; use "
            "spec.with_data(df) with the same frame"
        )

    def load_data(self) -> Any:
        """What ``build_index`` reads: the attached frame/Dataset, else the dataset name or the file path;
        checks :attr:`data_hash` when pinned."""
        if self.data_hash is not None:
            h = self.content_hash()
            if h != self.data_hash:
                raise DataError(
                    f"data {self.data or 'DataFrame'!r}: content hash {h[:12]}… differs from the spec's "
                    f"data_hash {self.data_hash[:12]}…; the data changed since the spec was written (use "
                    "spec.replace(data_hash=None) to accept the current data)"
                )
        elif self.source is None and self.data_kind == "frame":
            self.content_hash()  # raises the 'not attached' message
        elif self.source is None and self.data_kind == "file" and not Path(self.data).is_file():
            raise DataError(f"data: file {self.data!r} not found; give the path of the data file")
        return self.source if self.source is not None else self.data

    def pinned(self) -> IndexSpec:
        """This spec with the data and framework hashes filled in (what :meth:`to_json` should record)."""
        return dataclasses.replace(
            self,
            data_hash=self.data_hash or self.content_hash(),
            framework_hash=self.framework_hash or self.load_framework().hash,
        )

    def build_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``build_index`` (steps, periods, options, unit filter) as plain values."""
        kw: dict[str, Any] = {k: _thaw(getattr(self, k)) for k in STEP_FIELDS if getattr(self, k) is not None}
        if isinstance(kw.get("aggregate"), dict):
            kw["aggregate"] = dict(kw["aggregate"])
        if self.periods is not None:
            kw["periods"] = self.periods
        kw.update(_thaw(self.options))
        if "winsorize_q" in kw:
            kw["winsorize_q"] = tuple(kw["winsorize_q"])
        if self.unit_filter is not None:
            kw["unit_filter"] = list(self.unit_filter)
        return kw

    def resolved(self) -> IndexSpec:
        """Every step and option written out: unset ones take the framework's declared value, else the engine
        default (:func:`nqpf.index.registry.resolve_method`); builds the same index."""
        fw = self.load_framework()
        given = {k: getattr(self, k) for k in STEP_FIELDS}
        steps, options, _ = reg.resolve_method(fw, **{k: _thaw(v) for k, v in given.items()}, **_thaw(self.options))
        return dataclasses.replace(self, options=options, **steps)


def _check_numbers(opts: dict[str, Any]) -> None:
    """Range checks of the numeric options (the engine would fail later with a less direct message)."""
    def num(k, lo=None, hi=None, integer=False):
        v = opts.get(k)
        if v is None:
            return
        ok = isinstance(v, int | float) and not isinstance(v, bool) and (not integer or float(v).is_integer())
        if ok and ((lo is not None and v < lo) or (hi is not None and v > hi)):
            ok = False
        if not ok:
            rng = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise MethodError(f"options[{k!r}]: {v!r}; give {'an integer' if integer else 'a number'} {rng}")

    num("alpha", 0.0, 1.0)
    num("max_cr", 0.0)
    num("entropy_shift", 0.0)
    num("minmax_eps", 0.0)
    num("delta", 0.0)
    num("rho", 0.0, 1.0)
    num("winmax", 1, integer=True)
    num("min_units", 1, integer=True)
    num("impute_limit", 0, integer=True)
    q = opts.get("winsorize_q")
    if q is not None:
        ok = isinstance(q, list | tuple) and len(q) == 2 and all(isinstance(x, int | float) for x in q)
        if not ok or not 0.0 <= q[0] < q[1] <= 1.0:
            raise MethodError(f"options['winsorize_q']: {q!r}; give two quantiles (low, high) with 0 <= low < high <= 1")


# --------------------------------------------------------------------------------------------------------
# field checks
# --------------------------------------------------------------------------------------------------------
def _check_framework(fw: Any) -> Any:
    """Built-in id | YAML path (str) | frozen inline definition; a Framework object becomes its built-in id
    when it is an unchanged built-in (a modified copy keeps its source but not its hash), else its definition."""
    if isinstance(fw, Framework):
        src = str(fw.source or "")
        name = src[len("builtin:"):] if src.startswith("builtin:") else None
        fw = name if name and load_framework(name).hash == fw.hash else fw.to_dict()
    if isinstance(fw, Path):
        fw = str(fw)
    if isinstance(fw, Mapping):
        return _freeze(fw, "framework")
    if not isinstance(fw, str):
        raise FrameworkError(
            f"framework: got {type(fw).__name__}; give a built-in id, a YAML path or a definition mapping"
        )
    if not fw.strip():
        raise FrameworkError("framework: empty; give a built-in id, a YAML path or a definition")
    names = builtin_names()
    if fw not in names and Path(fw).suffix.lower() not in (".yaml", ".yml"):
        raise FrameworkError(f"framework {fw!r}: not a built-in (allowed: {', '.join(names)}) and not a .yaml/.yml path")
    return fw


def _check_data(data: Any, kind: str | None, data_hash: str | None, source: Any) -> tuple[str | None, str]:
    """(data, data_kind) checked; the kind is inferred when None (a shipped dataset name, else a file)."""
    import nqpf.datasets as ds

    if kind is not None and kind not in DATA_KINDS:
        raise DataError(f"data_kind: {kind!r}; allowed: {', '.join(DATA_KINDS)}")
    data = str(data) if isinstance(data, Path) else data
    if data is not None and not isinstance(data, str):
        raise DataError(
            f"data: got {type(data).__name__}; give a dataset name or a file path (for a DataFrame use "
            "IndexSpec.from_args(df, framework, ...))"
        )
    if kind is None:
        kind = "frame" if data is None else ("dataset" if data in ds.names() else "file")
    if kind == "frame":
        if data is not None:
            raise DataError(f"data: a spec of data_kind 'frame' names no dataset or file (got {data!r})")
        if data_hash is None and source is None:
            raise DataError("data: give a dataset name, a file path, or a DataFrame (IndexSpec.from_args)")
    elif data is None:
        raise DataError(f"data: data_kind {kind!r} needs a dataset name or file path")
    elif kind == "dataset" and data not in ds.names():
        raise DataError(f"data: unknown dataset {data!r}; shipped datasets: {', '.join(ds.names())}")
    return data, kind


def _check_unit_filter(uf: Any) -> tuple[str, ...] | None:
    if uf is None:
        return None
    if isinstance(uf, str) or not hasattr(uf, "__iter__"):
        uf = [uf]
    uf = tuple(str(u) for u in uf)
    if not uf or len(set(uf)) != len(uf):
        raise DataError(f"unit_filter: {list(uf)} must name at least one unit, each once (or be None)")
    return uf


def _check_options(opts: Any) -> Mapping[str, Any]:
    """Known names (:data:`nqpf.index.registry.OPTIONS`), closed choices, numeric ranges; frozen."""
    opts = {} if opts is None else opts
    if not isinstance(opts, Mapping):
        raise MethodError(f"options: must be a mapping of option → value, got {type(opts).__name__}")
    opts = dict(opts)
    lim = opts.get("impute_limit")
    if isinstance(lim, float) and math.isinf(lim):
        opts["impute_limit"] = None  # the engine reads inf as "no limit", like None
    bad = sorted(set(opts) - set(reg.OPTIONS))
    if bad:
        raise MethodError(f"options: unknown option(s) {bad}; allowed: {', '.join(reg.OPTIONS)}")
    for k, allowed in _OPTION_CHOICES.items():
        if k in opts and opts[k] is not None and opts[k] not in allowed:
            raise MethodError(f"options[{k!r}]: {opts[k]!r}; allowed: {', '.join(allowed)}")
    _check_numbers(opts)
    return _freeze(opts, "options")
