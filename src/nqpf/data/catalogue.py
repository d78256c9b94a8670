"""Indicator catalogue: schema, loading a user catalogue (CSV / YAML), and the value checks of validation.

Columns (one row per indicator):

=================  ==========================================================================
indicator          id used in the long panel's ``indicator`` column (unique)
name_zh, name_en   labels
unit_of_measure    e.g. ``亿元``, ``万人``, ``%``, ``件``
direction_hint     +1 (more is better), -1 (less is better), 0 (neutral / unknown)
definition         what is measured
formula            for derived series (empty for raw series)
source             citation
caveats            breaks, definition changes, interpolations
gdp_vintage        which GDP vintage a GDP-based series uses (empty if none)
kind (optional)    ``count``, ``share``, ``amount``, ``rate``, ``index``, ``other``; inferred when empty
min_value,         optional explicit bounds checked by :func:`check_values`
max_value
=================  ==========================================================================
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import yaml

from nqpf.data.text import decode_bytes
from nqpf.errors import DataError, Problem

CATALOGUE_COLUMNS = [
    "indicator", "name_zh", "name_en", "unit_of_measure", "direction_hint", "definition", "formula",
    "source", "caveats", "gdp_vintage",
]  # fmt: skip
OPTIONAL_COLUMNS = ["kind", "min_value", "max_value"]
KINDS = ("count", "share", "amount", "rate", "index", "other")

# Units of measure that are counts (never negative).
_COUNT_UNITS = re.compile(
    r"^(万|千|百|亿)?(人|人次|个|件|项|家|户|台|辆|所|座|张|篇|部|套|册|种|名|床|支|条|处|只|头)$"
    r"|^(persons?|people|number|count|units?|items?|firms?|patents?|no\.?)$",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"^(%|％|percent|pct|百分比|‰)$", re.IGNORECASE)
_SHARE_WORDS = re.compile(
    r"比重|占比|比例|份额|覆盖率|普及率|share|ratio of|proportion|coverage|penetration", re.I
)
_CHANGE_WORDS = re.compile(r"增长|增速|增幅|变化|比上年|同比|growth|change|rate of increase", re.I)

# Scale of common units of measure relative to a base unit (used to suggest conversions).
UNIT_SCALES: dict[str, tuple[str, float]] = {
    "元": ("元", 1.0), "千元": ("元", 1e3), "万元": ("元", 1e4), "百万元": ("元", 1e6), "亿元": ("元", 1e8),
    "人": ("人", 1.0), "千人": ("人", 1e3), "万人": ("人", 1e4), "亿人": ("人", 1e8),
    "吨": ("吨", 1.0), "千吨": ("吨", 1e3), "万吨": ("吨", 1e4), "亿吨": ("吨", 1e8),
    "千瓦时": ("千瓦时", 1.0), "万千瓦时": ("千瓦时", 1e4), "亿千瓦时": ("千瓦时", 1e8),
    "美元": ("美元", 1.0), "万美元": ("美元", 1e4), "亿美元": ("美元", 1e8),
    "个": ("个", 1.0), "万个": ("个", 1e4), "件": ("件", 1.0), "万件": ("件", 1e4),
    "%": ("%", 1.0), "‰": ("%", 0.1),
}  # fmt: skip


def normalize_uom(u: object) -> str:
    """Canonical spelling of a unit of measure (full-width → half-width, trimmed); '' if empty."""
    import unicodedata

    if u is None or (isinstance(u, float) and math.isnan(u)):
        return ""
    return unicodedata.normalize("NFKC", str(u)).strip()


def conversion_hint(a: str, b: str) -> str | None:
    """'1 亿元 = 10000 万元' if both units share a base unit, else ``None``."""
    sa, sb = UNIT_SCALES.get(normalize_uom(a)), UNIT_SCALES.get(normalize_uom(b))
    if not sa or not sb or sa[0] != sb[0] or sa[1] == sb[1]:
        return None
    big, small = (a, b) if sa[1] > sb[1] else (b, a)
    f = max(sa[1], sb[1]) / min(sa[1], sb[1])
    return f"1 {big} = {f:g} {small}"


def infer_kind(unit_of_measure: object, name: object = "") -> str:
    """Kind of an indicator from its unit of measure and name: count, share, rate, amount or other."""
    u = normalize_uom(unit_of_measure)
    n = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    if _COUNT_UNITS.match(u):
        return "count"
    if _PERCENT.match(u):
        if _CHANGE_WORDS.search(n):
            return "rate"
        if _SHARE_WORDS.search(n):
            return "share"
        return "rate"
    if u in UNIT_SCALES or u.endswith("元"):
        return "amount"
    return "other"


def empty_catalogue() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in CATALOGUE_COLUMNS})


def check_catalogue(df: pd.DataFrame, *, name: str = "catalogue") -> pd.DataFrame:
    """Validate a catalogue and return it with all columns (missing optional text columns become '')."""
    if "indicator" not in df.columns:
        raise DataError(f"{name}: needs an 'indicator' column (found {list(df.columns)})")
    out = df.copy()
    for c in CATALOGUE_COLUMNS + OPTIONAL_COLUMNS:
        if c not in out.columns:
            out[c] = math.nan if c in ("min_value", "max_value") else ""
    out["indicator"] = out["indicator"].astype(str).str.strip()
    dup = out["indicator"][out["indicator"].duplicated()]
    if len(dup):
        raise DataError(f"{name}: indicator {dup.iloc[0]!r} is listed twice; keep one row per indicator")
    for c in CATALOGUE_COLUMNS + ["kind"]:
        if c != "direction_hint":
            out[c] = out[c].map(
                lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            )
    dh = pd.to_numeric(out["direction_hint"].replace("", 0), errors="coerce")
    bad = ~dh.isin([-1, 0, 1])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{name}: indicator {out['indicator'].iloc[i]!r}: direction_hint {out['direction_hint'].iloc[i]!r} "
            f"must be +1 (more is better), -1 (less is better) or 0"
        )
    out["direction_hint"] = dh.astype("int64")
    for c in ("min_value", "max_value"):
        v = pd.to_numeric(out[c].replace("", math.nan), errors="coerce")
        if (
            v.isna() & out[c].notna() & (out[c].astype(str).str.strip() != "") & (out[c].astype(str) != "nan")
        ).any():
            raise DataError(f"{name}: column {c!r} must be numeric or empty")
        out[c] = v.astype("float64")
    bad_kind = ~out["kind"].isin(("",) + KINDS)
    if bad_kind.any():
        raise DataError(f"{name}: kind {out['kind'][bad_kind].iloc[0]!r} must be one of {KINDS} or empty")
    return out[
        CATALOGUE_COLUMNS
        + OPTIONAL_COLUMNS
        + [c for c in out.columns if c not in CATALOGUE_COLUMNS + OPTIONAL_COLUMNS]
    ]


def load_catalogue(path: str | Path) -> pd.DataFrame:
    """Load a user catalogue from CSV (UTF-8/GBK) or YAML (a list of rows or a mapping indicator → fields)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"catalogue file {p} does not exist")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise DataError(f"catalogue {p}: not valid UTF-8 YAML ({exc}); fix the file") from exc
        if isinstance(data, dict) and "indicators" in data:
            data = data["indicators"]
        if isinstance(data, dict):
            rows = [{"indicator": k, **(v or {})} for k, v in data.items()]
        elif isinstance(data, list) and all(isinstance(r, dict) for r in data):
            rows = data
        else:
            raise DataError(
                f"catalogue {p}: expected a list of indicator rows or a mapping indicator → fields"
            )
        df = pd.DataFrame(rows)
    elif suffix in (".csv", ".txt", ".tsv"):
        import io as _io

        text, _enc = decode_bytes(p.read_bytes(), source=str(p))
        try:
            df = pd.read_csv(_io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
        except (pd.errors.ParserError, ValueError) as exc:
            raise DataError(f"catalogue {p}: cannot parse CSV ({exc})") from exc
    else:
        raise DataError(f"catalogue {p}: use a .csv or .yaml file")
    return check_catalogue(df, name=f"catalogue {p.name}")


def check_values(
    long: pd.DataFrame,
    catalogue: pd.DataFrame | None = None,
    *,
    file: str | None = None,
    rows: pd.Series | None = None,
    columns: pd.Series | None = None,
    uoms: dict[str, str] | None = None,
    lang: str = "en",
) -> list[Problem]:
    """Values that violate the catalogue: negative counts, shares outside [0, 100] %, explicit min/max.

    ``long`` is a long panel; ``rows``/``columns`` (aligned with ``long``) give source locations.
    Without a catalogue the kind is inferred from ``uoms`` (units of measure found in the file).
    """
    from nqpf.i18n import t

    kinds: dict[str, tuple[str, float, float, str]] = {}
    cat = check_catalogue(catalogue) if catalogue is not None else None
    inds = pd.unique(long["indicator"])
    for ind in inds:
        lo, hi, kind, uom = -math.inf, math.inf, "", (uoms or {}).get(ind, "")
        if cat is not None and (cat["indicator"] == ind).any():
            r = cat[cat["indicator"] == ind].iloc[0]
            uom = r["unit_of_measure"] or uom
            kind = r["kind"] or infer_kind(uom, f"{r['name_zh']} {r['name_en']} {ind}")
            lo = r["min_value"] if not math.isnan(r["min_value"]) else lo
            hi = r["max_value"] if not math.isnan(r["max_value"]) else hi
        else:
            kind = infer_kind(uom, ind)
        if kind in ("count", "share"):
            lo = max(lo, 0.0)
        if kind == "share":
            hi = min(hi, 100.0) if _PERCENT.match(normalize_uom(uom) or "%") else min(hi, 1.0)
        kinds[ind] = (kind, lo, hi, uom)
    out: list[Problem] = []
    vals = long["value"].to_numpy()
    ind_arr = long["indicator"].to_numpy()
    for i in range(len(long)):
        v = vals[i]
        if v != v:
            continue
        kind, lo, hi, uom = kinds[ind_arr[i]]
        if lo <= v <= hi:
            continue
        rec = long.iloc[i]
        if kind == "count" and v < 0:
            code = "negative_count"
        elif kind == "share":
            code = "share_out_of_range"
        else:
            code = "out_of_range"
        msg = t(
            f"data.problem.{code}", lang, value=f"{v:g}", lo=f"{lo:g}", hi=f"{hi:g}", uom=uom or "-",
            period=int(rec["period"]),
        )  # fmt: skip
        out.append(
            Problem(
                "error",
                code,
                msg,
                file=file,
                row=None if rows is None else _maybe_int(rows.iloc[i]),
                column=None if columns is None else columns.iloc[i],
                unit=str(rec["unit"]),
                indicator=str(rec["indicator"]),
                extra={"period": int(rec["period"]), "value": float(v), "kind": kind},
            )  # fmt: skip
        )
    return out


def _maybe_int(x: object) -> int | None:
    try:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        return int(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
