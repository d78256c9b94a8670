"""Analysis of index results and any panel column: inequality (Dagum, Theil, CV), distribution dynamics
(kernel density, Markov, spatial Markov), convergence (σ, β, Phillips–Sul clubs), spatial statistics
(weights, Moran, Geary, LISA, G*), coupling coordination, obstacle degree and forecasts (GM(1,1) + Holt).

Every function takes a pandas DataFrame and returns a tidy DataFrame with its manifest (schema
``nqpf.manifest/1``, :func:`nqpf._protocol.manifest`) in ``result.attrs["manifest"]``; ``df.nqpf`` gives the
results protocol (``manifest``, ``to_frame``, ``summary``, ``write`` …; pandas drops ``attrs`` in ``merge``).
Coefficient tables have the columns ``estimate, std_error, t, p_value``. See ``docs/analysis/`` for formulas
and references.
"""

from __future__ import annotations

from nqpf.analysis import levels  # city/province levels: ranks, aggregation_check, growth, breaks
from nqpf.analysis.convergence import (
    beta_cross_section,
    beta_panel,
    beta_panel_sar,
    clubs,
    half_life,
    log_t,
    sigma,
)
from nqpf.analysis.coupling import coupling, coupling_degree, coupling_from_index, grade_label, grade_level
from nqpf.analysis.density import bandwidth, kde, kde_over_time
from nqpf.analysis.forecast import GM11, forecast, forecast_panel, gm11
from nqpf.analysis.inequality import cv, dagum, gini, mean_abs_diff, theil, within_between
from nqpf.analysis.markov import markov, quantile_cutoffs, spatial_markov, steady_state
from nqpf.analysis.obstacle import obstacle_degree, relative_obstacle_degree, top_obstacles
from nqpf.analysis.spatial import (
    contiguity_weights,
    distance_matrix,
    distance_weights,
    economic_weights,
    geary,
    hotspots,
    lisa,
    moran,
    provinces_geo,
    weights_from_geojson,
    weights_matrix,
)

__all__ = [
    "levels",
    "GM11",
    "distance_matrix",
    "grade_label",
    "grade_level",
    "quantile_cutoffs",
    "relative_obstacle_degree",
    "weights_matrix",
    "within_between",
    "bandwidth",
    "beta_cross_section",
    "beta_panel",
    "beta_panel_sar",
    "clubs",
    "contiguity_weights",
    "coupling",
    "coupling_degree",
    "coupling_from_index",
    "cv",
    "dagum",
    "distance_weights",
    "economic_weights",
    "forecast",
    "forecast_panel",
    "geary",
    "gini",
    "gm11",
    "half_life",
    "hotspots",
    "kde",
    "kde_over_time",
    "lisa",
    "log_t",
    "markov",
    "mean_abs_diff",
    "moran",
    "obstacle_degree",
    "provinces_geo",
    "sigma",
    "spatial_markov",
    "steady_state",
    "theil",
    "top_obstacles",
    "weights_from_geojson",
]
