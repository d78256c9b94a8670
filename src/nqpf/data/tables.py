"""One table writer for every command: the format follows the output's extension.

:func:`write_table` writes ``.csv``, ``.xlsx``, ``.dta`` (Stata 118, variable labels), ``.parquet`` or ``.tex``
(booktabs) atomically; :func:`read_table` reads them back, restoring the original column names of a ``.dta``.

Stata names (docs/data.md, "Stata variable names"). A column whose name Stata cannot hold — not of the form
``[A-Za-z_][A-Za-z0-9_]{0,31}`` (ASCII letters, digits, underscore; ≤ 32 characters, no leading digit), a
reserved word ([U] 11.3: ``else``, ``_n``, ``double``, ``str12`` …), or a repeat of a name already taken — is
renamed by :func:`stata_names`:

1. names that are legal are kept (first occurrence), and reserved for themselves;
2. any other name is folded to ASCII (Unicode NFKD, accents dropped), every run of other characters becomes
   ``_`` and leading/trailing ``_`` are dropped;
3. an empty result becomes ``v<k>`` (``k`` = the column's 1-based position); a result starting with a digit
   or equal to a reserved word gets the prefix ``v_``; the result is cut to 32 characters;
4. a result already taken gets the suffix ``_2``, ``_3`` … (the stem cut so that the whole stays ≤ 32).

The original name of each renamed variable is written as its variable label (``label`` in Stata, cut to 80
characters) and, complete, as the characteristic ``char <var>[nqpf_name]``; the ``manifest`` passed to
:func:`write_table` records the mapping under ``output_files/<file>/stata_names``. :func:`read_table`,
:func:`read_stata` and :func:`nqpf.data.read` give the original names back. Nothing is renamed silently.

Stata 14+ itself accepts Unicode letters in names; the rule keeps names ASCII so that do-files in any
encoding, ``saveold`` and other Stata readers can use them.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import unicodedata
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf._protocol import render
from nqpf._util import atomic_path, neutralise_frame, write_csv_atomic
from nqpf.errors import DataError

#: Extensions :func:`write_table` understands (lower case), in the order shown to users.
TABLE_FORMATS = (".csv", ".xlsx", ".dta", ".parquet", ".tex")

# Stata's reserved names ([U] 11.3 "Naming conventions") and Mata's reserved words, which Stata refuses as
# variable names (pandas would rename them silently, ``else`` → ``_else``); ``str1``…``str2045`` too.
STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _se _skip strL using with "
    "aggregate array boolean break case catch class colvector complex const continue default delegate delete do "
    "else eltypedef end enum explicit export external for friend function global goto inline local NULL pragma "
    "protected quad rowvector short typedef typename virtual".split()
)
STATA_DOUBLE_MAX = 8.988465674311579e307  # Stata's largest double; larger magnitudes are its missing codes
STATA_NAME_CHAR = "nqpf_name"  # characteristic holding the original name: char <var>[nqpf_name]
_LEGAL = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_STR_TYPE = re.compile(r"str([1-9]\d{0,3})")


def is_stata_name(name: object) -> bool:
    """Whether ``name`` can be a Stata variable name as it is (ASCII identifier ≤ 32, not reserved)."""
    if not isinstance(name, str) or not _LEGAL.fullmatch(name) or name in STATA_RESERVED:
        return False
    m = _STR_TYPE.fullmatch(name)
    return not (m and int(m.group(1)) <= 2045)


def _fold(name: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9_]+", "_", ascii_).strip("_")


def stata_names(columns: Iterable[object]) -> list[str]:
    """The Stata variable name of each column, by the rule in the module docstring (deterministic: the
    same columns in the same order always give the same names; legal names are never changed)."""
    cols = [str(c) for c in columns]
    out: list[str | None] = [None] * len(cols)
    taken: set[str] = set()
    for k, c in enumerate(cols):
        if is_stata_name(c) and c not in taken:
            out[k] = c
            taken.add(c)
    for k, c in enumerate(cols):
        if out[k] is not None:
            continue
        base = _fold(c)
        if not base:
            base = f"v{k + 1}"
        elif base[0].isdigit() or not is_stata_name(base[:32]):
            base = "v_" + base
        base = base[:32]
        name, j = base, 2
        while name in taken or not is_stata_name(name):
            tail = f"_{j}"
            name = base[: 32 - len(tail)] + tail
            j += 1
        out[k] = name
        taken.add(name)
    return [str(n) for n in out]


# ------------------------------------------------------------------------------------------------- writing
def table_format(path: str | os.PathLike, *, option: str | None = None) -> str:
    """The format of ``path`` from its extension (``csv`` … ``tex``); :class:`DataError` for any other."""
    suf = Path(path).suffix.lower()
    if suf not in TABLE_FORMATS:
        where = f"{option} {path}" if option else str(path)
        raise DataError(
            f"{where}: cannot write a table with extension {suf or '(none)'!r}; end the file name with one of "
            f"{', '.join(TABLE_FORMATS)}"
        )
    return suf[1:]


def write_table(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    labels: Mapping[str, str] | None = None,
    raw_text: bool = False,
    manifest: dict | None = None,
    data_label: str | None = None,
    caption: str = "",
    digits: int = 4,
    option: str | None = None,
    encoding: str = "utf-8",
) -> Path:
    """Write ``df`` atomically as CSV, XLSX, Stata 118, Parquet or LaTeX, chosen by ``path``'s extension.

    ``labels``: column → description, written as Stata variable labels and as the LaTeX header. ``raw_text``:
    CSV/XLSX text starting with ``= + - @`` (tab, CR) is written as it is instead of with a leading ``'``
    (:func:`nqpf._util.neutralise_frame`). ``manifest``: a dict that gets ``output_files[<file name>]`` =
    format, columns and the Stata name mapping. ``option``: the CLI flag named in errors (``--out``).
    Numbers are written at full precision (LaTeX: ``digits`` decimals). The index is not written."""
    p = Path(path)
    fmt = table_format(p, option=option)
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        named = [n for n in df.index.names if n is not None]  # a named index is data: it becomes columns
        df = df.reset_index(drop=not named or bool(set(map(str, named)) & set(map(str, df.columns))))
    if isinstance(df.columns, pd.MultiIndex):
        df = df.copy()
        df.columns = [" / ".join(str(x) for x in c if x not in (None, "")) for c in df.columns]
    labels = dict(labels or {})
    entry: dict[str, Any] = {"format": fmt, "columns": [str(c) for c in df.columns]}
    try:
        if fmt == "csv":
            write_csv_atomic(p, df, raw_text=raw_text, encoding=encoding)
        elif fmt == "xlsx":
            _write_xlsx(df, p, raw_text)
        elif fmt == "dta":
            mapping = _write_dta(df, p, labels, data_label)
            if mapping:
                entry["stata_names"] = mapping
        elif fmt == "parquet":
            out = df.copy()
            out.attrs = {}  # pandas would store attrs (manifests, result objects) as JSON in the file's metadata
            out.columns = [str(c) for c in out.columns]
            with atomic_path(p) as tmp:
                out.to_parquet(tmp, index=False)
        else:
            out = df.rename(columns={c: labels.get(str(c), str(c)) for c in df.columns})
            render("table_latex", out, path=p, caption=caption, digits=digits)  # booktabs, in the report layer
    except (ValueError, TypeError, OverflowError, UnicodeEncodeError, LookupError) as exc:  # pyarrow's too
        raise DataError(f"cannot write {p.name} as {fmt}: {exc}; choose another format") from None
    except ImportError as exc:
        raise DataError(f"cannot write {p.name} as {fmt}: {exc}") from None
    if manifest is not None:
        manifest.setdefault("output_files", {})[p.name] = entry
    return p


def _write_xlsx(df: pd.DataFrame, p: Path, raw_text: bool) -> None:
    out = df if raw_text else neutralise_frame(df)
    out = out.copy()
    out.columns = [str(c) for c in out.columns]
    with atomic_path(p) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            out.to_excel(xw, index=False, sheet_name="table")
            ws = xw.sheets["table"]
            ws.freeze_panes = "A2"
            for j, c in enumerate(out.columns, start=1):
                s = out[c]
                width = max([len(str(c))] + [len(str(v)) for v in s.head(200)]) if len(s) else len(str(c))
                ws.column_dimensions[ws.cell(1, j).column_letter].width = min(max(width + 2, 8), 60)


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float | np.floating) and np.isnan(v))


def _stata_frame(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Column types Stata holds: bool → int8, nullable numbers → float64 (NA → .), text (missing → "")."""
    out = {}
    for j, c in enumerate(df.columns):
        s = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("float64") if s.isna().any() else s.astype("int8")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            pass
        elif pd.api.types.is_numeric_dtype(s.dtype):
            if pd.api.types.is_extension_array_dtype(s.dtype):
                s = s.astype("float64")
            if pd.api.types.is_float_dtype(s.dtype):
                over = np.abs(s.to_numpy(dtype=float, na_value=np.nan)) > STATA_DOUBLE_MAX
                if over.any():
                    k = int(np.flatnonzero(over)[0])
                    raise DataError(
                        f"cannot write {name} for Stata: column {c!r} row {k + 1} holds {s.iloc[k]!r}, outside "
                        f"Stata's double range ±{STATA_DOUBLE_MAX:.4g} ({int(over.sum())} such values); rescale "
                        "it or choose .csv/.parquet"
                    )
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            pass
        else:
            vals = [v for v in s.to_numpy(dtype=object) if not _missing(v)]
            if vals and all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in vals):
                s = pd.to_numeric(s.map(lambda v: np.nan if _missing(v) else v)).astype("float64")  # numbers
            else:
                s = s.map(lambda v: "" if _missing(v) else str(v)).astype(object)
        out[j] = s
    res = pd.DataFrame(out)
    res.columns = list(df.columns)
    return res


def _write_dta(df: pd.DataFrame, p: Path, labels: dict[str, str], data_label: str | None) -> dict[str, str]:
    from pandas.io.stata import InvalidColumnName

    names = stata_names(df.columns)
    mapping = {n: str(c) for n, c in zip(names, df.columns, strict=True) if n != str(c)}
    out = _stata_frame(df, p.name)
    out.columns = names
    var_labels: dict[str, str] = {}
    for n, c in zip(names, df.columns, strict=True):
        text = labels.get(str(c))
        if n in mapping:
            text = f"{c}: {text}" if text else str(c)
        if text:
            var_labels[n] = text if len(text) <= 80 else text[:79] + "…"
    if data_label is None and mapping:
        data_label = "nqpf: renamed variables keep their names in labels and char [nqpf_name]"
    if data_label is not None and len(data_label) > 80:
        data_label = data_label[:79] + "…"
    strl = [
        n for n in names if out[n].dtype == object and out[n].map(lambda v: len(str(v).encode())).max() > 2045
    ]
    with atomic_path(p) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InvalidColumnName)  # never let pandas rename a variable
            out.to_stata(
                tmp, write_index=False, version=118, variable_labels=var_labels or None,
                data_label=data_label, convert_strl=strl or None,
            )  # fmt: skip
        if mapping:
            _add_characteristics(tmp, {n: {STATA_NAME_CHAR: c} for n, c in mapping.items()})
    return mapping


# ------------------------------------------------------------------------- .dta characteristics (dta 117–119)
# Layout from Stata's "dta file format" documentation (help dta): <stata_dta><header><release>118</release>
# <byteorder>LSF|MSF</byteorder><K>…</K><N>…</N><label>…</label><timestamp>…</timestamp></header><map>14 × uint64
# </map> … <characteristics>{<ch>llll varname charname contents\0</ch>}…</characteristics><data> …


def _dta_layout(f) -> tuple[int, str, int, list[int]]:
    """(release, byte order, offset of the map's first entry, the 14 map offsets) of an open .dta file."""
    head = f.read(128)
    m = re.match(rb"<stata_dta><header><release>(\d{3})</release><byteorder>(LSF|MSF)</byteorder><K>", head)
    if not m:
        raise DataError("not a Stata 117–119 file (no <stata_dta> header)")
    rel = int(m.group(1))
    bo = "<" if m.group(2) == b"LSF" else ">"
    pos = m.end()
    f.seek(pos)
    f.read((4 if rel == 119 else 2) + len(b"</K><N>") + (4 if rel == 117 else 8) + len(b"</N><label>"))
    (lab_len,) = struct.unpack(bo + ("B" if rel == 117 else "H"), f.read(1 if rel == 117 else 2))
    f.read(lab_len)
    if f.read(len(b"</label><timestamp>")) != b"</label><timestamp>":
        raise DataError("unexpected .dta header layout")
    (ts_len,) = struct.unpack("B", f.read(1))
    f.read(ts_len)
    if f.read(len(b"</timestamp></header><map>")) != b"</timestamp></header><map>":
        raise DataError("unexpected .dta header layout")
    map_pos = f.tell()
    offsets = list(struct.unpack(bo + "14Q", f.read(14 * 8)))
    return rel, bo, map_pos, offsets


def _add_characteristics(path: Path, chars: Mapping[str, Mapping[str, str]]) -> None:
    """Insert ``char var[name] contents`` entries into the (empty) characteristics of a .dta written by
    pandas, shifting the map offsets of the sections after it."""
    with open(path, "rb") as f:
        rel, bo, map_pos, offsets = _dta_layout(f)
        nlen = 33 if rel == 117 else 129
        blob = bytearray()
        for var, entries in chars.items():
            for cname, contents in entries.items():
                body = (
                    var.encode().ljust(nlen, b"\0")
                    + cname.encode().ljust(nlen, b"\0")
                    + contents.encode()
                    + b"\0"
                )
                blob += b"<ch>" + struct.pack(bo + "I", len(body)) + body + b"</ch>"
        start = offsets[8] + len(b"<characteristics>")
        f.seek(offsets[8])
        if f.read(len(b"<characteristics></characteristics>")) != b"<characteristics></characteristics>":
            raise DataError(f"{path.name}: unexpected characteristics section")
        shifted = [o + len(blob) if k > 8 else o for k, o in enumerate(offsets)]
        f.seek(0)
        head = bytearray(f.read(start))
        head[map_pos : map_pos + 14 * 8] = struct.pack(bo + "14Q", *shifted)
        tmp = path.with_name(path.name + ".ch")
        try:
            with open(tmp, "wb") as g:
                g.write(head)
                g.write(blob)
                shutil.copyfileobj(f, g, 1 << 20)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()


def stata_characteristics(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """The characteristics of a Stata 117–119 file: ``{varname or "_dta": {charname: contents}}``."""
    out: dict[str, dict[str, str]] = {}
    with open(path, "rb") as f:
        rel, bo, _, offsets = _dta_layout(f)
        nlen = 33 if rel == 117 else 129
        f.seek(offsets[8])
        sec = f.read(offsets[9] - offsets[8])
    if not sec.startswith(b"<characteristics>"):
        return out
    k = len(b"<characteristics>")
    while sec.startswith(b"<ch>", k):
        (n,) = struct.unpack(bo + "I", sec[k + 4 : k + 8])
        body = sec[k + 8 : k + 8 + n]
        var = body[:nlen].split(b"\0", 1)[0].decode("utf-8", "replace")
        cname = body[nlen : 2 * nlen].split(b"\0", 1)[0].decode("utf-8", "replace")
        contents = body[2 * nlen :].split(b"\0", 1)[0].decode("utf-8", "replace")
        out.setdefault(var, {})[cname] = contents
        k += 8 + n + len(b"</ch>")
    return out


def restore_stata_names(df: pd.DataFrame, path: str | os.PathLike) -> pd.DataFrame:
    """``df`` (read from the .dta ``path``) with the original names written by :func:`write_table`."""
    try:
        chars = stata_characteristics(path)
    except (DataError, OSError, struct.error):
        return df
    ren = {v: e[STATA_NAME_CHAR] for v, e in chars.items() if STATA_NAME_CHAR in e and v in df.columns}
    return df.rename(columns=ren) if ren else df


def read_stata(path: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """:func:`pandas.read_stata` with the original column names restored (see :func:`restore_stata_names`)."""
    return restore_stata_names(pd.read_stata(path, **kwargs), path)


def read_table(path: str | os.PathLike, *, dtype: Any = None) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (CSV, XLSX, DTA, Parquet) with its original column names."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: file not found")
    suf = p.suffix.lower()
    if suf in (".csv", ".txt"):
        try:
            return pd.read_csv(p, dtype=dtype)
        except UnicodeDecodeError:
            return pd.read_csv(p, dtype=dtype, encoding="gb18030")
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(p, dtype=dtype)
    if suf == ".dta":
        df = read_stata(p)
        if dtype:
            df = df.astype(
                {k: v for k, v in dtype.items() if k in df.columns} if isinstance(dtype, dict) else dtype
            )
        return df
    if suf == ".parquet":
        return pd.read_parquet(p)
    raise DataError(f"{p}: unsupported file type {suf!r}; use .csv, .xlsx, .dta or .parquet")


__all__ = [
    "TABLE_FORMATS", "STATA_RESERVED", "write_table", "read_table", "read_stata", "stata_names", "is_stata_name",
    "restore_stata_names", "stata_characteristics", "table_format",
]  # fmt: skip
