"""Multi-level analysis of sub-provincial units (cities within provinces).

* :func:`ranks` — a unit's rank within its parent (province) and nationally, per period.
* :func:`aggregation_check` — sums of an extensive city series against the provincial total (reported, never
  forced: Chinese city and provincial accounts routinely differ by a few per cent).
* :func:`breaks` / :func:`growth` — the break flags a dataset declares (catalogue column ``breaks``: entries
  ``YEAR:kind`` = the value in YEAR is not comparable with YEAR−1, ``all:kind`` = levels only; units column
  ``territory_breaks``) and a growth rate that is never computed across one of them.

The within/between decomposition of inequality is :func:`nqpf.analysis.inequality.within_between`.
"""

from __future__ import annotations

import pandas as pd

from nqpf.analysis._common import manifest, require_columns
from nqpf.errors import DataError, MethodError

__all__ = ["aggregation_check", "breaks", "growth", "ranks"]


def _parents(units: pd.DataFrame, parent: str) -> pd.Series:
    require_columns(units, ["unit", parent], what="units table")
    u = units.drop_duplicates("unit")
    return pd.Series(u[parent].astype(str).to_numpy(), index=u["unit"].astype(str).to_numpy())


def ranks(
    df: pd.DataFrame,
    value: str,
    units: pd.DataFrame,
    *,
    parent: str = "group",
    period: str = "period",
    unit: str = "unit",
    higher_is_better: bool = True,
) -> pd.DataFrame:
    """Rank of each unit nationally and within its parent, per period (1 = best; ties share the lowest rank,
    ``method="min"``). Returns ``unit, parent, period, value, rank_national, n_national, rank_in_parent,
    n_in_parent, pct_national`` (share of units ranked at or below it, in (0, 1]). Units with a missing value
    are left out of that period's ranking (listed in ``attrs["manifest"]["warnings"]``)."""
    require_columns(df, [unit, period, value], what="ranks input")
    par = _parents(units, parent)
    d = df[[unit, period, value]].copy()
    d[unit] = d[unit].astype(str)
    unknown = sorted(set(d[unit]) - set(par.index))
    if unknown:
        raise DataError(f"ranks: unit(s) {unknown[:10]} not in the units table; pass the dataset's .units")
    if d.duplicated([unit, period]).any():
        raise DataError("ranks: repeated unit-period rows; pass one value per unit and period")
    miss = d[d[value].isna()]
    d = d[d[value].notna()].copy()
    d["parent"] = d[unit].map(par)
    asc = not higher_is_better
    d["rank_national"] = d.groupby(period)[value].rank(method="min", ascending=asc).astype("int64")
    d["n_national"] = d.groupby(period)[value].transform("size").astype("int64")
    d["rank_in_parent"] = (
        d.groupby([period, "parent"])[value].rank(method="min", ascending=asc).astype("int64")
    )
    d["n_in_parent"] = d.groupby([period, "parent"])[value].transform("size").astype("int64")
    d["pct_national"] = 1.0 - (d["rank_national"] - 1) / d["n_national"]
    out = d.rename(columns={unit: "unit", period: "period", value: "value"})[
        ["unit", "parent", "period", "value", "rank_national", "n_national", "rank_in_parent", "n_in_parent",
         "pct_national"]
    ].sort_values(["period", "rank_national", "unit"], kind="mergesort").reset_index(drop=True)  # fmt: skip
    m = manifest("ranks", value=value, parent=parent, higher_is_better=higher_is_better)
    if len(miss):
        m["warnings"].append(f"{len(miss)} unit-period(s) with no value left out of the ranking")
    out.attrs["manifest"] = m
    return out


def aggregation_check(
    cities: pd.DataFrame,
    provinces: pd.DataFrame,
    indicator: str,
    units: pd.DataFrame,
    *,
    province_indicator: str | None = None,
    catalogue: pd.DataFrame | None = None,
    parent: str = "group",
) -> pd.DataFrame:
    """Σ_cities value vs the provincial total, per province and period: ``province, period, n_cities,
    city_sum, province_total, diff = city_sum − province_total, ratio = city_sum / province_total``.

    Only for extensive (additive) series: a derived ratio (non-empty ``formula`` in ``catalogue``) is refused.
    Nothing is adjusted. A province-period appears only where both sides have data; missing cities make
    ``city_sum`` a partial sum, so compare ``n_cities`` with the number of the province's units."""
    if catalogue is not None and indicator in set(catalogue["indicator"]):
        row = catalogue.set_index("indicator").loc[indicator]
        if str(row.get("formula", "")).strip():
            raise MethodError(
                f"aggregation_check: {indicator!r} is a derived ratio ({row['formula']}); city sums of ratios "
                "are meaningless — check an additive series such as gdp_nominal"
            )
    pind = province_indicator or indicator
    for name, df, ind in (("city", cities, indicator), ("province", provinces, pind)):
        require_columns(df, ["unit", "period", "indicator", "value"], what=f"{name} panel")
        if not (df["indicator"] == ind).any():
            raise DataError(f"aggregation_check: the {name} panel has no indicator {ind!r}")
    par = _parents(units, parent)
    c = cities[(cities["indicator"] == indicator) & cities["value"].notna()].copy()
    c["province"] = c["unit"].astype(str).map(par)
    if c["province"].isna().any():
        raise DataError(f"aggregation_check: city unit(s) {sorted(c.loc[c['province'].isna(), 'unit'])[:10]} "
                        "not in the units table")  # fmt: skip
    s = (
        c.groupby(["province", "period"])
        .agg(n_cities=("value", "size"), city_sum=("value", "sum"))
        .reset_index()
    )
    p = provinces[(provinces["indicator"] == pind) & provinces["value"].notna()][["unit", "period", "value"]]
    p = p.rename(columns={"unit": "province", "value": "province_total"})
    p["province"] = p["province"].astype(str)
    out = s.merge(p, on=["province", "period"], how="inner")
    out["diff"] = out["city_sum"] - out["province_total"]
    out["ratio"] = out["city_sum"] / out["province_total"].where(out["province_total"] != 0)
    out = out.sort_values(["province", "period"]).reset_index(drop=True)
    out.attrs["manifest"] = manifest("aggregation_check", indicator=indicator, province_indicator=pind)
    return out


def _parse(spec: str, years: list[int]) -> set[int]:
    out: set[int] = set()
    for part in filter(None, (p.strip() for p in str(spec or "").split(";"))):
        y, _, _kind = part.partition(":")
        if y == "all":
            return set(years)
        try:
            out.add(int(y))
        except ValueError:
            raise DataError(f"break flag {part!r} is not 'YEAR:kind' or 'all:kind'") from None
    return out


def breaks(catalogue: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Declared breaks as a table ``indicator, unit ('*' = every unit), period, kind`` (``period`` = 0 with
    kind ``…`` for ``all:kind``, i.e. levels only)."""
    rows = []
    if "breaks" in catalogue.columns:
        for ind, spec in zip(catalogue["indicator"], catalogue["breaks"], strict=True):
            for part in filter(None, (p.strip() for p in str(spec or "").split(";"))):
                y, _, kind = part.partition(":")
                rows.append((ind, "*", 0 if y == "all" else int(y), kind))
    if units is not None and "territory_breaks" in units.columns:
        for u, spec in zip(units["unit"], units["territory_breaks"], strict=True):
            for y in filter(None, str(spec or "").split(",")):
                rows.append(("*", str(u), int(y), "territory"))
    return pd.DataFrame(rows, columns=["indicator", "unit", "period", "kind"])


def growth(
    data: pd.DataFrame,
    indicator: str,
    catalogue: pd.DataFrame,
    units: pd.DataFrame | None = None,
    *,
    lag: int = 1,
) -> pd.DataFrame:
    """Growth rate g_t = (x_t / x_{t−lag} − 1) · 100 of one indicator per unit, **refused across a break**:
    g_t is NaN (and counted in ``attrs["manifest"]["warnings"]``) when any declared break year b of the
    indicator or territorial break of the unit lies in (t − lag, t]. An indicator flagged ``all:kind`` (levels
    only) raises :class:`~nqpf.errors.MethodError`. Returns ``unit, period, growth, skipped_break``."""
    if lag < 1:
        raise MethodError(f"growth: lag must be >= 1, got {lag}")
    cat = catalogue.set_index("indicator")
    if indicator not in cat.index:
        raise DataError(f"growth: indicator {indicator!r} not in the catalogue")
    spec = str(cat.loc[indicator].get("breaks", "") or "")
    if any(p.strip().startswith("all:") for p in spec.split(";")):
        raise MethodError(
            f"growth: {indicator!r} is flagged {spec!r} (mixed, undocumented vintages): levels only, no growth "
            "rate; use a volume index (e.g. gdp_index_prev_year_eq100) or a series without that flag"
        )
    d = data[data["indicator"] == indicator][["unit", "period", "value"]].copy()
    if d.empty:
        raise DataError(f"growth: no rows for indicator {indicator!r}")
    d["unit"] = d["unit"].astype(str)
    years = sorted(d["period"].unique())
    ind_b = _parse(spec, years)
    terr: dict[str, set[int]] = {}
    if units is not None and "territory_breaks" in units.columns:
        for u, s in zip(units["unit"].astype(str), units["territory_breaks"], strict=True):
            terr[u] = {int(y) for y in filter(None, str(s or "").split(","))}
    w = d.pivot(index="period", columns="unit", values="value")
    w = w.reindex(range(int(min(years)), int(max(years)) + 1))
    g = (w / w.shift(lag) - 1.0) * 100.0
    skipped = pd.DataFrame(False, index=g.index, columns=g.columns)
    for t in g.index:
        window = set(range(t - lag + 1, t + 1))
        if window & ind_b:
            skipped.loc[t, :] = True
        for u in g.columns:
            if window & terr.get(u, set()):
                skipped.loc[t, u] = True
    has = g.notna()
    g = g.mask(skipped)
    out = g.stack(future_stack=True).rename("growth").reset_index()
    out["skipped_break"] = (
        skipped.stack(future_stack=True).to_numpy() & has.stack(future_stack=True).to_numpy()
    )
    out = out[out["growth"].notna() | out["skipped_break"]].reset_index(drop=True)
    out["growth"] = out["growth"].astype("float64")
    m = manifest("growth", indicator=indicator, lag=lag, breaks=spec)
    n = int(out["skipped_break"].sum())
    if n:
        m["warnings"].append(
            f"{n} growth rate(s) of {indicator} not computed: a declared break lies between the years"
        )
    out.attrs["manifest"] = m
    return out[["unit", "period", "growth", "skipped_break"]]
