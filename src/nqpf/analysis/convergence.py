"""Convergence: σ-convergence, β-convergence (cross-section and panel with fixed effects), club convergence.

* σ: per period the standard deviation of ln y (and the CV of y); a negative OLS trend of σ_t on t means
  σ-convergence (slope, p-value in ``attrs``).
* β, cross-section (Barro–Sala-i-Martin): (ln y_iT − ln y_i0)/T = α + β ln y_i0 + ε (HC1 s.e.).
* β, panel: Δln y_it = β ln y_i,t−1 [+ γ'X_it] [+ ρ_x (W ln y_{t−1})_i] + μ_i [+ τ_t] + ε_it.
  ``kind="absolute"``: pooled OLS with a constant, no controls. ``kind="conditional"``: within (fixed
  effects) estimator — unit effects, ``time_effects=True`` adds period effects (two-way) — with optional
  controls. Standard errors clustered by unit; ``se_dof`` picks the small-sample factor c of
  V = c · (X̃'X̃)⁻¹ Σ_g X̃_g'e_g e_g'X̃_g (X̃'X̃)⁻¹ (X̃ the demeaned regressors, K of them, N obs., G units, T periods
  in the regression): ``"statsmodels"`` (default) c = G/(G−1) · (N−1)/(N−K); ``"stata"`` (``xtreg y x i.year,
  fe vce(cluster u)``, [XT] xtreg Methods and formulas) c = G/(G−1) · (N−1)/(N−K_S) with K_S = K + 1 (constant)
  + (T−1) time dummies when ``time_effects`` — the unit effects are nested in the clusters and not counted —
  and p-values from t(G−1); ``"linearmodels"`` (``PanelOLS(...).fit(cov_type="clustered",
  cluster_entity=True)`` defaults) c = N/(N−K−D) with D = 0 for unit effects alone (nested in the clusters) and
  D = G + (T−1) for two-way effects (linearmodels counts the effects then), no G/(G−1). ``kind="absolute"``
  (pooled with a constant) counts the constant in K for every convention. ``spatial_lag=True`` adds the spatially lagged initial level
  W ln y_{t−1} (an SLX term, exogenous, so OLS stays consistent); :func:`beta_panel_sar` fits the
  spatial-autoregressive model with W Δln y by maximum likelihood.
* Speed and half-life for one-period β: λ = −ln(1 + β), half-life = ln 2 / λ (periods); for the
  cross-section over T periods λ = −ln(1 + βT)/T.
* Clubs: Phillips & Sul (2007, *Econometrica* 75(6)) log t test and their clustering algorithm, with
  club merging (Phillips & Sul 2009, *J. Applied Econometrics* 24(7)). Relative transition
  h_it = X_it / mean_i X_it of the (HP-filtered, λ = 400 default) log series X; H_t = mean_i (h_it − 1)²;
  regression log(H_1/H_t) − 2 log(log t) = a + b log t + u over t = ⌊rT⌋+1 … T (r = 0.3), HAC (Bartlett,
  Newey–West lag rule) s.e.; convergence is rejected when t_b < −1.65.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from nqpf.analysis._common import manifest, numeric_column, require_columns
from nqpf.errors import DataError, MethodError

__all__ = ["sigma", "beta_cross_section", "beta_panel", "beta_panel_sar", "log_t", "clubs", "half_life"]

SE_DOF = ("statsmodels", "stata", "linearmodels")  # clustered-SE small-sample conventions of beta_panel


def half_life(beta: float, periods: float = 1.0) -> tuple[float, float]:
    """(speed λ, half-life ln2/λ) from β estimated over ``periods`` periods; NaN-free only when β < 0."""
    arg = 1 + beta * periods
    if beta >= 0 or arg <= 0:
        return float("nan"), float("nan")
    lam = -np.log(arg) / periods
    return float(lam), float(np.log(2) / lam)


def _logs(df, value, unit, period):
    require_columns(df, [value, unit, period], what="convergence input")
    y = numeric_column(df, value, id_cols=[unit, period], what="convergence input")
    if (y <= 0).any():
        bad = df.loc[y <= 0, [unit, period]].astype(str).agg("/".join, axis=1).tolist()[:8]
        raise MethodError(f"convergence: needs positive values to take logs; non-positive at {bad}")
    x = pd.DataFrame({"u": df[unit].astype(str).to_numpy(), "t": df[period].to_numpy(), "ly": np.log(y)})
    if x.duplicated(["u", "t"]).any():
        raise DataError("convergence input: repeated (unit, period) rows")
    return x


def sigma(df, value, unit="unit", period="period") -> pd.DataFrame:
    """σ_t = sd(ln y) (ddof = 0) and CV of y per period; trend slope and p-value in ``attrs['trend']``."""
    import statsmodels.api as sm

    x = _logs(df, value, unit, period)
    g = x.groupby("t")["ly"]
    yv = np.exp(x["ly"])
    cvv = yv.groupby(x["t"]).agg(lambda s: s.std(ddof=0) / s.mean())
    out = pd.DataFrame(
        {
            "period": g.std(ddof=0).index,
            "sigma_log": g.std(ddof=0).to_numpy(),
            "cv": cvv.to_numpy(),
            "n": g.size().to_numpy(),
        }
    )
    if len(out) >= 3:
        fit = sm.OLS(out["sigma_log"].to_numpy(), sm.add_constant(out["period"].to_numpy(dtype=float))).fit()
        out.attrs["trend"] = {"slope": float(fit.params[1]), "p_value": float(fit.pvalues[1])}
    return out


def beta_cross_section(df, value, unit="unit", period="period", *, start=None, end=None) -> pd.DataFrame:
    """Absolute β on the cross-section between ``start`` and ``end`` (default first and last period)."""
    import statsmodels.api as sm

    x = _logs(df, value, unit, period)
    t0 = x["t"].min() if start is None else start
    t1 = x["t"].max() if end is None else end
    a = x[x["t"] == t0].set_index("u")["ly"]
    b = x[x["t"] == t1].set_index("u")["ly"]
    common = a.index.intersection(b.index)
    lost = sorted(set(a.index).symmetric_difference(b.index))
    if lost:
        raise DataError(f"beta_cross_section: unit(s) {lost} lack a value in {t0} or {t1}")
    if len(common) < 3:
        raise MethodError("beta_cross_section: needs at least three units")
    T = float(t1 - t0)
    if T <= 0:
        raise MethodError("beta_cross_section: end must be after start")
    g = (b[common] - a[common]) / T
    fit = sm.OLS(g.to_numpy(), sm.add_constant(a[common].to_numpy())).fit(cov_type="HC1")
    beta = float(fit.params[1])
    lam, hl = half_life(beta, T)
    return pd.DataFrame(
        [
            {
                "start": t0,
                "end": t1,
                "beta": beta,
                "se": float(fit.bse[1]),
                "p_value": float(fit.pvalues[1]),
                "r2": float(fit.rsquared),
                "n": len(common),
                "speed": lam,
                "half_life": hl,
            }
        ]
    )


def _demean(M: np.ndarray, codes: list[np.ndarray], tol=1e-12, max_iter=1000) -> np.ndarray:
    """Within transformation by alternating projections (exact in one pass for one factor)."""
    M = M.astype("float64").copy()
    for _ in range(max_iter):
        prev = M.copy()
        for c in codes:
            sums = np.zeros((c.max() + 1, M.shape[1]))
            np.add.at(sums, c, M)
            cnt = np.bincount(c)[:, None]
            M -= (sums / cnt)[c]
        if len(codes) == 1 or np.max(np.abs(M - prev)) < tol:
            break
    return M


def beta_panel(
    df,
    value,
    unit="unit",
    period="period",
    *,
    kind="conditional",
    controls=None,
    time_effects=False,
    w=None,
    spatial_lag=False,
    se_dof="statsmodels",
) -> pd.DataFrame:
    """Panel β-convergence (see module docstring). Returns one row per coefficient:
    ``term, coef, se, t, p_value`` plus ``beta, speed, half_life, n_obs, n_units, r2_within`` repeated;
    ``se_dof`` = statsmodels | stata | linearmodels (clustered-SE small-sample convention)."""
    import statsmodels.api as sm
    from scipy import stats

    if se_dof not in SE_DOF:
        raise MethodError(f"beta_panel: se_dof must be one of {SE_DOF}, got {se_dof!r}")

    x = _logs(df, value, unit, period).sort_values(["u", "t"])
    x["ly_lag"] = x.groupby("u")["ly"].shift(1)
    x["t_lag"] = x.groupby("u")["t"].shift(1)
    x["growth"] = x["ly"] - x["ly_lag"]
    terms = ["ly_lag"]
    if controls:
        if kind == "absolute":
            raise MethodError("beta_panel: absolute β takes no controls; use kind='conditional'")
        require_columns(df, list(controls), what="beta_panel controls")
        c = df[[unit, period, *controls]].copy()
        c["u"], c["t"] = c[unit].astype(str), c[period].to_numpy()
        x = x.merge(c[["u", "t", *controls]], on=["u", "t"], how="left")
        terms += list(controls)
    if spatial_lag:
        if w is None:
            raise MethodError("beta_panel: spatial_lag=True needs spatial weights w")
        M, ids = w.full()
        ids = [str(i) for i in ids]
        unknown = sorted(set(x["u"]) - set(ids))
        if unknown:
            raise DataError(f"beta_panel: unit(s) {unknown} are not in the spatial weights")
        wide = x.pivot(index="u", columns="t", values="ly").reindex(ids)
        if wide.isna().any().any():
            raise DataError("beta_panel: the spatial lag needs a balanced panel over the weights' units")
        lag = pd.DataFrame(M @ wide.to_numpy(), index=ids, columns=wide.columns)
        wl = lag.stack().rename("w_ly").reset_index().rename(columns={"level_0": "u"})
        wl.columns = ["u", "t", "w_ly"]
        wl["t"] = wl["t"] + 0  # keep dtype
        x = x.merge(
            wl.assign(t=wl["t"]), left_on=["u", "t_lag"], right_on=["u", "t"], how="left", suffixes=("", "_w")
        ).drop(columns=["t_w"])
        x = x.rename(columns={"w_ly": "w_ly_lag"})
        terms.append("w_ly_lag")
    x = x.dropna(subset=["growth", *terms])
    if x["u"].nunique() < 3 or len(x) < len(terms) + 3:
        raise MethodError("beta_panel: too few observations (need ≥ 3 units with ≥ 2 periods)")
    gaps = (x["t"] - x["t_lag"]).unique()
    if len(gaps) != 1:
        raise DataError(
            f"beta_panel: periods are not equally spaced (gaps {sorted(gaps)}); fill or drop years"
        )
    y = x["growth"].to_numpy()
    X = x[terms].to_numpy(dtype="float64")
    ucode = pd.factorize(x["u"])[0]
    raw = {"groups": ucode, "use_correction": False}  # the sandwich without small-sample factor
    n_obs, n_g, n_t = len(x), int(ucode.max()) + 1, int(x["t"].nunique())
    if kind == "absolute":
        fit = sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds=raw)
        names = ["const", *terms]
        r2 = float(fit.rsquared)
        n_fe = 0
    elif kind == "conditional":
        codes = [ucode] + ([pd.factorize(x["t"])[0]] if time_effects else [])
        Z = _demean(np.column_stack([y, X]), codes)
        fit = sm.OLS(Z[:, 0], Z[:, 1:]).fit(cov_type="cluster", cov_kwds=raw)
        names = terms
        r2 = float(fit.rsquared)  # within R²
        n_fe = 1 + (n_t - 1 if time_effects else 0)  # Stata: constant + time dummies
    else:
        raise MethodError(f"beta_panel: kind must be 'absolute' or 'conditional', got {kind!r}")
    k = len(names)
    if se_dof == "statsmodels":
        c = n_g / (n_g - 1) * (n_obs - 1) / (n_obs - k)
    elif se_dof == "stata":
        c = n_g / (n_g - 1) * (n_obs - 1) / (n_obs - k - n_fe)
    else:
        d_eff = n_g + n_t - 1 if (kind == "conditional" and time_effects) else 0
        c = n_obs / (n_obs - k - d_eff)
    se = np.sqrt(np.diag(fit.cov_params()) * c)
    tval = np.asarray(fit.params) / se
    pval = 2 * (stats.t.sf(np.abs(tval), n_g - 1) if se_dof == "stata" else stats.norm.sf(np.abs(tval)))
    step = float(gaps[0])
    beta = float(fit.params[names.index("ly_lag")])
    lam, hl = half_life(beta, 1.0)
    out = pd.DataFrame({"term": names, "coef": fit.params, "se": se, "t": tval, "p_value": pval})
    out["beta"], out["speed"], out["half_life"] = beta, lam, hl * step if hl == hl else hl
    out["n_obs"], out["n_units"], out["r2_within" if kind == "conditional" else "r2"] = (
        len(x),
        x["u"].nunique(),
        r2,
    )
    out.attrs["manifest"] = manifest(
        "beta_panel",
        kind=kind,
        controls=list(controls or []),
        time_effects=time_effects,
        spatial_lag=spatial_lag,
        se="cluster(unit)",
        se_dof=se_dof,
        se_factor=c,
    )
    return out.reset_index(drop=True)


# ------------------------------------------------------------ Phillips–Sul


def _nw_lag(n: int) -> int:
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def log_t(X: np.ndarray, *, r: float = 0.3) -> dict:
    """Phillips–Sul log t regression on a (units × periods) array X (already filtered). Returns
    ``b, se, t, n_obs`` (b = 2α; convergence is rejected at 5 % when t < −1.65)."""
    import statsmodels.api as sm

    X = np.asarray(X, dtype="float64")
    N, T = X.shape
    if N < 2:
        raise MethodError("log t test: needs at least two units")
    mean = X.mean(axis=0)
    if (mean == 0).any():
        raise MethodError("log t test: cross-section mean is zero in some period; use a positive variable")
    h = X / mean
    H = ((h - 1) ** 2).mean(axis=0)
    start = max(int(np.floor(r * T)) + 1, 2)  # 1-based first t kept
    t = np.arange(start, T + 1, dtype="float64")
    if len(t) < 3:
        raise MethodError(f"log t test: too few periods (T = {T}) after discarding the first {start - 1}")
    if (H <= 0).any():
        return {"b": np.inf, "se": 0.0, "t": np.inf, "n_obs": len(t)}  # identical transitions: converged
    yv = np.log(H[0] / H[start - 1 :]) - 2 * np.log(np.log(t))
    fit = sm.OLS(yv, sm.add_constant(np.log(t))).fit(cov_type="HAC", cov_kwds={"maxlags": _nw_lag(len(t))})
    return {"b": float(fit.params[1]), "se": float(fit.bse[1]), "t": float(fit.tvalues[1]), "n_obs": len(t)}


def _hp(ly: np.ndarray, lam: float | None) -> np.ndarray:
    if lam is None:
        return ly
    from statsmodels.tsa.filters.hp_filter import hpfilter

    return np.vstack([hpfilter(row, lamb=lam)[1] for row in ly])


def _find_clubs(X, idx, crit, r, c_star):
    """PS (2007) steps 2–4 on units ``idx`` (ordered by final value, descending). Returns list of clubs
    and the divergent remainder."""
    clubs = []
    rem = list(idx)
    while len(rem) >= 2:
        if log_t(X[rem], r=r)["t"] > crit:
            clubs.append(rem)
            return clubs, []
        # step 2: core group
        start = None
        for i in range(len(rem) - 1):
            if log_t(X[rem[i : i + 2]], r=r)["t"] > crit:
                start = i
                break
        if start is None:
            return clubs, rem
        best_k, best_t = 2, log_t(X[rem[start : start + 2]], r=r)["t"]
        for k in range(3, len(rem) - start + 1):
            tk = log_t(X[rem[start : start + k]], r=r)["t"]
            if tk <= crit:
                break
            if tk > best_t:
                best_k, best_t = k, tk
        core = rem[start : start + best_k]
        others = [u for u in rem if u not in core]
        # step 3: sieve with c*, raised until the club passes
        c = c_star
        while True:
            add = [u for u in others if log_t(X[[*core, u]], r=r)["t"] > c]
            club = [u for u in rem if u in core or u in add]
            if not add or log_t(X[club], r=r)["t"] > crit:
                break
            c += 0.5
        clubs.append(club)
        rem = [u for u in rem if u not in club]
    return clubs, rem


def clubs(
    df,
    value,
    unit="unit",
    period="period",
    *,
    log: bool = True,
    hp_lambda: float | None = 400.0,
    r: float = 0.3,
    crit: float = -1.65,
    c_star: float = 0.0,
    merge: bool = True,
) -> pd.DataFrame:
    """Phillips–Sul club convergence. Returns ``unit, club (1 = highest; 0 = divergent), final_value``;
    the full-sample log t test, each club's test and merge steps are in ``attrs['tests']``."""
    x = _logs(df, value, unit, period) if log else None
    if x is None:
        require_columns(df, [value, unit, period], what="clubs input")
        v = numeric_column(df, value, id_cols=[unit, period], what="clubs input")
        x = pd.DataFrame({"u": df[unit].astype(str).to_numpy(), "t": df[period].to_numpy(), "ly": v})
    wide = x.pivot(index="u", columns="t", values="ly").sort_index(axis=1)
    if wide.isna().any().any():
        raise DataError("clubs: the panel is unbalanced; the log t test needs every unit in every period")
    N, T = wide.shape
    if N < 3 or T < 5:
        raise MethodError(f"clubs: needs ≥ 3 units and ≥ 5 periods (got {N} × {T})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = _hp(wide.to_numpy(), hp_lambda)
    if (X <= 0).any():
        bad = sorted({wide.index[i] for i in np.nonzero(X <= 0)[0]})[:10]
        raise MethodError(
            f"clubs: the relative transition X_it / mean_i X_it needs positive X; non-positive (log) values for "
            f"units {bad}. Values near or below 1 have logs ≤ 0: pass log=False to use levels, or rescale"
        )
    units = list(wide.index)
    order = list(np.argsort(-X[:, -1], kind="mergesort"))
    tests = {"full": log_t(X, r=r)}
    found, divergent = _find_clubs(X, order, crit, r, c_star)
    tests["initial_clubs"] = [[units[i] for i in c] for c in found]
    if merge and len(found) > 1:
        merged = [found[0]]
        steps = []
        for c in found[1:]:
            tt = log_t(X[merged[-1] + c], r=r)["t"]
            steps.append(tt)
            if tt > crit:
                merged[-1] = merged[-1] + c
            else:
                merged.append(c)
        found = merged
        tests["merge_t"] = steps
    tests["clubs"] = [log_t(X[c], r=r) if len(c) > 1 else None for c in found]
    lab = {units[i]: k + 1 for k, c in enumerate(found) for i in c}
    out = pd.DataFrame({"unit": units, "club": [lab.get(u, 0) for u in units], "final_value": X[:, -1]})
    div = out["club"] == 0  # clubs 1, 2, … (highest first), divergent units (club 0) last
    out = (
        out.assign(_d=div)
        .sort_values(["_d", "club", "final_value"], ascending=[True, True, False])
        .drop(columns="_d")
        .reset_index(drop=True)
    )
    out.attrs["tests"] = tests
    out.attrs["manifest"] = manifest(
        "phillips_sul", log=log, hp_lambda=hp_lambda, r=r, crit=crit, c_star=c_star, merge=merge
    )
    return out


def beta_panel_sar(df, value, w, unit="unit", period="period", *, controls=None) -> pd.DataFrame:
    """Conditional β-convergence with a spatial lag of growth (SAR, unit fixed effects), by ML.

    Δln y_t = ρ W Δln y_t + β ln y_{t−1} [+ γ'X_t] + μ + ε_t on a balanced panel of the weights' units.
    Within transformation over time (W commutes with it), then the concentrated log-likelihood of Lee & Yu
    (2010, *J. Econometrics* 154(2), transformation approach: N(T−1) effective observations)
    ℓ(ρ) = −N(T−1)/2 · ln σ̂²(ρ) + (T−1) Σ_i ln(1 − ρ ω_i), ω = eigenvalues of W, maximised over
    ρ ∈ (1/ω_min, 1/ω_max). Standard errors from the inverse numerical Hessian of the full log-likelihood
    in (β, ρ, σ²). β here is the coefficient, not the (direct/indirect) marginal effect; half-life from β.
    Returns ``term, coef, se, t, p_value`` (terms: ly_lag, controls…, rho, sigma2) + beta/speed/half_life.
    """
    from scipy import optimize, stats
    from statsmodels.tools.numdiff import approx_hess

    x = _logs(df, value, unit, period).sort_values(["u", "t"])
    ids = [str(i) for i in w.id_order]
    unknown = sorted(set(x["u"]) - set(ids))
    if unknown:
        raise DataError(f"beta_panel_sar: unit(s) {unknown} are not in the spatial weights")
    if w.islands:
        raise MethodError(f"beta_panel_sar: island(s) {list(w.islands)} in the weights; link them first")
    wide = x.pivot(index="u", columns="t", values="ly").reindex(ids)
    if wide.isna().any().any():
        raise DataError("beta_panel_sar: needs a balanced panel over the weights' units (no gaps)")
    L = wide.to_numpy()
    G = np.diff(L, axis=1)  # (N, T) growth
    Xs = [L[:, :-1]]
    names = ["ly_lag"]
    for c in controls or []:
        require_columns(df, [c], what="beta_panel_sar controls")
        cw = df.assign(_u=df[unit].astype(str)).pivot(index="_u", columns=period, values=c).reindex(ids)
        cw = cw[wide.columns[1:]].to_numpy(dtype="float64")
        if np.isnan(cw).any():
            raise DataError(f"beta_panel_sar: control {c!r} has gaps")
        Xs.append(cw)
        names.append(c)
    N, T = G.shape
    if T < 2 or N < 3:
        raise MethodError("beta_panel_sar: needs ≥ 3 units and ≥ 3 periods")
    M, _ = w.full()

    def dm(A):
        return A - A.mean(axis=1, keepdims=True)

    g = dm(G)
    Wg = dm(M @ G)
    X = np.column_stack([dm(A).ravel(order="F") for A in Xs])
    gy, wgy = g.ravel(order="F"), Wg.ravel(order="F")
    omega = np.linalg.eigvals(M).real
    lo, hi = 1 / omega.min() + 1e-6, 1 / omega.max() - 1e-6
    neff = N * (T - 1)

    def ols(rho):
        yy = gy - rho * wgy
        b, *_ = np.linalg.lstsq(X, yy, rcond=None)
        e = yy - X @ b
        return b, e

    def negll_c(rho):
        _, e = ols(rho)
        return 0.5 * neff * np.log(e @ e / neff) - (T - 1) * np.sum(np.log(1 - rho * omega))

    opt = optimize.minimize_scalar(negll_c, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    rho = float(opt.x)
    b, e = ols(rho)
    s2 = float(e @ e / neff)

    def ll(theta):
        bb, r, sg = theta[:-2], theta[-2], theta[-1]
        if sg <= 0 or not (lo < r < hi):
            return -np.inf
        res = gy - r * wgy - X @ bb
        return (
            -0.5 * neff * np.log(2 * np.pi * sg)
            + (T - 1) * np.sum(np.log(1 - r * omega))
            - res @ res / (2 * sg)
        )

    theta = np.r_[b, rho, s2]
    cov = np.linalg.inv(-approx_hess(theta, ll))
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    tv = theta / se
    pv = 2 * stats.norm.sf(np.abs(tv))
    out = pd.DataFrame({"term": [*names, "rho", "sigma2"], "coef": theta, "se": se, "t": tv, "p_value": pv})
    beta = float(b[0])
    lam, hl = half_life(beta, 1.0)
    step = float(np.diff(np.asarray(wide.columns, dtype="float64")).mean())
    out["beta"], out["speed"], out["half_life"] = beta, lam, hl * step if hl == hl else hl
    out["n_obs"], out["n_units"], out["loglik"] = N * T, N, float(ll(theta))
    out.attrs["manifest"] = manifest(
        "beta_panel_sar",
        controls=list(controls or []),
        estimator="ML, unit FE, Lee-Yu (2010) transformation approach",
        se="inverse numerical Hessian",
    )
    return out
