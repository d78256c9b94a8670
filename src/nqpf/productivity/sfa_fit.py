"""The estimation steps of :func:`nqpf.productivity.sfa.sfa`: data checks, OLS and FRONTIER-style starting
values, BFGS + Newton maximisation, delta-method standard errors, unit efficiencies (formulas in
:mod:`nqpf.productivity.sfa`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError
from nqpf.productivity.sfa_model import LN2PI, _design, _Spec, unit_sums

FORMS = ("cd", "translog")
DISTS = ("half-normal", "truncated-normal")
MODELS = ("pooled", "bc92", "bc95")


def check_settings(form: str, dist: str, model: str, unit, period, z) -> str:
    """Refuse unknown or inconsistent settings; returns the distribution (``bc95`` is truncated-normal)."""
    if form not in FORMS or dist not in DISTS or model not in MODELS:
        raise MethodError(
            f"sfa: form must be one of {FORMS}, dist one of {DISTS}, model one of {MODELS}; got "
            f"{form!r}, {dist!r}, {model!r}"
        )
    if model in ("bc92", "bc95") and (unit is None or period is None):
        raise MethodError(f"sfa: model {model} needs unit and period columns (--id, --period)")
    if model == "bc95":
        if not z:
            raise MethodError("sfa: bc95 needs inefficiency determinants z (e.g. --z age,education)")
        return "truncated-normal"
    if z:
        raise MethodError("sfa: z (inefficiency determinants) is used only with model bc95")
    return dist


def prepare_frame(
    data: pd.DataFrame, cols: list[str], logged: list[str], unit, period, model: str
) -> pd.DataFrame:
    """A copy of ``data`` with ``__unit``/``__period`` and numeric ``cols``; refuses missing or non-numeric
    values, non-positive ``logged`` columns and (panel models) repeated unit/period rows, naming the row."""
    missing = [c for c in cols + [c for c in (unit, period) if c] if c not in data.columns]
    if missing:
        raise DataError(f"sfa: column(s) {missing} not found; columns are {list(data.columns)}")
    df = data.copy()
    df["__unit"] = df[unit].astype(str) if unit else np.arange(len(df)).astype(str)
    df["__period"] = (
        period_column(df[period], column=period, context="sfa", units=df["__unit"]) if period else 1
    )
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    bad = df[df[cols].isna().any(axis=1)]
    if len(bad):
        r = bad.iloc[0]
        col = [c for c in cols if pd.isna(r[c])][0]
        raise DataError(
            f"sfa: unit {r['__unit']!r}, period {r['__period']}: {col} is missing or not a number "
            f"({len(bad)} such row(s)); drop or fill those rows before estimating"
        )
    for c in logged:
        nonpos = df[df[c] <= 0]
        if len(nonpos):
            r = nonpos.iloc[0]
            raise DataError(
                f"sfa: unit {r['__unit']!r}, period {r['__period']}: {c} = {r[c]} must be positive "
                "(logs are taken); remove the row or pass log=False with already-logged data"
            )
    if df.duplicated(["__unit", "__period"]).any() and model != "pooled":
        raise DataError("sfa: duplicate (unit, period) rows; each unit needs one row per period")
    return df


@dataclass
class Design:
    """The arrays of one model: ``spec`` (likelihood), regressor names, ``zn`` (δ names of ``bc95``)."""

    spec: _Spec
    xnames: list[str]
    zn: list[str]


def build_design(
    df: pd.DataFrame, output: str, inputs: list[str], z, settings: tuple[str, str, str, bool, bool, float]
) -> Design:
    """Regressors, output, unit groups and time distances t − T of the model; ``settings`` = (form, dist,
    model, eta, log, sign). Refuses too few observations and constant regressors."""
    form, dist, model, eta, log, sign = settings
    X, xnames = _design(df, inputs, form, log)
    y = np.log(df[output].to_numpy(float)) if log else df[output].to_numpy(float)
    n, k = X.shape
    if n <= k + 2:
        raise MethodError(f"sfa: {n} observations for {k + 2}+ parameters; more data or fewer inputs needed")
    for j in range(1, X.shape[1]):
        if np.ptp(X[:, j]) == 0:
            raise DataError(f"sfa: regressor {xnames[j]} is constant; remove it")
    if model == "bc92":
        codes, _ = pd.factorize(df["__unit"])
        groups = codes.astype(np.int64)
        tnorm = (df["__period"] - df["__period"].max()).to_numpy(float)
        use_eta = eta
    else:
        groups = np.arange(n)
        tnorm = np.zeros(n)
        use_eta = False
    Z = np.column_stack([np.ones(n), df[z].to_numpy(float)]) if model == "bc95" else np.empty((n, 0))
    zn = ["delta_const", *(f"delta_{c}" for c in z)] if model == "bc95" else []
    return Design(_Spec(y, X, groups, tnorm, Z, dist, model, use_eta, sign), xnames, zn)


def ols(spec: _Spec, xnames: list[str]) -> tuple[np.ndarray, pd.DataFrame, float, tuple[float, float]]:
    """OLS of ln y on the regressors: (β, table name/estimate/std_error, log-likelihood, residual moments
    (m₂, s·m₃) with s = 1 for production, −1 for cost frontiers)."""
    X, y = spec.X, spec.y
    n, k = X.shape
    beta_ols, *_ = np.linalg.lstsq(X, y, rcond=None)
    res = y - X @ beta_ols
    s2_ols = res @ res / (n - k)
    ols_ll = float(-0.5 * n * (LN2PI + np.log(res @ res / n) + 1))
    cov_ols = s2_ols * np.linalg.inv(X.T @ X)
    table = pd.DataFrame({"name": xnames, "estimate": beta_ols, "std_error": np.sqrt(np.diag(cov_ols))})
    return beta_ols, table, ols_ll, (np.mean(res**2), np.mean(res**3) * spec.sign)


def start_values(
    spec: _Spec, beta_ols: np.ndarray, moments: tuple[float, float], start: np.ndarray | None
) -> np.ndarray:
    """Starting point in the unconstrained parametrisation: ``start`` (reporting form) if given, else the best
    of the COLS variance split and a γ grid 0.05, 0.15, …, 0.95 as in FRONTIER 4.1 (Coelli 1996), each with
    σ² = m₂/(1 − 2γ/π), which keeps Var(ε) = σ_v² + (1 − 2/π)σ_u² at its OLS value."""
    k, sign = spec.k, spec.sign
    m2, m3 = moments
    c = np.sqrt(2 / np.pi) * (4 / np.pi - 1)
    su = (max(-m3, 1e-12) / c) ** (1 / 3)
    su2 = min(su**2, 0.95 * m2 / (1 - 2 / np.pi))
    sv2 = max(m2 - (1 - 2 / np.pi) * su2, 0.05 * m2)
    extra = [0.0] * spec.n_mu + [0.0] * spec.n_eta
    candidates = []
    if start is not None:
        start = np.asarray(start, float)
        if len(start) != k + 2 + len(extra):
            raise MethodError(
                f"sfa: start has {len(start)} values, the model has {k + 2 + len(extra)} parameters"
            )
        candidates.append(start)
    else:
        for g in [su2 / (su2 + sv2), *np.arange(0.05, 1.0, 0.1)]:
            g = float(np.clip(g, 0.02, 0.98))
            s2 = m2 / (1 - 2 * g / np.pi)
            b = beta_ols.copy()
            b[0] += sign * np.sqrt(2 * g * s2 / np.pi)
            candidates.append(np.r_[b, s2, g, extra])
    best_ll, best_t = -np.inf, None
    for cand in candidates:
        ll = spec.loglik(cand, reporting=True)
        if ll > best_ll:
            best_ll, best_t = ll, cand
    if best_t is None:
        raise MethodError("sfa: no finite log-likelihood at any starting value; check the data scale")
    theta0 = best_t.copy()
    theta0[k] = np.log(best_t[k])
    theta0[k + 1] = special.logit(np.clip(best_t[k + 1], 1e-6, 1 - 1e-6))
    return theta0


def _negll(t: np.ndarray, spec: _Spec) -> float:
    """−log L (1e10 where it is not finite)."""
    v = spec.loglik(t)
    return 1e10 if not np.isfinite(v) else -v


def _negscore(t: np.ndarray, spec: _Spec) -> np.ndarray:
    """−score (0 where not finite)."""
    g = -spec.score(t)
    return np.where(np.isfinite(g), g, 0.0)


def _neghess(t: np.ndarray, spec: _Spec) -> np.ndarray:
    """Hessian of −log L by central differences of the analytic score (steps 1e-5·max(|t|, 1), symmetrised)."""
    h = 1e-5 * np.maximum(np.abs(t), 1.0)
    e = np.eye(len(t))
    H = np.column_stack(
        [
            (_negscore(t + e[i] * h[i], spec) - _negscore(t - e[i] * h[i], spec)) / (2 * h[i])
            for i in range(len(t))
        ]
    )
    return (H + H.T) / 2


def _newton(spec: _Spec, x_opt: np.ndarray, f_opt: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Up to 50 Newton steps (gradient step where the Newton one is not a descent), each halved until −log L
    does not increase; returns (x, −log L, −score)."""
    grad = _negscore(x_opt, spec)
    for _ in range(50):
        H = _neghess(x_opt, spec)
        try:
            step = -np.linalg.solve(H, grad)
            if not np.all(np.isfinite(step)) or grad @ step >= 0:
                step = -grad
        except np.linalg.LinAlgError:
            step = -grad
        if abs(grad @ step) < 1e-14:
            break
        t_ = 1.0
        while t_ > 1e-8:
            f_new = _negll(x_opt + t_ * step, spec)
            if f_new <= f_opt:
                break
            t_ /= 2
        if t_ <= 1e-8:
            break
        x_opt, f_opt = x_opt + t_ * step, f_new
        grad = _negscore(x_opt, spec)
    return x_opt, f_opt, grad


@dataclass
class Fit:
    """The maximum: optimizer result (x, fun, message), −score, covariance in the unconstrained
    parametrisation (None if the Hessian is singular), Newton decrement g'H⁻¹g and whether H is positive
    definite."""

    opt: optimize.OptimizeResult
    grad: np.ndarray
    cov_u: np.ndarray | None
    decrement: float
    pos_def: bool

    @property
    def converged(self) -> bool:
        """A maximum: H (of −log L) positive definite and a Newton decrement below 1e-6."""
        return self.pos_def and 0 <= self.decrement < 1e-6


def maximise(spec: _Spec, theta0: np.ndarray) -> Fit:
    """BFGS with the analytic score (gtol 1e-8), then the Newton polish of :func:`_newton`."""
    opt = optimize.minimize(
        _negll, theta0, args=(spec,), jac=_negscore, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000}
    )
    opt.x, opt.fun, grad = _newton(spec, opt.x.copy(), float(opt.fun))
    # Newton decrement g'H^{-1}g: twice the log-likelihood gain a Newton step would still promise; a
    # maximum has H positive definite (of -log L) and a negligible decrement.
    H_u = _neghess(opt.x, spec)
    try:
        cov_u = np.linalg.inv(H_u)
        decrement = float(grad @ cov_u @ grad)
        pos_def = bool(np.all(np.linalg.eigvalsh(H_u) > 0))
    except np.linalg.LinAlgError:
        cov_u, decrement, pos_def = None, np.inf, False
    return Fit(opt, grad, cov_u, decrement, pos_def)


def param_table(
    spec: _Spec, design: Design, fit: Fit, warn_list: list[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Estimates in the reporting parametrisation and the table name/estimate/std_error/z/p_value; standard
    errors by the delta method (σ² = exp θ_s, γ = expit θ_g). Appends warnings to ``warn_list``."""
    k = spec.k
    theta = spec.to_reporting(fit.opt.x)
    names = [*design.xnames, "sigma2", "gamma"]
    if spec.model == "bc95":
        names += design.zn
    elif spec.n_mu:
        names.append("mu")
    if spec.use_eta:
        names.append("eta")
    if fit.cov_u is not None:
        J = np.ones(len(theta))
        J[k] = theta[k]
        J[k + 1] = theta[k + 1] * (1 - theta[k + 1])
        cov = fit.cov_u * np.outer(J, J)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    else:
        se = np.full(len(theta), np.nan)
        warn_list.append("sfa: Hessian not invertible; standard errors not available")
    zval = theta / se
    params = pd.DataFrame(
        {
            "name": names,
            "estimate": theta,
            "std_error": se,
            "z": zval,
            "p_value": 2 * stats.norm.sf(np.abs(zval)),
        }
    )
    gamma = theta[k + 1]
    if gamma > 0.999 or gamma < 1e-3:
        warn_list.append(
            f"sfa: gamma = {gamma:.4g} is at the boundary of (0, 1); standard errors are unreliable"
        )
    return theta, params


def efficiencies(spec: _Spec, theta: np.ndarray, df: pd.DataFrame) -> pd.DataFrame:
    """unit, period, residual, efficiency_bc (Battese–Coelli E[exp(−u)|ε]), efficiency_jlms (exp(−E[u|ε]),
    Jondrow et al. 1982) and u_jlms at ``theta`` (reporting parametrisation)."""
    y, X, groups, sign = spec.y, spec.X, spec.groups, spec.sign
    beta, sigma2, gamma, mu, _eta_hat, eta_w = spec.unpack(theta, reporting=True)
    su2, sv2 = gamma * sigma2, (1 - gamma) * sigma2
    eps = sign * (y - X @ beta)
    G, _T, _s_ee, s_he, s_hh = unit_sums(groups, eps, eta_w)
    mu_g = np.broadcast_to(np.asarray(mu, float), (G,)) if np.ndim(mu) == 0 else np.asarray(mu)
    denom = sv2 + su2 * s_hh
    mu_s = ((mu_g * sv2 - su2 * s_he) / denom)[groups]
    sig_s = np.sqrt(su2 * sv2 / denom)[groups]
    a = mu_s / sig_s
    eff_bc = np.exp(
        special.log_ndtr(a - eta_w * sig_s) - special.log_ndtr(a) - eta_w * mu_s + 0.5 * eta_w**2 * sig_s**2
    )
    mills = np.exp(stats.norm.logpdf(a) - special.log_ndtr(a))
    u_hat = eta_w * (mu_s + sig_s * mills)
    return pd.DataFrame(
        {
            "unit": df["__unit"].to_numpy(),
            "period": df["__period"].to_numpy(),
            "residual": y - X @ beta,
            "efficiency_bc": eff_bc,
            "efficiency_jlms": np.exp(-u_hat),
            "u_jlms": u_hat,
        }
    )
