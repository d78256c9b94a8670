"""Composite-index engine: impute → treat → normalise → weight → aggregate; ``build_index`` → ``IndexResult``;
an ``IndexSpec`` holds every choice of an index (``build_index(spec)``, ``result.spec``, ``result.regen``).
The stages (``nqpf.index.stages``: grid → impute → treat → normalise → weight → aggregate → rank) each write
to the build's ``Log`` (``result.log``); their data sets are kept on the result (``result.stages``).

Every step is also usable alone on numpy arrays (rows = unit-periods, columns = indicators) or DataFrames.
"""

from nqpf.index.aggregate import aggregate_array, aggregate_frame, arithmetic, geometric, grey, topsis
from nqpf.index.impute import carry_nearest, group_mean, impute_array, impute_frame, interpolate_linear
from nqpf.index.log import Log
from nqpf.index.normalize import minmax, normalize_array, normalize_frame, rank_pct, ratio, vector, zscore
from nqpf.index.pipeline import build_index, parse_periods, rank_within_periods, resolve_method, run_stages
from nqpf.index.result import IndexResult
from nqpf.index.spec import IndexSpec
from nqpf.index.treat import log_ct, treat_array, treat_frame, treat_skewkurt, winsorize
from nqpf.index.weights import (
    SAATY_RI,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    equal_weights,
    objective_weights,
    pca_weights,
    weights_frame,
)

__all__ = [
    "IndexResult",
    "IndexSpec",
    "Log",
    "SAATY_RI",
    "aggregate_array",
    "aggregate_frame",
    "ahp_weights",
    "arithmetic",
    "build_index",
    "carry_nearest",
    "combine_weights",
    "critic_weights",
    "cv_weights",
    "entropy_weights",
    "equal_weights",
    "geometric",
    "grey",
    "group_mean",
    "impute_array",
    "impute_frame",
    "interpolate_linear",
    "log_ct",
    "minmax",
    "normalize_array",
    "normalize_frame",
    "objective_weights",
    "parse_periods",
    "pca_weights",
    "rank_pct",
    "rank_within_periods",
    "resolve_method",
    "run_stages",
    "ratio",
    "topsis",
    "treat_array",
    "treat_frame",
    "treat_skewkurt",
    "vector",
    "weights_frame",
    "winsorize",
    "zscore",
]
