"""Shared input/output guards of the command line: outputs never replace inputs; ``--raw-text``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import typer

from nqpf.errors import DataError

#: ``--raw-text`` of every command that writes tables (CSV); see :func:`nqpf._util.write_csv_atomic`.
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
