"""Spatial weights for Chinese provinces and spatial autocorrelation statistics (PySAL libpysal / esda).

Weights (all returned as ``libpysal.weights.W`` with the unit codes as ids, row-standardised unless
``transform`` says otherwise):

* :func:`contiguity_weights` — land-border (rook) contiguity from ``data/provinces_geo.yaml``. Hainan has no
  land neighbour; ``hainan="guangdong"`` (default) links it to Guangdong across the Qiongzhou Strait, the
  common practice in provincial studies; ``hainan=None`` leaves it an island (statistics then refuse to
  run unless ``allow_islands=True``).
* :func:`distance_weights` — inverse great-circle distance between provincial capitals, w_ij = d_ij^(−α)
  (α = 1 default; optional cut-off in km).
* :func:`economic_weights` — economic distance w_ij = 1 / |x̄_i − x̄_j| with x̄ the unit's mean (over the
  periods given) of a per-capita GDP column.
* :func:`weights_from_geojson` — queen/rook contiguity from user polygons (GeoJSON, via geopandas).

Statistics (per period, permutation inference with a seed): :func:`moran` (global Moran's I),
:func:`geary` (Geary's C), :func:`lisa` (local Moran with HH/LL/HL/LH clusters), :func:`hotspots`
(Getis–Ord G*_i). Unknown units raise :class:`nqpf.errors.DataError` listing them.
"""

from __future__ import annotations

import functools
import threading
import warnings
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from nqpf import _util
from nqpf.analysis._common import manifest, numeric_column, require_columns
from nqpf.errors import DataError, MethodError

__all__ = [
    "provinces_geo",
    "contiguity_weights",
    "distance_weights",
    "economic_weights",
    "weights_from_geojson",
    "weights_matrix",
    "moran",
    "geary",
    "lisa",
    "hotspots",
]

EARTH_RADIUS_KM = 6371.0088
HAINAN, GUANGDONG = "460000", "440000"


@lru_cache(maxsize=1)
def _geo_raw() -> dict:
    import yaml

    text = resources.files("nqpf.analysis").joinpath("data/provinces_geo.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["provinces"]


def provinces_geo() -> pd.DataFrame:
    """The shipped facts: ``unit, name_zh, name_en, capital, lat, lon, neighbours`` (list of codes)."""
    rows = [
        dict(
            unit=k,
            **{c: v[c] for c in ("name_zh", "name_en", "capital", "lat", "lon")},
            neighbours=list(v["neighbours"]),
        )
        for k, v in _geo_raw().items()
    ]
    return pd.DataFrame(rows)


def _check_units(units, known) -> list[str]:
    units = [str(u) for u in units]
    unknown = sorted(set(units) - set(known))
    if unknown:
        raise DataError(
            f"spatial weights: {len(unknown)} unit(s) not among the 31 provincial codes shipped with nqpf: "
            f"{unknown}; use GB/T 2260 six-digit codes (e.g. '110000') or supply geometry "
            "(weights_from_geojson)"
        )
    if len(set(units)) != len(units):
        raise DataError("spatial weights: repeated unit codes; give each unit once")
    return units


def _to_w(neighbors: dict, weights: dict, transform: str):
    from libpysal.weights import W

    with _util.ignore_warnings():  # islands are reported by our own checks
        w = W(neighbors, weights, silence_warnings=True)
        if transform:
            w.transform = transform
    return w


def contiguity_weights(units=None, *, hainan: str | None = "guangdong", transform: str = "r"):
    """Rook contiguity among ``units`` (default all 31). See the module docstring for Hainan."""
    geo = _geo_raw()
    units = _check_units(units if units is not None else list(geo), geo)
    uset = set(units)
    nb = {u: [v for v in geo[u]["neighbours"] if v in uset] for u in units}
    if hainan == "guangdong":
        if HAINAN in uset and GUANGDONG in uset:
            nb[HAINAN] = sorted(set(nb[HAINAN]) | {GUANGDONG})
            nb[GUANGDONG] = sorted(set(nb[GUANGDONG]) | {HAINAN})
    elif hainan is not None:
        raise MethodError(f"contiguity_weights: hainan must be 'guangdong' or None, got {hainan!r}")
    islands = [u for u, v in nb.items() if not v]
    w = _to_w(nb, {u: [1.0] * len(v) for u, v in nb.items()}, transform)
    if islands:
        warnings.warn(f"contiguity weights: unit(s) without neighbours (islands): {islands}", stacklevel=2)
    return w


def _haversine(lat, lon) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def distance_matrix(units=None) -> pd.DataFrame:
    """Great-circle distances (km) between provincial capitals."""
    geo = _geo_raw()
    units = _check_units(units if units is not None else list(geo), geo)
    lat = np.array([geo[u]["lat"] for u in units], dtype="float64")
    lon = np.array([geo[u]["lon"] for u in units], dtype="float64")
    return pd.DataFrame(_haversine(lat, lon), index=units, columns=units)


def _dense_to_w(M: np.ndarray, units: list[str], transform: str):
    nb, wt = {}, {}
    for i, u in enumerate(units):
        j = np.flatnonzero(M[i] > 0)
        nb[u] = [units[k] for k in j]
        wt[u] = M[i, j].tolist()
    return _to_w(nb, wt, transform)


def distance_weights(
    units=None, *, alpha: float = 1.0, threshold_km: float | None = None, transform: str = "r"
):
    """Inverse-distance weights w_ij = d_ij^(−α) between capitals (0 beyond ``threshold_km``)."""
    D = distance_matrix(units)
    d = D.to_numpy()
    with np.errstate(divide="ignore"):
        M = np.where(d > 0, d ** (-alpha), 0.0)
    if threshold_km is not None:
        M[d > threshold_km] = 0.0
    np.fill_diagonal(M, 0.0)
    isl = [u for u, r in zip(D.index, M, strict=True) if not (r > 0).any()]
    if isl:
        warnings.warn(f"distance weights: no neighbour within {threshold_km} km for {isl}", stacklevel=2)
    return _dense_to_w(M, list(D.index), transform)


def economic_weights(df: pd.DataFrame, value: str, unit: str = "unit", *, transform: str = "r"):
    """Economic-distance weights w_ij = 1 / |x̄_i − x̄_j| (x̄ = the unit's mean of ``value``).

    Works for any unit ids (no geography needed). Two units with identical means would get an infinite
    weight: this raises MethodError naming them.
    """
    require_columns(df, [value, unit], what="economic_weights input")
    x = (
        pd.Series(numeric_column(df, value, id_cols=[unit]), index=df[unit].astype(str))
        .groupby(level=0)
        .mean()
    )
    units = list(x.index)
    d = np.abs(x.to_numpy()[:, None] - x.to_numpy()[None, :])
    np.fill_diagonal(d, np.inf)
    if (d == 0).any():
        i, j = np.argwhere(d == 0)[0]
        raise MethodError(
            f"economic_weights: units {units[i]!r} and {units[j]!r} have equal mean {value}; "
            "1/|x_i − x_j| is infinite"
        )
    return _dense_to_w(1.0 / d, units, transform)


def weights_from_geojson(path, id_field: str, *, kind: str = "queen", transform: str = "r"):
    """Queen or rook contiguity from polygons in a GeoJSON (or any file geopandas reads)."""
    import geopandas as gpd
    from libpysal import weights as lw

    gdf = gpd.read_file(path)
    if id_field not in gdf.columns:
        raise DataError(f"weights_from_geojson: {path}: no property {id_field!r} (found {list(gdf.columns)})")
    gdf = gdf[gdf.geometry.notna() & gdf[id_field].notna()].reset_index(drop=True)
    ids = gdf[id_field].astype(str).tolist()
    cls = {"queen": lw.Queen, "rook": lw.Rook}.get(kind)
    if cls is None:
        raise MethodError(f"weights_from_geojson: kind must be 'queen' or 'rook', got {kind!r}")
    with _util.ignore_warnings():
        w = cls.from_dataframe(gdf, ids=ids, use_index=False)
        w.transform = transform
    return w


def weights_matrix(w) -> pd.DataFrame:
    """Dense matrix of a libpysal W (rows/cols = ids), for inspection and export."""
    M, ids = w.full()
    return pd.DataFrame(M, index=ids, columns=ids)


# ---------------------------------------------------------------- statistics


def _align(df: pd.DataFrame, value: str, unit: str, period: str | None, w, allow_islands: bool):
    require_columns(df, [value, unit, period], what="spatial input")
    if w.islands and not allow_islands:
        raise MethodError(
            f"spatial statistics: the weights have island(s) without neighbours {list(w.islands)}; "
            "link them (e.g. contiguity_weights(hainan='guangdong')), use distance weights, or pass allow_islands=True"
        )
    ids = [str(i) for i in w.id_order]
    x = df.assign(_u=df[unit].astype(str))
    unknown = sorted(set(x["_u"]) - set(ids))
    if unknown:
        raise DataError(
            f"spatial input: unit(s) {unknown} are not in the spatial weights; drop them or rebuild W"
        )
    groups = [(None, x)] if period is None else list(x.groupby(period, sort=True))
    for per, sub in groups:
        if sub["_u"].duplicated().any():
            raise DataError(
                f"spatial input: repeated unit(s) in period {per}: {sorted(sub['_u'][sub['_u'].duplicated()])}"
            )
        missing = sorted(set(ids) - set(sub["_u"]))
        if missing:
            raise DataError(
                f"spatial input: period {per}: no value for unit(s) {missing} that are in the weights; "
                "build the weights on the units you have (e.g. contiguity_weights(units=...))"
            )
        yv = numeric_column(
            sub.set_index("_u").loc[ids].reset_index(), value, id_cols=["_u"], what="spatial input"
        )
        yield ("all" if per is None else per), yv


_GLOBAL_RNG_LOCK = threading.Lock()


def _seeded(seed: int):
    """Context that seeds NumPy's global generator for esda calls lacking a seed argument, then restores it.

    Held under one lock: esda draws its permutations from the global generator, so two threads seeding it at
    once would interleave their draws (the same seed gave different ``p_sim`` under threads)."""
    import contextlib

    @contextlib.contextmanager
    def cm():
        with _GLOBAL_RNG_LOCK:
            state = np.random.get_state()
            np.random.seed(seed)
            try:
                yield
            finally:
                np.random.set_state(state)

    return cm()


def moran(df, value, w, unit="unit", period="period", *, permutations=999, seed=12345, allow_islands=False):
    """Global Moran's I per period: ``period, I, EI, z_norm, p_norm, z_sim, p_sim, n``.

    I = (n / S0) Σ_ij w_ij z_i z_j / Σ_i z_i² (z = deviations from the mean); p_sim is the pseudo p-value of
    ``permutations`` random permutations (one-sided toward the observed sign, as in esda).
    """
    import esda

    out = []
    for per, y in _align(df, value, unit, period, w, allow_islands):
        with _seeded(seed), _util.ignore_warnings():
            m = esda.Moran(y, w, permutations=permutations)
        out.append(
            (
                per,
                m.I,
                m.EI,
                m.z_norm,
                m.p_norm,
                getattr(m, "z_sim", np.nan),
                getattr(m, "p_sim", np.nan),
                m.n,
            )
        )
    res = pd.DataFrame(out, columns=["period", "I", "EI", "z_norm", "p_norm", "z_sim", "p_sim", "n"])
    res.attrs["manifest"] = manifest(
        "moran", value=value, permutations=permutations, seed=seed, transform=w.transform
    )
    return res


def geary(df, value, w, unit="unit", period="period", *, permutations=999, seed=12345, allow_islands=False):
    """Geary's C per period: ``period, C, EC, z_norm, p_norm, p_sim, n`` (C < 1: positive autocorrelation)."""
    import esda

    out = []
    for per, y in _align(df, value, unit, period, w, allow_islands):
        with _seeded(seed), _util.ignore_warnings():
            g = esda.Geary(y, w, permutations=permutations)
        out.append((per, g.C, g.EC, g.z_norm, g.p_norm, getattr(g, "p_sim", np.nan), g.n))
    res = pd.DataFrame(out, columns=["period", "C", "EC", "z_norm", "p_norm", "p_sim", "n"])
    res.attrs["manifest"] = manifest("geary", value=value, permutations=permutations, seed=seed)
    return res


def _crand(z: np.ndarray, nbr_weights: list, observed: np.ndarray, stat, permutations: int, seed: int):
    """Conditional randomisation (Anselin 1995): for each unit i, its value stays, the values at its
    neighbours are drawn at random without replacement from the other n − 1 units. ``stat(i_idx, zi, lag)``
    maps the simulated neighbour lags (m, permutations) to simulated statistics. Returns folded pseudo
    p-values and the simulations' mean and sd. With R = ``permutations`` simulated values s_r and the observed
    statistic o, ``p = (min(#{s_r ≥ o}, #{s_r ≤ o}) + 1) / (R + 1)`` (Hope 1968; Anselin 1995): the smaller
    tail, where a simulated value equal to o counts as at least as extreme in either tail. Ties are frequent
    for units with few neighbours (one neighbour: the lag takes only the n − 1 other values, one of them the
    observed); counting them only in the upper tail (``min(#{s ≥ o}, R − #{s ≥ o})``, esda's "directed"
    rule) biased lower-tail p-values down by about 1/(n − 1). Equality is judged to a relative 1e-10 of the
    unit's largest |statistic|, so that ties survive the different summation order of the simulated lags.
    NumPy implementation (one shared draw of permutation ids, shifted per unit, as in esda's crand), used
    instead of esda's numba kernels whose first-call compilation takes minutes on small machines."""
    n = len(z)
    card = np.array([len(x) for x in nbr_weights])
    kmax = int(card.max()) if n else 0
    rng = np.random.default_rng(seed)
    keys = rng.random((permutations, n - 1))
    if kmax < n - 1:
        part = np.argpartition(keys, kmax, axis=1)[:, :kmax]
    else:
        part = np.tile(np.arange(n - 1), (permutations, 1))
    order = np.argsort(np.take_along_axis(keys, part, axis=1), axis=1)
    perm_ids = np.take_along_axis(part, order, axis=1)  # (permutations, kmax), random order
    p = np.ones(n)
    mean = np.zeros(n)
    sd = np.zeros(n)
    for k in np.unique(card):
        units = np.flatnonzero(card == k)
        if k == 0:
            continue
        wts = np.array([nbr_weights[i] for i in units], dtype="float64")  # (m, k)
        base = perm_ids[:, :k][None, :, :]  # (1, P, k)
        idx = base + (base >= units[:, None, None])  # skip the unit itself
        lag = np.einsum("mpk,mk->mp", z[idx], wts)
        sims = stat(units, lag)
        obs = observed[units][:, None]
        tol = 1e-10 * np.maximum(np.abs(obs), np.abs(sims).max(axis=1, keepdims=True))
        upper = (sims >= obs - tol).sum(axis=1)  # at least as large, ties included
        lower = (sims <= obs + tol).sum(axis=1)  # at least as small, ties included
        p[units] = (np.minimum(upper, lower) + 1) / (permutations + 1)
        mean[units], sd[units] = sims.mean(axis=1), sims.std(axis=1, ddof=1)
    return p, mean, sd


def _moran_sims(units, lag, *, z, m2):
    return (z[units] / m2)[:, None] * lag


def _gstar_sims(units, lag, *, y, self_w, tot):
    return (self_w[units] * y[units])[:, None] / tot + lag / tot


_QUAD = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def _rows_of(w):
    """Ids (in ``w.id_order``) and the sparse weights matrix in that order."""
    return [str(i) for i in w.id_order], w.sparse.tocsr()


def lisa(
    df,
    value,
    w,
    unit="unit",
    period="period",
    *,
    permutations=999,
    seed=12345,
    alpha=0.05,
    allow_islands=False,
):
    """Local Moran (LISA) per unit and period: ``period, unit, Ii, z_sim, p_sim, quadrant, cluster``.

    I_i = (z_i / m2) Σ_j w_ij z_j with z = y − ȳ and m2 = Σ z_i² / n (Anselin 1995; esda scales by n − 1
    instead of n, a constant factor that changes no p-value). Inference by conditional randomisation
    (``permutations`` R, seeded): folded ``p_sim = (min(#{I_i^sim ≥ I_i}, #{I_i^sim ≤ I_i}) + 1) / (R + 1)``,
    ties counting in either tail (see ``_crand``). ``quadrant`` is HH/LH/LL/HL (Moran scatterplot: sign of
    z_i and of its lag); ``cluster`` equals it when p_sim < ``alpha``, else ``ns``.
    """
    ids, M = _rows_of(w)
    out = []
    for per, y in _align(df, value, unit, period, w, allow_islands):
        z = y - y.mean()
        m2 = (z @ z) / len(z)
        if m2 == 0:
            raise MethodError(f"lisa: all values are equal in period {per}; local Moran is undefined")
        lagz = M @ z
        Ii = z / m2 * lagz
        stat = functools.partial(_moran_sims, z=z, m2=m2)
        p, mu, sd = _crand(z, [w.weights[u] for u in w.id_order], Ii, stat, permutations, seed)
        quad = np.where(z > 0, np.where(lagz > 0, "HH", "HL"), np.where(lagz > 0, "LH", "LL"))
        with np.errstate(divide="ignore", invalid="ignore"):
            zs = np.where(sd > 0, (Ii - mu) / sd, 0.0)
        out.append(
            pd.DataFrame(
                {
                    "period": per,
                    "unit": ids,
                    "Ii": Ii,
                    "z_sim": zs,
                    "p_sim": p,
                    "quadrant": quad,
                    "cluster": np.where(p < alpha, quad, "ns"),
                }
            )
        )
    res = pd.concat(out, ignore_index=True)
    res.attrs["manifest"] = manifest(
        "lisa",
        value=value,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        m2="sum(z^2)/n",
        inference="conditional randomisation",
    )
    return res


def hotspots(
    df,
    value,
    w,
    unit="unit",
    period="period",
    *,
    permutations=999,
    seed=12345,
    alpha=0.05,
    allow_islands=False,
):
    """Getis–Ord G*_i per unit and period: ``period, unit, Gs, z, p_sim, spot``.

    w* = the binary links of ``w`` plus the unit itself, row-standardised; G*_i = Σ_j w*_ij y_j / Σ_j y_j.
    z is Ord & Getis (1995) standardised G*: (Σ_j w*_ij y_j − ȳ W_i) / (s·sqrt[(n S1_i − W_i²)/(n − 1)]),
    W_i = Σ_j w*_ij, S1_i = Σ_j w*_ij², s² = Σ y²/n − ȳ². p_sim by conditional randomisation (the unit's
    own value fixed), folded with ties in either tail as in :func:`lisa`. ``spot`` is ``hot`` (z > 0) or
    ``cold`` (z < 0) when p_sim < ``alpha``, else ``ns``. Needs y ≥ 0.
    """

    import scipy.sparse as sps

    ids, M = _rows_of(w)
    B = (M != 0).astype("float64") + sps.identity(len(ids), format="csr")
    rs = np.asarray(B.sum(axis=1)).ravel()
    Ws = sps.diags(1.0 / rs) @ B  # w*: binary links plus self, row-standardised
    self_w = 1.0 / rs
    nbr = [np.full(len(w.neighbors[u]), 1.0 / rs[k]) for k, u in enumerate(w.id_order)]  # w* without self
    S1 = np.asarray(Ws.multiply(Ws).sum(axis=1)).ravel()
    out = []
    for per, y in _align(df, value, unit, period, w, allow_islands):
        if (y < 0).any():
            raise MethodError(f"hotspots: Getis–Ord G* needs non-negative values (period {per})")
        n, tot = len(y), y.sum()
        if tot <= 0:
            raise MethodError(f"hotspots: values sum to zero in period {per}")
        Gs = Ws @ y / tot
        ybar = y.mean()
        s = np.sqrt(max((y @ y) / n - ybar**2, 0.0))
        if s == 0:
            raise MethodError(f"hotspots: all values are equal in period {per}; G* is undefined")
        z = (Ws @ y - ybar * 1.0) / (s * np.sqrt((n * S1 - 1.0) / (n - 1)))
        stat = functools.partial(_gstar_sims, y=y, self_w=self_w, tot=tot)
        p, _, _ = _crand(y, nbr, Gs, stat, permutations, seed)
        spot = np.where(p < alpha, np.where(z > 0, "hot", "cold"), "ns")
        out.append(pd.DataFrame({"period": per, "unit": ids, "Gs": Gs, "z": z, "p_sim": p, "spot": spot}))
    res = pd.concat(out, ignore_index=True)
    res.attrs["manifest"] = manifest(
        "getis_ord_gstar",
        value=value,
        permutations=permutations,
        seed=seed,
        inference="conditional randomisation",
    )
    return res
