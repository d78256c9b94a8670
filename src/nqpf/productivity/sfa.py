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

import nqpf.index.result  # noqa: F401 - registers the DataFrame.nqpf accessor (summary, to_latex, plot)
from nqpf._protocol import ResultProtocol, ensure_manifest
from nqpf._util import package_versions
from nqpf.productivity.sfa_fit import (
    DISTS,
    FORMS,
    MODELS,
    build_design,
    check_settings,
    efficiencies,
    maximise,
    ols,
    param_table,
    prepare_frame,
    start_values,
)
from nqpf.productivity.sfa_model import LN2PI, _Spec, loglik_panel

# _Spec and loglik_panel are re-exported: the tests check the likelihood through this module
__all__ = ["DISTS", "FORMS", "LN2PI", "MODELS", "SFAResult", "_Spec", "loglik_panel", "sfa"]


@dataclass
class SFAResult(ResultProtocol):
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

    # --- results protocol (nqpf._protocol): summary/to_latex/to_excel/plot/write from ResultProtocol ---
    kind = "sfa"  # the plot kinds: 'ranking' (bars of each unit's mean technical efficiency, BC)

    def __post_init__(self) -> None:
        ensure_manifest(self.manifest, self.kind)  # the common manifest keys (schema nqpf.manifest/1)

    def to_frame(self) -> pd.DataFrame:
        """The tidy efficiencies: unit, period, residual, efficiency_bc, efficiency_jlms, u_jlms."""
        return self.efficiencies

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables of :meth:`write`'s folder form: params, efficiencies, ols."""
        return {"params": self.params, "efficiencies": self.efficiencies, "ols": self.ols}


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
    dist = check_settings(form, dist, model, unit, period, z)
    cols = [output, *inputs, *(z or [])]
    df = prepare_frame(data, cols, [output, *inputs] if log else [], unit, period, model)
    sign = -1.0 if cost else 1.0
    design = build_design(df, output, inputs, z, (form, dist, model, eta, log, sign))
    spec = design.spec
    beta_ols, ols_table, ols_ll, moments = ols(spec, design.xnames)
    warn_list: list[str] = []
    skewed = moments[1] > 0
    if skewed:
        msg = (
            "sfa: OLS residuals are skewed the wrong way for a "
            + ("cost" if cost else "production")
            + " frontier; the MLE tends to γ → 0 (no inefficiency)"
        )
        warnings.warn(msg, stacklevel=2)
        warn_list.append(msg)
    fit = maximise(spec, start_values(spec, beta_ols, moments, start))
    if not fit.converged:
        warn_list.append(
            f"sfa: no clear maximum (Newton decrement {fit.decrement:.3g}, Hessian positive definite: "
            f"{fit.pos_def}); the estimate may not be a maximum — try other start values (start=) or rescale "
            "the data"
        )
    theta, params = param_table(spec, design, fit, warn_list)
    ll = spec.loglik(theta, reporting=True)
    effs = efficiencies(spec, theta, df)
    for w in warn_list[1 if skewed else 0 :]:
        warnings.warn(w, stacklevel=2)
    manifest = {
        "output": output,
        "inputs": list(inputs),
        "form": form,
        "dist": dist,
        "model": model,
        "z": list(z or []),
        "eta": bool(spec.use_eta),
        "cost": cost,
        "log": log,
        "n_obs": len(spec.y),
        "n_units": int(effs["unit"].nunique()),
        "optimizer": "BFGS with analytic score, then Newton polish",
        "converged": bool(fit.converged),
        "max_abs_gradient": float(np.max(np.abs(fit.grad))),
        "newton_decrement": fit.decrement,
        "optimizer_message": str(fit.opt.message),
        "ols_loglik": ols_ll,
        "loglik": ll,
        "warnings": warn_list,
        "parametrisation": "sigma2 = sigma_u^2 + sigma_v^2, gamma = sigma_u^2 / sigma2 (FRONTIER 4.1)",
        "efficiency": "efficiency_bc = E[exp(-u)|e] (Battese & Coelli 1988/1992); efficiency_jlms = exp(-E[u|e]) (Jondrow et al. 1982)",
        "versions": package_versions(),
    }
    return SFAResult(
        params=params, loglik=ll, efficiencies=effs, ols=ols_table, ols_loglik=ols_ll, manifest=manifest
    )
