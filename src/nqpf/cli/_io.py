"""Shared input/output guards of the command line: outputs never replace inputs; ``--raw-text``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import typer

from nqpf.errors import DataError

#: ``--raw-text`` of every command that writes tables (CSV, XLSX); see :func:`nqpf.data.tables.write_table`.
RAW_TEXT = typer.Option(
    False,
    "--raw-text",
    help="Write text cells as they are. By default a cell or header starting with = + - @ (or tab/CR) gets a "
    "leading ' so that spreadsheets show it as text instead of running it as a formula.",
)


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links, case-insensitive file systems
    except OSError:
        return False


def refuse_overwriting_inputs(
    out: str | os.PathLike | None,
    inputs: Mapping[str, str | os.PathLike | None],
    *,
    written: Iterable[str | os.PathLike] = (),
    option: str = "--out",
) -> None:
    """Raise :class:`DataError` when the output ``out`` (or a file the command writes, ``written``: sidecars,
    the files of an output folder) is one of the ``inputs`` (option name → path given to it).

    Call it before any work, so a mistyped ``--out`` never replaces the data. Inputs that are not existing
    files (a dataset or framework name, an option not given) cannot be overwritten and are skipped."""
    if out is None:
        return
    targets = [Path(out), *(Path(p) for p in written)]
    for name, value in inputs.items():
        if value is None or value == "":
            continue
        src = Path(value)
        if not src.exists():
            continue
        for target in targets:
            if _same_file(target, src):
                what = "" if target == Path(out) else f" (it writes {target})"
                raise DataError(
                    f"{option} {out} would overwrite the input file {value} given with {name}{what}; "
                    f"choose another {option} path so the input stays intact"
                )


# ------------------------------------------------------------------ tables: format by extension, user's key names

#: Help text of an ``--out`` that takes a table; the format follows the extension (:mod:`nqpf.data.tables`).
TABLE_OUT_HELP = (
    "Output table; the format follows the extension: .csv, .xlsx, .dta (Stata 118, variable labels), "
    ".parquet or .tex (booktabs). Written atomically."
)

#: ``--format`` of commands whose ``--out`` is a folder: the extension of the tables written into it.
FORMAT = typer.Option(
    "csv",
    "--format",
    help="Format of the tables written into the output folder: csv | xlsx | dta | parquet | tex.",
)


def check_table_out(out: str | os.PathLike | None, option: str = "--out") -> None:
    """Refuse an output table path whose extension is not a table format, before any work is done."""
    from nqpf.data.tables import table_format

    if out is not None:
        table_format(out, option=option)


def folder_format(fmt: str) -> str:
    """The extension (with dot) for ``--format`` ``fmt``; :class:`DataError` naming the flag otherwise."""
    from nqpf.data.tables import TABLE_FORMATS

    ext = "." + str(fmt).lower().lstrip(".")
    if ext not in TABLE_FORMATS:
        raise DataError(f"--format {fmt!r}: use one of {', '.join(e[1:] for e in TABLE_FORMATS)}")
    return ext


def sidecar_table(out: str | os.PathLike, name: str) -> Path:
    """``<stem>_<name><ext>`` beside ``out`` (same format), e.g. ``dea.dta`` → ``dea_peers.dta``."""
    p = Path(out)
    return p.with_name(f"{p.stem}_{name}{p.suffix}")


def keep_key_names(df, names: Mapping[str, str | None], flags: Mapping[str, str] | None = None):
    """``df`` with its key columns (``unit``, ``period`` …) renamed back to the user's column names (what
    ``--id``/``--period`` named), so that the output merges onto the input without a rename.

    ``names`` maps a result column to the user's name (``None``: unchanged). A user's name that is already
    another column of the result raises :class:`DataError` naming the flag."""
    ren = {k: v for k, v in names.items() if v and v != k and k in df.columns}
    if not ren:
        return df
    others = set(df.columns) - set(ren)
    for k, v in ren.items():
        if v in others or list(ren.values()).count(v) > 1:
            flag = (flags or {}).get(k, "--id" if k == "unit" else "--period")
            raise DataError(
                f"{flag} {v!r}: the output already has a column {v!r}; rename that column in the input "
                f"so that the result can keep your name for {k!r}"
            )
    return df.rename(columns=ren)


def match_key_types(df, src, cols: Mapping[str, str]):
    """``df`` with its id columns given back the type they have in the input ``src`` (the methods compare
    ids as text; a numeric id column of a .dta/.parquet input would otherwise come back as text and no longer
    merge). ``cols`` maps an output column to the input column whose values it holds. A column is converted
    only when every value is one of the input's (as text)."""
    import pandas as pd

    for out_col, src_col in cols.items():
        if out_col not in df.columns or src_col not in src.columns:
            continue
        s = src[src_col]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            continue
        lookup = {str(v): v for v in pd.unique(s.dropna())}
        text = df[out_col].astype(str)
        if len(lookup) == s.dropna().nunique() and set(text) <= set(lookup):
            df = df.assign(**{out_col: text.map(lookup).astype(s.dtype)})
    return df
