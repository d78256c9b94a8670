"""The SFA likelihood of :func:`nqpf.productivity.sfa.sfa`: design matrix, per-unit log-likelihood of the
Battese–Coelli (1992) composed error and its analytic score (formulas in :mod:`nqpf.productivity.sfa`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

LN2PI = np.log(2 * np.pi)


def _design(df: pd.DataFrame, inputs: list[str], form: str, log: bool) -> tuple[np.ndarray, list[str]]:
    """Regressors and their names: constant, (ln) inputs and, for ``translog``, ½ x_a² and x_a x_b."""
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


def unit_sums(
    groups: np.ndarray, eps: np.ndarray, eta_w: np.ndarray
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit i of ``groups`` (0..G−1): (G, T_i, S_ee = Σ ε², S_he = Σ η ε, S_hh = Σ η²)."""
    G = int(groups.max()) + 1
    T = np.bincount(groups, minlength=G)
    s_ee = np.bincount(groups, eps * eps, minlength=G)
    s_he = np.bincount(groups, eta_w * eps, minlength=G)
    s_hh = np.bincount(groups, eta_w * eta_w, minlength=G)
    return G, T, s_ee, s_he, s_hh


def loglik_panel(
    eps: np.ndarray,
    groups: np.ndarray,
    eta_w: np.ndarray,
    mu: np.ndarray | float,
    sigma_u2: float,
    sigma_v2: float,
) -> np.ndarray:
    """Per-unit log-likelihood of the BC92 composed error (formula in :mod:`nqpf.productivity.sfa`).

    ``eps``: residuals (production sign, ε = v − u); ``groups``: integer unit index 0..G−1; ``eta_w``: η_it;
    ``mu``: μ per unit (array of length G) or a scalar.
    """
    G, T, s_ee, s_he, s_hh = unit_sums(groups, eps, eta_w)
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
        """(β, σ², γ, μ, η, η_it) of ``theta``: reporting (σ², γ) or unconstrained (ln σ², logit γ) form."""
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
        """Total log-likelihood at ``theta`` (−inf outside σ² > 0, 0 < γ < 1)."""
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
        eps = self.sign * (self.y - self.X @ beta)
        G, T, s_ee, s_he, s_hh = unit_sums(g_idx, eps, h)
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
        """Unconstrained (ln σ², logit γ) → reporting (σ², γ) parametrisation."""
        t = theta.copy()
        t[self.k] = np.exp(theta[self.k])
        t[self.k + 1] = special.expit(theta[self.k + 1])
        return t
