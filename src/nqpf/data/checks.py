"""Parsing and checking source cells: from the raw cell records of :func:`nqpf.data.grid.cells_from_grid`
(or of a long DataFrame) to the long panel, every problem with its row and column, and the coverage table.

Each check files named problems (codes in :mod:`nqpf.data.validate`, remedies in ``docs/data.md``) and drops
what cannot be kept — never a quiet change (issue 11): unknown, empty or control-character units
(``unit_unknown``, ``unit_empty``, ``name_control_char``), aggregate rows (``unit_aggregate``), invalid
periods, empty indicators, non-numeric or non-finite values (``value_invalid``), conflicting duplicates.
Group-wise checks use one stable sort per column (:func:`_groups`), so they are O(n log n) in the cells,
not quadratic in the number of indicators (issue 11 item 10).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from nqpf.data import units as _units
from nqpf.data.catalogue import check_catalogue, check_values, conversion_hint, normalize_uom
from nqpf.data.headers import cell_text
from nqpf.data.panel import LONG_COLUMNS, check_long
from nqpf.data.parse import parse_series, parse_year
from nqpf.data.problems import problem
from nqpf.errors import Problem
from nqpf.i18n import t


def check_cells(
    cells: pd.DataFrame,
    *,
    file: str | None = None,
    units: str = "province",
    special_regions: str = "keep",
    catalogue: pd.DataFrame | None = None,
    lang: str = "en",
) -> tuple[pd.DataFrame, list[Problem], pd.DataFrame]:
    """Parse and check source cells (columns ``unit_raw, period_raw, indicator, value_raw, row, column,
    unit_column, period_column, uom``) → ``(long panel, problems, coverage)``."""
    c = cells.reset_index(drop=True).copy()
    keep = np.ones(len(c), dtype=bool)
    rows = c["row"].to_numpy()
    probs = _unit_problems(c, keep, units, special_regions, file, lang)
    probs += _period_problems(c, keep, file, lang)
    probs += _indicator_problems(c, keep, file, lang)
    ind_arr = c["indicator"].to_numpy(dtype=object)
    parsed = parse_series(c["value_raw"])
    c["value"] = parsed["value"].to_numpy()
    status = parsed["status"].to_numpy()
    probs += _value_problems(c, parsed, file, lang)
    # ---- units of measure (per indicator), percent signs
    uom = _map_unique(c["uom"], normalize_uom).to_numpy(dtype=object)
    column = c["column"].to_numpy(dtype=object)
    more, uom = _uom_problems(ind_arr, keep, parsed["percent"].to_numpy(dtype=bool), status == "number", uom, rows,
                              column, file=file, lang=lang)
    probs.extend(more)
    c["uom"] = uom
    cat = check_catalogue(catalogue) if catalogue is not None else None
    if cat is not None:
        known = dict(zip(cat["indicator"], cat["unit_of_measure"], strict=True))
        probs.extend(_catalogue_problems(ind_arr, keep, uom, rows, column, known, file=file, lang=lang))
    more, drop_idx = _duplicate_problems(c[keep], file, lang)
    probs.extend(more)
    keep[drop_idx] = False
    out = c.loc[keep, ["unit", "period", "indicator", "value"] + ["row", "column"]]
    data = check_long(out[LONG_COLUMNS], name=file or "data")
    located = out.sort_values(["unit", "period", "indicator"], kind="mergesort").reset_index(drop=True)
    # ---- catalogue / plausibility checks
    probs.extend(
        check_values(located[LONG_COLUMNS], cat, file=file, rows=located["row"], columns=located["column"],
                     uoms=_single_uoms(ind_arr[keep], uom[keep]), lang=lang)
    )
    # ---- gaps and coverage
    col_status = pd.DataFrame({"column": column[keep], "ind": ind_arr[keep], "missing": (status == "missing")[keep]})
    agg = col_status.groupby(["column", "ind"], sort=False)["missing"].agg(["size", "all"])
    for col, name in agg.index[(agg["size"] > 1).to_numpy() & agg["all"].to_numpy(dtype=bool)]:
        probs.append(problem("warning", "column_empty", lang, file=file, column=col, indicator=name))
    probs.extend(_gap_problems(data, file, lang))
    return data, probs, coverage_table(data)


def _unit_problems(c: pd.DataFrame, keep: np.ndarray, units: str, special_regions: str, file: str | None,
                   lang: str) -> list[Problem]:
    """Classify each distinct unit once (:func:`_classify_unit`) and set ``c["unit"]`` to its code; file
    ``unit_empty`` / ``name_control_char`` / ``unit_unknown`` (errors, cells dropped), ``unit_aggregate``
    (warning, dropped) and ``unit_special`` (warning, dropped with ``special_regions="drop"``), once per
    source row and kind."""
    probs: list[Problem] = []
    n = len(c)
    rows = c["row"].to_numpy()
    raw_units = c["unit_raw"].to_numpy(dtype=object)
    fidx, first = _factorize(raw_units)
    classes = [_classify_unit(raw_units[j], units) for j in first]
    unit_code = np.array([cl[1] for cl in classes], dtype=object)[fidx] if n else np.empty(0, dtype=object)
    not_ok = np.array([cl[0] != "ok" for cl in classes], dtype=bool)[fidx] if n else np.zeros(0, dtype=bool)
    seen_rows: set[tuple[int, str]] = set()
    for i in np.nonzero(not_ok)[0]:
        raw = raw_units[i]
        status, code, sugg = classes[fidx[i]]
        loc = (int(rows[i]), status)
        report = loc not in seen_rows
        seen_rows.add(loc)
        shown = _short(raw)
        if status != "special" or special_regions == "drop":
            keep[i] = False
        if not report:
            continue
        at = {"file": file, "row": int(rows[i]), "column": c.at[i, "unit_column"]}
        if status == "empty":
            probs.append(problem("error", "unit_empty", lang, **at))
        elif status == "control":
            probs.append(_control_problem(raw, "unit", lang, at))
        elif status == "unknown":
            hint = ", ".join(sugg) if sugg else "-"
            probs.append(problem("error", "unit_unknown", lang, **at, unit=shown, extra={"suggestions": sugg},
                                 name=shown, suggestions=hint))
        elif status == "aggregate":
            probs.append(problem("warning", "unit_aggregate", lang, **at, unit=shown, name=shown))
        elif status == "special":
            probs.append(problem("warning", "unit_special", lang, **at, unit=code, name=shown, regcode=code,
                                 action=t(f"data.special.{special_regions}", lang)))
    c["unit"] = unit_code
    return probs


def _at(c: pd.DataFrame, i: int, file: str | None, column: str = "column") -> dict[str, Any]:
    """Where cell ``i`` is: file, source row, ``column`` (the value's column by default) and unit code."""
    unit = c.at[i, "unit"]  # a code (str), or missing (None, which pandas may hold as NaN) for a dropped unit
    return {"file": file, "row": int(c.at[i, "row"]), "column": c.at[i, column],
            "unit": unit if isinstance(unit, str) else None}


def _period_problems(c: pd.DataFrame, keep: np.ndarray, file: str | None, lang: str) -> list[Problem]:
    """Set ``c["period"]`` to the year of each cell (-1 and dropped when none: ``period_invalid``, once per
    source row)."""
    raw_periods = c["period_raw"].to_numpy(dtype=object)
    pidx, pfirst = _factorize(raw_periods)
    years = np.array([-1 if (y := parse_year(raw_periods[j])) is None else y for j in pfirst], dtype="int64")
    period = years[pidx] if len(c) else np.zeros(0, dtype="int64")
    probs: list[Problem] = []
    seen_p: set[int] = set()
    for i in np.nonzero(period < 0)[0]:
        keep[i] = False
        at = _at(c, i, file, "period_column")
        if at["row"] in seen_p:
            continue
        seen_p.add(at["row"])
        probs.append(problem("error", "period_invalid", lang, **at, value=_short(raw_periods[i])))
    c["period"] = period
    return probs


def _indicator_problems(c: pd.DataFrame, keep: np.ndarray, file: str | None, lang: str) -> list[Problem]:
    """Strip the indicator names (``c["indicator"]``); drop names with control characters
    (``name_control_char``, once per header cell the name was read from) and empty names
    (``indicator_empty``)."""
    probs: list[Problem] = []
    ind = _map_unique(
        c["indicator"],
        lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip(),
    )
    c["indicator"] = ind
    irow = c["indicator_row"].to_numpy() if "indicator_row" in c else c["row"].to_numpy()
    icol = c["indicator_column"] if "indicator_column" in c else c["column"]
    for name, m in _groups(ind.to_numpy(dtype=object), lambda x: _control_char(x) is not None):
        keep[m] = False
        pos = pd.Series(m)
        for i in pos.groupby([icol.to_numpy()[m], irow[m]], sort=False).first():  # once per header cell
            at = {"file": file, "row": int(irow[i]), "column": icol.iat[i]}
            probs.append(_control_problem(name, "indicator", lang, at))
    for i in np.nonzero((ind == "").to_numpy())[0]:
        keep[i] = False
        probs.append(problem("error", "indicator_empty", lang, **_at(c, i, file)))
    return probs


def _value_problems(c: pd.DataFrame, parsed: pd.DataFrame, file: str | None, lang: str) -> list[Problem]:
    """``value_invalid`` (error: not a finite number) and ``value_footnote`` (warning: a footnote marker
    was removed from the number) of the parsed values (:func:`nqpf.data.parse.parse_series`)."""
    probs: list[Problem] = []
    ind = c["indicator"]
    for i in np.nonzero(parsed["status"].to_numpy() == "invalid")[0]:
        probs.append(problem("error", "value_invalid", lang, **_at(c, i, file), indicator=ind.iat[i] or None,
                             reason=parsed["reason"].iat[i]))
    notes = parsed["note"].to_numpy()
    for i in np.nonzero([isinstance(x, str) and "footnote" in x for x in notes])[0]:
        probs.append(problem("warning", "value_footnote", lang, **_at(c, i, file), indicator=ind.iat[i] or None,
                             note=notes[i], value=f"{c.at[i, 'value']:g}"))
    return probs


def _duplicate_problems(k: pd.DataFrame, file: str | None, lang: str) -> tuple[list[Problem], list[int]]:
    """Repeated (unit, period, indicator) cells among the kept ones: ``duplicate_identical`` (warning) when
    all values agree (or all are missing), else ``duplicate_conflict`` (error); returns the problems and the
    index of every repeat but the first (to drop)."""
    probs: list[Problem] = []
    drop_idx: list[int] = []
    dupmask = k.duplicated(["unit", "period", "indicator"], keep=False)
    if not dupmask.any():
        return probs, drop_idx
    for (u, per, name), g in k[dupmask].groupby(["unit", "period", "indicator"], sort=True):
        vals = g["value"].to_numpy()
        same = bool(
            np.all(np.isnan(vals))
            or (not np.isnan(vals).any() and np.allclose(vals, vals[0], rtol=0, atol=0))
        )
        probs.append(
            problem("warning" if same else "error", "duplicate_identical" if same else "duplicate_conflict", lang,
                    file=file, row=int(g["row"].iloc[1]), column=g["column"].iloc[1], unit=u, indicator=name,
                    period=int(per), rows=_rows_text(g["row"].to_numpy()),
                    values=", ".join("" if math.isnan(v) else f"{v:g}" for v in vals),
                    extra={"period": int(per), "rows": [int(x) for x in g["row"]]})
        )  # fmt: skip
        drop_idx.extend(g.index[1:].tolist())
    return probs, drop_idx


def _groups(keys: np.ndarray, select=None, mask: np.ndarray | None = None):
    """``(key, positions)`` per distinct key in order of first appearance, positions ascending; only rows
    where ``mask`` holds and keys for which ``select(key)`` is true. One stable sort: O(n log n), not the
    O(n·k) of comparing the whole column with each of k keys."""
    pos = np.arange(len(keys)) if mask is None else np.nonzero(mask)[0]
    if not len(pos):
        return
    codes, uniques = pd.factorize(pd.Series(keys[pos], dtype=object), sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for k, chunk in enumerate(np.split(pos[order], bounds)):
        name = uniques[k]
        if select is None or select(name):
            yield name, chunk


def _uom_problems(ind: np.ndarray, keep: np.ndarray, pct: np.ndarray, num: np.ndarray, uom: np.ndarray,
                  rows: np.ndarray, column: np.ndarray, *, file: str | None, lang: str
                  ) -> tuple[list[Problem], np.ndarray]:
    """``percent_mixed`` (warning) and ``uom_mixed`` per kept indicator; a percent sign fills an empty unit of
    measure with ``%``. Returns (problems, units of measure)."""
    uom = uom.copy()
    probs: list[Problem] = []
    for name, g in _groups(ind, mask=keep):
        gp, gn = g[pct[g]], g[~pct[g] & num[g]]
        if len(gp) and len(gn):
            i_pc, i_np = gp[0], gn[0]
            probs.append(problem("warning", "percent_mixed", lang, file=file, row=int(rows[i_np]), column=column[i_np],
                            indicator=name, row_pct=int(rows[i_pc])))
        if len(gp):
            fill = g[uom[g] == ""]
            uom[fill] = "%"
        u = uom[g]
        distinct = sorted(set(u) - {""})
        if len(distinct) > 1:
            where = "; ".join(f"{x}: rows {_rows_text(rows[g[u == x]])}" for x in distinct)
            hint = conversion_hint(distinct[0], distinct[1]) or "-"
            minority = min(distinct, key=lambda x: (int((u == x).sum()), x))
            first = g[u == minority][0]
            probs.append(problem("error", "uom_mixed", lang, file=file, row=int(rows[first]), column=column[first],
                            indicator=name, uoms=", ".join(distinct), where=where, hint=hint,
                            extra={"units_of_measure": distinct}))
    return probs, uom


def _catalogue_problems(ind: np.ndarray, keep: np.ndarray, uom: np.ndarray, rows: np.ndarray,
                        column: np.ndarray, known: dict[str, Any], *, file: str | None, lang: str
                        ) -> list[Problem]:
    """``not_in_catalogue`` (warning) and ``uom_mismatch`` of each kept indicator against the catalogue."""
    probs: list[Problem] = []
    for name, g in _groups(ind, mask=keep):
        if name not in known:
            probs.append(problem("warning", "not_in_catalogue", lang, file=file, indicator=name))
            continue
        want = normalize_uom(known[name])
        u = uom[g]
        for got in sorted(set(u) - {""}):
            if want and got != want:
                first = g[u == got][0]
                probs.append(problem("error", "uom_mismatch", lang, file=file, row=int(rows[first]),
                                column=column[first], indicator=name, got=got, want=want,
                                hint=conversion_hint(got, want) or "-"))
    return probs


def _single_uoms(ind: np.ndarray, uom: np.ndarray) -> dict[str, str]:
    """Indicator → its one non-empty unit of measure, or "" when it has none or several (sorted by name)."""
    out: dict[str, str] = {}
    df = pd.DataFrame({"ind": ind, "uom": uom}, dtype=object)
    named = df[df["uom"] != ""].drop_duplicates()
    counts = named.groupby("ind", sort=False)["uom"].agg(["size", "first"])
    single = dict(zip(counts.index, np.where(counts["size"].to_numpy() == 1, counts["first"].to_numpy(), ""),
                      strict=True))
    for name in sorted(set(ind)):
        out[name] = single.get(name, "")
    return out


def _gap_problems(data: pd.DataFrame, file: str | None, lang: str) -> list[Problem]:
    out: list[Problem] = []
    if data.empty:
        return out
    units_all = pd.unique(data["unit"])
    expected = len(units_all) * data["period"].nunique()
    present = data["value"].notna()
    n_present = present.groupby(data["indicator"]).sum()
    # units with at least one value, per indicator (one pass; a per-indicator lookup is quadratic)
    have_sets: dict[Any, set] = {}
    pairs = data.loc[present.to_numpy(), ["indicator", "unit"]].drop_duplicates()
    for name, u in zip(pairs["indicator"].to_numpy(dtype=object), pairs["unit"].to_numpy(dtype=object), strict=True):
        have_sets.setdefault(name, set()).add(u)
    for name in sorted(n_present.index):
        n_missing = expected - int(n_present[name])
        if n_missing <= 0:
            continue
        out.append(
            problem(
                "warning",
                "gaps",
                lang,
                file=file,
                indicator=name,
                missing=n_missing,
                expected=expected,
                share=f"{100 * n_missing / expected:.1f}",
                extra={"missing": int(n_missing)},
            )  # fmt: skip
        )
        have = have_sets.get(name, set())
        for u in units_all:
            if u not in have:
                out.append(problem("warning", "unit_all_missing", lang, file=file, unit=str(u), indicator=name))
    return out


def coverage_table(data: pd.DataFrame) -> pd.DataFrame:
    """Indicator × period: share of all units in ``data`` with a non-missing value (0–1)."""
    if data.empty:
        return pd.DataFrame(index=pd.Index([], name="indicator"))
    n_units = data["unit"].nunique()
    have = data.dropna(subset=["value"]).groupby(["indicator", "period"]).size()
    periods = np.sort(pd.unique(data["period"]))
    inds = sorted(pd.unique(data["indicator"]))
    tab = have.unstack("period").reindex(index=inds, columns=periods).fillna(0) / n_units
    tab.index.name = "indicator"
    tab.columns.name = "period"
    return tab.astype("float64")


def _map_unique(s: pd.Series, f) -> pd.Series:
    """``s.map(f)`` evaluating ``f`` once per distinct value (object dtype result)."""
    codes, first = _factorize(s.to_numpy(dtype=object))
    vals = s.to_numpy(dtype=object)
    mapped = np.array([f(vals[j]) for j in first] + [None], dtype=object)
    return pd.Series(mapped[codes] if len(s) else [], index=s.index, dtype=object)


def _factorize(raw: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Codes of distinct cells (by type and text, so 1 and "1" differ) and each one's first position."""
    keys = [f"{type(x).__name__}\x00{x}" for x in raw]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    first = np.full(len(uniques), -1, dtype=np.int64)
    pos = np.arange(len(codes))[::-1]
    first[codes[::-1]] = pos  # the last write (smallest position) wins
    return codes, first.tolist()


def _control_char(name: Any) -> tuple[int, str] | None:
    """First invisible control/format character of a name (tab and newlines excepted): (1-based position,
    character); C0/C1 controls, U+007F, zero-width and bidi controls (U+200B, U+202E …), U+2028/U+2029."""
    if not isinstance(name, str) or name.isprintable():
        return None
    for k, ch in enumerate(name, start=1):
        if ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return k, ch
    return None


def _control_problem(name: str, what: str, lang: str, at: dict) -> Problem:
    pos, ch = _control_char(name)
    label = {0: "NULL", 0x7F: "DELETE"}.get(ord(ch)) or unicodedata.name(ch, "control character")
    shown = _short("".join(f"<U+{ord(x):04X}>" if _control_char(x) else x for x in name), 60)
    kw = {"unit": shown} if what == "unit" else {"indicator": shown}
    return problem(
        "error", "name_control_char", lang, **at, **kw, what=t(f"data.where.{what}", lang), name=repr(shown),
        char=f"U+{ord(ch):04X} ({label})", pos=pos, extra={"char": f"U+{ord(ch):04X}", "position": pos},
    )  # fmt: skip


def _classify_unit(raw: Any, units: str) -> tuple[str, str | None, list[str]]:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or str(raw).strip().strip("\u3000") == "":
        return "empty", None, []
    if _control_char(raw) is not None:
        return "control", None, []
    if units == "none":
        return "ok", cell_text(raw), []
    code = _units._lookup(raw)
    if code is not None:
        return ("special" if _units.is_special(code) else "ok"), code, []
    if _units.is_aggregate(raw):
        return "aggregate", None, []
    return "unknown", None, _units.suggest(raw)


def _short(x: Any, n: int = 40) -> str:
    s = str(x)
    return s if len(s) <= n else s[: n - 1] + "…"


def _rows_text(rows: Any, n: int = 8) -> str:
    r = sorted({int(x) for x in rows})
    s = ", ".join(map(str, r[:n]))
    return s + (f" … ({len(r)} rows)" if len(r) > n else "")
