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
* Clubs: Phillips & Sul (2007) log t test and clustering, :mod:`nqpf.analysis.clubs` (re-exported here).

Coefficient tables have the columns ``estimate, std_error, t, p_value`` (:data:`._common.COEF_COLUMNS`);
``coef`` and ``se`` repeat them for one release (:data:`._common.LEGACY_COEF`). Every result carries
``attrs["manifest"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nqpf.analysis._common import coef_table, log_panel, manifest, require_columns
from nqpf.analysis.clubs import clubs, log_t
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


def sigma(df, value, unit="unit", period="period") -> pd.DataFrame:
    """σ_t = sd(ln y) (ddof = 0) and CV of y per period; trend slope and p-value (OLS of σ_t on t, three
    periods or more) in ``attrs['trend']`` and in the manifest."""
    import statsmodels.api as sm

    x = log_panel(df, value, unit, period)
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
    out.attrs["manifest"] = manifest("sigma", value=value, ddof=0, trend=out.attrs.get("trend"))
    return out


def beta_cross_section(df, value, unit="unit", period="period", *, start=None, end=None) -> pd.DataFrame:
    """Absolute β on the cross-section between ``start`` and ``end`` (default first and last period): one row
    start, end, beta, std_error (HC1), t, p_value, r2, n, speed, half_life (and ``se``, see the module)."""
    import statsmodels.api as sm

    x = log_panel(df, value, unit, period)
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
    out = coef_table([beta], [float(fit.bse[1])], start=[t0], end=[t1], beta=[beta],
                     p_value=[float(fit.pvalues[1])])
    out = out.drop(columns=["estimate", "coef"])  # the estimate is ``beta``
    out = out.assign(r2=float(fit.rsquared), n=len(common), speed=lam, half_life=hl)
    out.attrs["manifest"] = manifest("beta_cross_section", value=value, start=t0, end=t1, se="HC1")
    return out


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


def _with_spatial_lag(x: pd.DataFrame, w) -> pd.DataFrame:
    """``x`` (u, t, t_lag, ly …) with ``w_ly_lag`` = (W ln y_{t−1})_i, the spatially lagged initial level."""
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
    return x.rename(columns={"w_ly": "w_ly_lag"})


def _fit_beta(y: np.ndarray, X: np.ndarray, terms: list[str], kind: str, codes: list[np.ndarray], raw: dict):
    """(statsmodels fit with the uncorrected clustered sandwich, coefficient names, n_fe): pooled OLS with a
    constant (``absolute``) or the within estimator over the effects ``codes`` (``conditional``); n_fe counts
    Stata's constant and time dummies (module docstring)."""
    import statsmodels.api as sm

    if kind == "absolute":
        return sm.OLS(y, sm.add_constant(X)).fit(cov_type="cluster", cov_kwds=raw), ["const", *terms], 0
    if kind == "conditional":
        Z = _demean(np.column_stack([y, X]), codes)
        fit = sm.OLS(Z[:, 0], Z[:, 1:]).fit(cov_type="cluster", cov_kwds=raw)
        n_t = int(codes[1].max()) + 1 if len(codes) > 1 else 1
        return fit, terms, n_t  # Stata: the constant + (T − 1) time dummies
    raise MethodError(f"beta_panel: kind must be 'absolute' or 'conditional', got {kind!r}")


def _se_factor(se_dof: str, n_obs: int, n_g: int, k: int, n_fe: int, d_eff: int) -> float:
    """The small-sample factor c of the clustered covariance (module docstring): statsmodels
    G/(G−1)·(N−1)/(N−K); stata G/(G−1)·(N−1)/(N−K−n_fe); linearmodels N/(N−K−d_eff)."""
    if se_dof == "statsmodels":
        return n_g / (n_g - 1) * (n_obs - 1) / (n_obs - k)
    if se_dof == "stata":
        return n_g / (n_g - 1) * (n_obs - 1) / (n_obs - k - n_fe)
    return n_obs / (n_obs - k - d_eff)


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
    ``term, estimate, std_error, t, p_value`` (and ``coef, se`` for one release) plus ``beta, speed,
    half_life, n_obs, n_units, r2_within`` repeated; ``se_dof`` = statsmodels | stata | linearmodels
    (clustered-SE small-sample convention)."""
    from scipy import stats

    if se_dof not in SE_DOF:
        raise MethodError(f"beta_panel: se_dof must be one of {SE_DOF}, got {se_dof!r}")

    x = log_panel(df, value, unit, period).sort_values(["u", "t"])
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
        x = _with_spatial_lag(x, w)
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
    codes = [ucode] + ([pd.factorize(x["t"])[0]] if time_effects else [])
    fit, names, n_fe = _fit_beta(y, X, terms, kind, codes, raw)
    r2 = float(fit.rsquared)  # within R² for kind="conditional"
    d_eff = n_g + n_t - 1 if (kind == "conditional" and time_effects) else 0
    c = _se_factor(se_dof, n_obs, n_g, len(names), n_fe, d_eff)
    se = np.sqrt(np.diag(fit.cov_params()) * c)
    tval = np.asarray(fit.params) / se
    pval = 2 * (stats.t.sf(np.abs(tval), n_g - 1) if se_dof == "stata" else stats.norm.sf(np.abs(tval)))
    step = float(gaps[0])
    beta = float(fit.params[names.index("ly_lag")])
    lam, hl = half_life(beta, 1.0)
    out = coef_table(np.asarray(fit.params), se, term=names, p_value=pval)
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


def _sar_panel(df, value, w, unit, period, controls):
    """(wide ln y over the weights' units × periods, growth G (N × T), regressors [ln y_{t−1}, controls…]
    as N × T blocks, their names) of :func:`beta_panel_sar`; the panel must be balanced."""
    x = log_panel(df, value, unit, period).sort_values(["u", "t"])
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
    Xs, names = [L[:, :-1]], ["ly_lag"]
    for c in controls or []:
        require_columns(df, [c], what="beta_panel_sar controls")
        cw = df.assign(_u=df[unit].astype(str)).pivot(index="_u", columns=period, values=c).reindex(ids)
        cw = cw[wide.columns[1:]].to_numpy(dtype="float64")
        if np.isnan(cw).any():
            raise DataError(f"beta_panel_sar: control {c!r} has gaps")
        Xs.append(cw)
        names.append(c)
    return wide, np.diff(L, axis=1), Xs, names


def beta_panel_sar(df, value, w, unit="unit", period="period", *, controls=None) -> pd.DataFrame:
    """Conditional β-convergence with a spatial lag of growth (SAR, unit fixed effects), by ML.

    Δln y_t = ρ W Δln y_t + β ln y_{t−1} [+ γ'X_t] + μ + ε_t on a balanced panel of the weights' units.
    Within transformation over time (W commutes with it), then the concentrated log-likelihood of Lee & Yu
    (2010, *J. Econometrics* 154(2), transformation approach: N(T−1) effective observations)
    ℓ(ρ) = −N(T−1)/2 · ln σ̂²(ρ) + (T−1) Σ_i ln(1 − ρ ω_i), ω = eigenvalues of W, maximised over
    ρ ∈ (1/ω_min, 1/ω_max). Standard errors from the inverse numerical Hessian of the full log-likelihood
    in (β, ρ, σ²). β here is the coefficient, not the (direct/indirect) marginal effect; half-life from β.
    Returns ``term, estimate, std_error, t, p_value`` (and ``coef, se`` for one release; terms: ly_lag,
    controls…, rho, sigma2) + beta/speed/half_life.
    """
    from scipy import optimize, stats
    from statsmodels.tools.numdiff import approx_hess

    wide, G, Xs, names = _sar_panel(df, value, w, unit, period, controls)
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
    out = coef_table(theta, se, term=[*names, "rho", "sigma2"], p_value=pv)
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
