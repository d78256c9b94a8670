"""Stochastic frontier analysis (SFA) by maximum likelihood.

Model (production frontier; a cost frontier flips the sign of u)::

    ln y_it = x_it'β + v_it − u_it,    v ~ N(0, σ_v²),    u_it = η_it · u_i ≥ 0

* ``pooled``: each observation is its own unit; u ~ N⁺(0, σ_u²) (half-normal; Aigner, Lovell & Schmidt
  1977) or N⁺(μ, σ_u²) (truncated normal; Stevenson 1980).
* ``bc92``: Battese & Coelli (1992): u_i ~ N⁺(μ, σ_u²) per unit, η_it = exp(−η (t − T)), T = last period of the
  panel; μ = 0 for ``half-normal``; ``eta=False`` gives the time-invariant Pitt–Lee / BC (1988) model.
* ``bc95``: Battese & Coelli (1995): u_it ~ N⁺(z_it'δ, σ_u²) with inefficiency determinants z (with constant).

One likelihood covers all three (unit i with residuals ε_it = ln y − x'β, S_hh = Σ η², S_he = Σ η ε)::

    μ*_i = (μ_i σ_v² − σ_u² S_he) / (σ_v² + σ_u² S_hh),   σ*_i² = σ_u² σ_v² / (σ_v² + σ_u² S_hh)
    ln L_i = −T_i/2 ln 2π − (T_i−1)/2 ln σ_v² − ½ ln(σ_v² + σ_u² S_hh) − Σ ε²/(2σ_v²)
             + ½ (μ*_i/σ*_i)² − ½ (μ_i/σ_u)² + ln Φ(μ*_i/σ*_i) − ln Φ(μ_i/σ_u)

(Battese & Coelli 1992, J. Productivity Analysis 3, eq. A.2). Parameters are reported as in FRONTIER 4.1
(Coelli 1996): σ² = σ_u² + σ_v², γ = σ_u²/σ². Unit efficiencies: Battese–Coelli E[exp(−u_it) | ε_i] =
Φ(μ*/σ* − η_it σ*)/Φ(μ*/σ*) · exp(−η_it μ* + ½ η_it² σ*²) and JLMS exp(−E[u_it | ε_i]) with
E[u_i | ε_i] = μ* + σ* φ(μ*/σ*)/Φ(μ*/σ*) (Jondrow et al. 1982).

Estimation: OLS start with method-of-moments (COLS) variance split plus a γ grid as in FRONTIER, then BFGS with
the analytic score on an unconstrained parametrisation (ln σ², logit γ) and a Newton polish; the Hessian is the
central difference of the analytic score; standard errors by the delta method in the reporting parametrisation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

import nqpf.index.result  # noqa: F401 - registers the DataFrame.nqpf accessor (summary, to_latex, plot)
from nqpf._util import package_versions
from nqpf.data.parse import period_column
from nqpf.errors import DataError, MethodError

FORMS = ("cd", "translog")
DISTS = ("half-normal", "truncated-normal")
MODELS = ("pooled", "bc92", "bc95")
LN2PI = np.log(2 * np.pi)


@dataclass
class SFAResult:
    """Result of :func:`sfa`: parameter table, log-likelihood, unit efficiencies and a manifest."""

    params: pd.DataFrame  # name, estimate, std_error, z, p_value
    loglik: float
    efficiencies: pd.DataFrame  # unit, period, residual, efficiency_bc, efficiency_jlms, u_jlms
    ols: pd.DataFrame
    ols_loglik: float
    manifest: dict = field(default_factory=dict)

    def summary_table(self, digits: int = 4) -> pd.DataFrame:
        """Paper-ready table: estimate (standard error) with significance stars, plus model statistics."""
        rows = []
        for r in self.params.itertuples():
            stars = (
                ""
                if not np.isfinite(r.p_value)
                else (
                    "***"
                    if r.p_value < 0.01
                    else "**"
                    if r.p_value < 0.05
                    else "*"
                    if r.p_value < 0.1
                    else ""
                )
            )
            se = f"({r.std_error:.{digits}f})" if np.isfinite(r.std_error) else "(—)"
            rows.append({"term": r.name, "estimate": f"{r.estimate:.{digits}f}{stars}", "std_error": se})
        eff = self.efficiencies["efficiency_bc"]
        lr = 2 * (self.loglik - self.ols_loglik)
        for term, val in (
            ("log-likelihood", f"{self.loglik:.{digits}f}"),
            ("LR test of one-sided error", f"{lr:.{digits}f}"),
            ("mean efficiency (BC)", f"{eff.mean():.{digits}f}"),
            ("observations", str(len(eff))),
            ("units", str(self.efficiencies["unit"].nunique())),
        ):
            rows.append({"term": term, "estimate": val, "std_error": ""})
        return pd.DataFrame(rows)

    # --- paper-ready outputs (nqpf.report.results, imported when called: the report layer sits above) ---
    def summary(self, *, lang: str = "en") -> pd.DataFrame:
        """:meth:`summary_table` with headers in ``lang`` and its notes in ``.attrs['notes']``."""
        from nqpf.report.results import summary

        return summary(self, lang=lang)

    def to_latex(self, path=None, *, lang: str = "en", **kw) -> str:
        """Booktabs LaTeX of :meth:`summary` with notes (written atomically to ``path`` when given)."""
        from nqpf.report.results import latex

        return latex(self, path, lang=lang, **kw)

    def to_excel(self, path, *, lang: str = "en"):
        """A workbook of :meth:`summary` (table, caption and notes), written atomically."""
        from nqpf.report.results import excel

        return excel(self, path, lang=lang)

    def plot(self, kind: str = "ranking", *, lang: str = "en", path=None, fmt: str | None = None, **kw):
        """'ranking': bars of each unit's mean technical efficiency (BC), PNG/SVG at ``path`` or bytes."""
        from nqpf.report.results import plot

        return plot(self, kind, lang=lang, path=path, fmt=fmt, **kw)


def _design(df: pd.DataFrame, inputs: list[str], form: str, log: bool) -> tuple[np.ndarray, list[str]]:
    X = df[inputs].to_numpy(float)
    if log:
        X = np.log(X)
    names = ["const", *(f"ln_{c}" if log else c for c in inputs)]
    cols = [np.ones(len(df)), *X.T]
    if form == "translog":
        k = len(inputs)
        for a in range(k):
            for b in range(a, k):
                na, nb = names[1 + a], names[1 + b]
                if a == b:
                    cols.append(0.5 * X[:, a] ** 2)
                    names.append(f"0.5*{na}^2")
                else:
                    cols.append(X[:, a] * X[:, b])
                    names.append(f"{na}*{nb}")
    return np.column_stack(cols), names


def loglik_panel(
    eps: np.ndarray,
    groups: np.ndarray,
    eta_w: np.ndarray,
    mu: np.ndarray | float,
    sigma_u2: float,
    sigma_v2: float,
) -> np.ndarray:
    """Per-unit log-likelihood of the BC92 composed error (formula in the module docstring).

    ``eps``: residuals (production sign, ε = v − u); ``groups``: integer unit index 0..G−1; ``eta_w``: η_it;
    ``mu``: μ per unit (array of length G) or a scalar.
    """
    G = int(groups.max()) + 1
    T = np.bincount(groups, minlength=G)
    s_ee = np.bincount(groups, eps * eps, minlength=G)
    s_he = np.bincount(groups, eta_w * eps, minlength=G)
    s_hh = np.bincount(groups, eta_w * eta_w, minlength=G)
    mu = np.broadcast_to(np.asarray(mu, float), (G,))
    denom = sigma_v2 + sigma_u2 * s_hh
    mu_s = (mu * sigma_v2 - sigma_u2 * s_he) / denom
    sig_s = np.sqrt(sigma_u2 * sigma_v2 / denom)
    a = mu_s / sig_s
    b = mu / np.sqrt(sigma_u2)
    return (
        -0.5 * T * LN2PI
        - 0.5 * (T - 1) * np.log(sigma_v2)
        - 0.5 * np.log(denom)
        - 0.5 * s_ee / sigma_v2
        + 0.5 * a * a
        - 0.5 * b * b
        + special.log_ndtr(a)
        - special.log_ndtr(b)
    )


class _Spec:
    """Holds data arrays and maps parameter vectors to (β, σ_u², σ_v², μ per unit, η_it)."""

    def __init__(self, y, X, groups, tnorm, Z, dist, model, use_eta, sign):
        self.y, self.X, self.groups, self.tnorm, self.Z = y, X, groups, tnorm, Z
        self.dist, self.model, self.use_eta, self.sign = dist, model, use_eta, sign
        self.k = X.shape[1]
        self.n_mu = Z.shape[1] if model == "bc95" else (1 if dist == "truncated-normal" else 0)
        self.n_eta = 1 if use_eta else 0

    def unpack(self, theta: np.ndarray, reporting: bool):
        k = self.k
        beta = theta[:k]
        if reporting:
            sigma2, gamma = theta[k], theta[k + 1]
        else:
            sigma2, gamma = np.exp(theta[k]), special.expit(theta[k + 1])
        rest = theta[k + 2 :]
        mu_par = rest[: self.n_mu]
        eta = rest[self.n_mu] if self.use_eta else 0.0
        if self.model == "bc95":
            mu = self.Z @ mu_par
        elif self.n_mu:
            mu = mu_par[0]
        else:
            mu = 0.0
        eta_w = np.exp(-eta * self.tnorm) if self.use_eta else np.ones_like(self.y)
        return beta, sigma2, gamma, mu, eta, eta_w

    def loglik(self, theta: np.ndarray, reporting: bool = False) -> float:
        beta, sigma2, gamma, mu, _eta, eta_w = self.unpack(theta, reporting)
        if not (sigma2 > 0 and 0 < gamma < 1):
            return -np.inf
        eps = self.sign * (self.y - self.X @ beta)
        return float(loglik_panel(eps, self.groups, eta_w, mu, gamma * sigma2, (1 - gamma) * sigma2).sum())

    def score(self, theta: np.ndarray) -> np.ndarray:
        """Analytic gradient of the log-likelihood in the unconstrained parametrisation (ln σ², logit γ).

        With N = μσ_v² − σ_u² S_he, R = σ_u² σ_v² D, a = N/√R, b = μ/σ_u, A = a + φ(a)/Φ(a),
        B = −(b + φ(b)/Φ(b)): ∂ℓ/∂β = s Σ_t x_it (ε_it/σ_v² + σ_u² η_it A_i/√R_i), and the chain rule through
        D, N, R for σ_u², σ_v², μ and η (derivation in docs/productivity/sfa.md).
        """
        beta, sigma2, gamma, mu, _eta, h = self.unpack(theta, reporting=False)
        U, V = gamma * sigma2, (1 - gamma) * sigma2
        g_idx = self.groups
        G = int(g_idx.max()) + 1
        eps = self.sign * (self.y - self.X @ beta)
        T = np.bincount(g_idx, minlength=G)
        s_ee = np.bincount(g_idx, eps * eps, minlength=G)
        s_he = np.bincount(g_idx, h * eps, minlength=G)
        s_hh = np.bincount(g_idx, h * h, minlength=G)
        mu_g = np.broadcast_to(np.asarray(mu, float), (G,))
        D = V + U * s_hh
        N = mu_g * V - U * s_he
        R = U * V * D
        sq = np.sqrt(R)
        a = N / sq
        b = mu_g / np.sqrt(U)
        A = a + np.exp(stats.norm.logpdf(a) - special.log_ndtr(a))
        B = -(b + np.exp(stats.norm.logpdf(b) - special.log_ndtr(b)))
        # β
        per_obs = eps / V + U * h * (A / sq)[g_idx]
        g_beta = self.sign * (self.X.T @ per_obs)
        # σ_u², σ_v²
        g_U = np.sum(
            -0.5 * s_hh / D + A * (-s_he / sq - 0.5 * a * (V * D + U * V * s_hh) / R) - 0.5 * B * b / U
        )
        g_V = np.sum(
            -(T - 1) / (2 * V)
            - 0.5 / D
            + s_ee / (2 * V * V)
            + A * (mu_g / sq - 0.5 * a * (U * D + U * V) / R)
        )
        g_th_s = g_U * U + g_V * V
        g_th_g = sigma2 * gamma * (1 - gamma) * (g_U - g_V)
        out = [g_beta, [g_th_s, g_th_g]]
        if self.n_mu:
            g_mu = A * V / sq + B / np.sqrt(U)
            out.append(self.Z.T @ g_mu if self.model == "bc95" else [g_mu.sum()])
        if self.use_eta:
            dh = -self.tnorm * h
            d_she = np.bincount(g_idx, dh * eps, minlength=G)
            d_shh = np.bincount(g_idx, 2 * h * dh, minlength=G)
            g_eta = np.sum(-0.5 * U * d_shh / D + A * (-U * d_she / sq - 0.5 * a * U * U * V * d_shh / R))
            out.append([g_eta])
        return np.concatenate([np.atleast_1d(np.asarray(o, float)) for o in out])

    def to_reporting(self, theta: np.ndarray) -> np.ndarray:
        t = theta.copy()
        t[self.k] = np.exp(theta[self.k])
        t[self.k + 1] = special.expit(theta[self.k + 1])
        return t


def sfa(
    data: pd.DataFrame,
    *,
    output: str,
    inputs: list[str],
    unit: str | None = None,
    period: str | None = None,
    form: str = "cd",
    dist: str = "half-normal",
    model: str = "pooled",
    z: list[str] | None = None,
    eta: bool = True,
    cost: bool = False,
    log: bool = True,
    start: np.ndarray | None = None,
) -> SFAResult:
    """Estimate a stochastic frontier (see the module docstring for models and formulas).

    ``data`` is a wide table with the columns named; ``log`` takes logs of output and inputs (they must be
    positive). ``bc92``/``bc95`` need ``unit`` and ``period``; ``bc95`` needs ``z`` (a constant is added).
    ``start`` (reporting parametrisation: β, σ², γ, μ/δ, η) overrides the automatic starting values.
    """
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
        dist = "truncated-normal"
    elif z:
        raise MethodError("sfa: z (inefficiency determinants) is used only with model bc95")
    cols = [output, *inputs, *(z or [])]
    missing = [c for c in cols + [c for c in (unit, period) if c] if c not in data.columns]
    if missing:
        raise DataError(f"sfa: column(s) {missing} not found; columns are {list(data.columns)}")
    df = data.copy()
    df["__unit"] = df[unit].astype(str) if unit else np.arange(len(df)).astype(str)
    df["__period"] = period_column(df[period], column=period, context="sfa", units=df["__unit"]) if period else 1
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
    if log:
        for c in [output, *inputs]:
            nonpos = df[df[c] <= 0]
            if len(nonpos):
                r = nonpos.iloc[0]
                raise DataError(
                    f"sfa: unit {r['__unit']!r}, period {r['__period']}: {c} = {r[c]} must be positive "
                    "(logs are taken); remove the row or pass log=False with already-logged data"
                )
    if df.duplicated(["__unit", "__period"]).any() and model != "pooled":
        raise DataError("sfa: duplicate (unit, period) rows; each unit needs one row per period")
    X, xnames = _design(df, inputs, form, log)
    y = np.log(df[output].to_numpy(float)) if log else df[output].to_numpy(float)
    n, k = X.shape
    if n <= k + 2:
        raise MethodError(f"sfa: {n} observations for {k + 2}+ parameters; more data or fewer inputs needed")
    for j in range(1, X.shape[1]):
        if np.ptp(X[:, j]) == 0:
            raise DataError(f"sfa: regressor {xnames[j]} is constant; remove it")
    sign = -1.0 if cost else 1.0
    if model == "bc92":
        codes, uniq = pd.factorize(df["__unit"])
        groups = codes.astype(np.int64)
        tnorm = (df["__period"] - df["__period"].max()).to_numpy(float)
        use_eta = eta
    else:
        groups = np.arange(n)
        tnorm = np.zeros(n)
        use_eta = False
    Z = np.column_stack([np.ones(n), df[z].to_numpy(float)]) if model == "bc95" else np.empty((n, 0))
    zn = ["delta_const", *(f"delta_{c}" for c in z)] if model == "bc95" else []
    spec = _Spec(y, X, groups, tnorm, Z, dist, model, use_eta, sign)

    # OLS and starting values
    beta_ols, *_ = np.linalg.lstsq(X, y, rcond=None)
    res = y - X @ beta_ols
    s2_ols = res @ res / (n - k)
    ols_ll = float(-0.5 * n * (LN2PI + np.log(res @ res / n) + 1))
    cov_ols = s2_ols * np.linalg.inv(X.T @ X)
    ols = pd.DataFrame({"name": xnames, "estimate": beta_ols, "std_error": np.sqrt(np.diag(cov_ols))})
    m2, m3 = np.mean(res**2), np.mean(res**3) * sign
    warn_list: list[str] = []
    if m3 > 0:
        msg = (
            "sfa: OLS residuals are skewed the wrong way for a "
            + ("cost" if cost else "production")
            + " frontier; the MLE tends to γ → 0 (no inefficiency)"
        )
        warnings.warn(msg, stacklevel=2)
        warn_list.append(msg)
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
            s2 = m2 / (1 - 2 * g / np.pi)  # keeps Var(ε) = σ_v² + (1−2/π)σ_u² at the OLS value
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

    def negll(t):
        v = spec.loglik(t)
        return 1e10 if not np.isfinite(v) else -v

    def negscore(t):
        g = -spec.score(t)
        return np.where(np.isfinite(g), g, 0.0)

    def neghess(t):
        """Hessian of −log L by central differences of the analytic score (symmetrised)."""
        h = 1e-5 * np.maximum(np.abs(t), 1.0)
        e = np.eye(len(t))
        H = np.column_stack(
            [(negscore(t + e[i] * h[i]) - negscore(t - e[i] * h[i])) / (2 * h[i]) for i in range(len(t))]
        )
        return (H + H.T) / 2

    opt = optimize.minimize(
        negll, theta0, jac=negscore, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000}
    )
    # Newton polish (analytic score, Hessian from score differences) with step halving.
    x_opt, f_opt = opt.x.copy(), float(opt.fun)
    grad = negscore(x_opt)
    for _ in range(50):
        H = neghess(x_opt)
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
            f_new = negll(x_opt + t_ * step)
            if f_new <= f_opt:
                break
            t_ /= 2
        if t_ <= 1e-8:
            break
        x_opt, f_opt = x_opt + t_ * step, f_new
        grad = negscore(x_opt)
    opt.x, opt.fun = x_opt, f_opt
    max_grad = float(np.max(np.abs(grad)))
    # Newton decrement g'H^{-1}g: twice the log-likelihood gain a Newton step would still promise; a
    # maximum has H positive definite (of -log L) and a negligible decrement.
    H_u = neghess(x_opt)
    try:
        cov_u = np.linalg.inv(H_u)
        decrement = float(grad @ cov_u @ grad)
        pos_def = bool(np.all(np.linalg.eigvalsh(H_u) > 0))
    except np.linalg.LinAlgError:
        cov_u, decrement, pos_def = None, np.inf, False
    converged = pos_def and 0 <= decrement < 1e-6
    if not converged:
        warn_list.append(
            f"sfa: no clear maximum (Newton decrement {decrement:.3g}, Hessian positive definite: {pos_def}); "
            "the estimate may not be a maximum — try other start values (start=) or rescale the data"
        )
    theta = spec.to_reporting(opt.x)
    ll = spec.loglik(theta, reporting=True)
    names = [*xnames, "sigma2", "gamma"]
    if model == "bc95":
        names += zn
    elif spec.n_mu:
        names.append("mu")
    if use_eta:
        names.append("eta")
    # Covariance in the reporting parametrisation by the delta method: σ² = exp(θ_s), γ = expit(θ_g).
    if cov_u is not None:
        J = np.ones(len(theta))
        J[k] = theta[k]
        J[k + 1] = theta[k + 1] * (1 - theta[k + 1])
        cov = cov_u * np.outer(J, J)
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

    # efficiencies
    beta, sigma2, gamma, mu, eta_hat, eta_w = spec.unpack(theta, reporting=True)
    su2, sv2 = gamma * sigma2, (1 - gamma) * sigma2
    eps = sign * (y - X @ beta)
    G = int(groups.max()) + 1
    s_he = np.bincount(groups, eta_w * eps, minlength=G)
    s_hh = np.bincount(groups, eta_w * eta_w, minlength=G)
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
    effs = pd.DataFrame(
        {
            "unit": df["__unit"].to_numpy(),
            "period": df["__period"].to_numpy(),
            "residual": y - X @ beta,
            "efficiency_bc": eff_bc,
            "efficiency_jlms": np.exp(-u_hat),
            "u_jlms": u_hat,
        }
    )
    for w in warn_list[1 if m3 > 0 else 0 :]:
        warnings.warn(w, stacklevel=2)
    manifest = {
        "output": output,
        "inputs": list(inputs),
        "form": form,
        "dist": dist,
        "model": model,
        "z": list(z or []),
        "eta": bool(use_eta),
        "cost": cost,
        "log": log,
        "n_obs": n,
        "n_units": int(effs["unit"].nunique()),
        "optimizer": "BFGS with analytic score, then Newton polish",
        "converged": bool(converged),
        "max_abs_gradient": max_grad,
        "newton_decrement": decrement,
        "optimizer_message": str(opt.message),
        "ols_loglik": ols_ll,
        "loglik": ll,
        "warnings": warn_list,
        "parametrisation": "sigma2 = sigma_u^2 + sigma_v^2, gamma = sigma_u^2 / sigma2 (FRONTIER 4.1)",
        "efficiency": "efficiency_bc = E[exp(-u)|e] (Battese & Coelli 1988/1992); efficiency_jlms = exp(-E[u|e]) (Jondrow et al. 1982)",
        "versions": package_versions(),
    }
    return SFAResult(
        params=params, loglik=ll, efficiencies=effs, ols=ols, ols_loglik=ols_ll, manifest=manifest
    )
