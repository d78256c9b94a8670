"""Options shared by the commands, each declared once: the reading options of a user's file and the pre-scan
limits (:mod:`nqpf.data.prescan`, issue 11).

A command names a group by a parameter whose default is an :class:`OptionGroup` and is decorated with
:func:`grouped` (below ``@app.command``): the help screen shows the group's options at that place, and the
command receives one value built from them (a :class:`Reading`, or :class:`~nqpf.data.prescan.Limits`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import typer

UNITS_HELP = (
    "auto (default: provinces when ≥80 % of the unit names are provinces, e.g. 北京市/Beijing/110000; "
    "else ids kept as text) | province | none. National and regional total rows (全国, 东部地区 …) are "
    "always excluded and reported."
)
SPECIAL_HELP = "keep (default) | drop: Hong Kong, Macau and Taiwan rows (reported either way)."
INDICATOR_COL_HELP = "Long table: name of the indicator column (default: detect 指标/indicator/variable)."
VALUE_COL_HELP = "Long table: name of the value column (default: detect 数值/value)."
HEADER_ROWS_HELP = "Number of header rows (default: detect; merged two-row yearbook headers are found)."


@dataclass(frozen=True)
class OptionGroup:
    """Options declared once for several commands: ``options`` maps a parameter name to its annotation
    (``Annotated[type, typer.Option(...)]``) and default; ``build(**values)`` makes what the command gets."""

    options: dict[str, tuple[Any, Any]]
    build: Callable[..., Any]


def grouped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as typer sees it: each parameter whose default is an :class:`OptionGroup` replaced, at its
    place, by the group's options; the command is called with ``group.build(**those values)`` under the
    parameter's name."""
    sig = inspect.signature(fn, eval_str=True)
    params: list[inspect.Parameter] = []
    groups: dict[str, OptionGroup] = {}
    for p in sig.parameters.values():
        if not isinstance(p.default, OptionGroup):
            params.append(p)
            continue
        groups[p.name] = p.default
        params += [inspect.Parameter(n, p.kind, default=d, annotation=a)
                   for n, (a, d) in p.default.options.items()]  # fmt: skip

    @functools.wraps(fn)
    def command(*args: Any, **kw: Any) -> Any:
        for name, g in groups.items():
            kw[name] = g.build(**{n: kw.pop(n) for n in g.options})
        return fn(*args, **kw)

    command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def _opt(kind: Any, flag: str, help: str, **kw: Any) -> Any:
    return Annotated[kind, typer.Option(flag, help=help, **kw)]


# ------------------------------------------------------------------------------------------- reading a file
@dataclass(frozen=True)
class Reading:
    """The reading options of ``nqpf index`` / ``nqpf report``: the ``--units`` scheme and the keyword
    arguments of :func:`nqpf.cli.cmd_data.read_user_data` (``kw``, None where not given)."""

    units: str = "auto"
    kw: dict[str, Any] = field(default_factory=dict)


def _reading(units: str, **kw: Any) -> Reading:
    return Reading(units, kw)


#: ``--units``, ``--sheet``, ``--encoding``, ``--unit-col``, ``--period-col``, ``--special-regions``,
#: ``--indicator-col``, ``--value-col``, ``--header-rows`` (in this order on the help screen)
READING = OptionGroup(
    {
        "units": (_opt(str, "--units", "Reading a file: " + UNITS_HELP), "auto"),
        "sheet": (_opt(str, "--sheet", "Reading an Excel file: sheet name or 0-based number"), None),
        "encoding": (_opt(str, "--encoding", "Reading a CSV: text encoding (default: detect)"), None),
        "unit_col": (_opt(str, "--unit-col", "Reading a file: name of the unit (province) column"), None),
        "period_col": (_opt(str, "--period-col", "Reading a file: name of the period (year) column"), None),
        "special_regions": (_opt(str, "--special-regions", "Reading a file: " + SPECIAL_HELP), None),
        "indicator_col": (_opt(str, "--indicator-col", INDICATOR_COL_HELP), None),
        "value_col": (_opt(str, "--value-col", VALUE_COL_HELP), None),
        "header_rows": (_opt(int, "--header-rows", HEADER_ROWS_HELP), None),
    },
    _reading,
)


# --------------------------------------------------------------------------------- pre-scan limits (issue 11)
def file_limits(
    max_rows: int | None = None,
    max_cols: int | None = None,
    max_cells: int | None = None,
    max_unzipped_mb: int | None = None,
    max_ratio: float | None = None,
) -> Any:
    """The :class:`nqpf.data.prescan.Limits` of a command: :meth:`Limits.from_env` with each limit given on
    the command line replacing it (``--max-unzipped-mb`` in MB); None when no flag is given, so that the
    reader takes the defaults or the ``NQPF_MAX_*`` environment variables itself."""
    given = {"max_rows": max_rows, "max_cols": max_cols, "max_cells": max_cells, "max_ratio": max_ratio,
             "max_unzipped": max_unzipped_mb}  # fmt: skip
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return None
    for k, v in given.items():
        if not v > 0 or v == float("inf"):
            from nqpf.errors import DataError

            flag = "--max-unzipped-mb" if k == "max_unzipped" else "--" + k.replace("_", "-")
            raise DataError(f"{flag} {v}: give a positive number")
    from nqpf.data.prescan import MB, Limits

    if "max_unzipped" in given:
        given["max_unzipped"] = int(given["max_unzipped"]) * MB
    return replace(Limits.from_env(), **given)


#: ``--max-rows``, ``--max-cols``, ``--max-cells``, ``--max-unzipped-mb``, ``--max-ratio`` of every command
#: that reads a user's file: the file is refused from its metadata before it is loaded
LIMITS = OptionGroup(
    {
        "max_rows": (_opt(int, "--max-rows", "Refuse a file with more rows than this, checked before loading "
                          "(default 5,000,000, or the environment variable NQPF_MAX_ROWS)."), None),
        "max_cols": (_opt(int, "--max-cols", "Refuse a file with more indicator columns than this (default "
                          "20,000, or NQPF_MAX_COLS)."), None),
        "max_cells": (_opt(int, "--max-cells", "Refuse a sheet whose used range (rows × columns) holds more "
                           "cells than this (default 10,000,000, or NQPF_MAX_CELLS)."), None),
        "max_unzipped_mb": (_opt(int, "--max-unzipped-mb", "Refuse an .xlsx (zip) file that unpacks to more "
                                 "MB than this (default 2048, or NQPF_MAX_UNZIPPED_MB)."), None),
        "max_ratio": (_opt(float, "--max-ratio", "Refuse an .xlsx member beyond 16 MB packed more than this "
                           "ratio (unpacked:packed; default 200, or NQPF_MAX_RATIO)."), None),
    },
    file_limits,
)  # fmt: skip


def check_size(path: Any, limits: Any = None) -> None:
    """Refuse the file ``path`` from its metadata when loading it would pass ``limits`` (None: the defaults
    or the ``NQPF_MAX_*`` variables) — :func:`nqpf.data.prescan.prescan`, raising its ``TooLarge``, for the
    commands whose table readers (pandas) do not pre-scan; a path that is not a file is left to the reader."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        return
    from nqpf.cli.main import lang
    from nqpf.data.prescan import prescan

    prescan(p, limits, lang=lang())
