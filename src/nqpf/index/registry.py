"""The one registry of index methods and the one settings rule.

Every list of allowed values for a step of :func:`~nqpf.index.build_index` lives here (the step modules own
their ``METHODS`` tuples; this module gathers them) together with the option names, the engine defaults and
:func:`resolve_method`, the rule that fills an unset step from the framework's declared ``method:`` block,
else the engine default. :class:`~nqpf.index.spec.IndexSpec`, the pipeline, the uncertainty analysis, the
CLI choices and the web schema should all read from here rather than keep their own copies.

=============== ======================================================================================
step            allowed values (:data:`STEPS`)
=============== ======================================================================================
impute          :data:`nqpf.index.impute.METHODS`, chained with ``+`` (applied in order)
treat           :data:`nqpf.index.treat.METHODS`
normalize       :data:`nqpf.index.normalize.METHODS`
weights         :data:`WEIGHT_METHODS`; ``subjective+objective`` or two objective methods (``a+b``)
weight_scope    :data:`WEIGHT_SCOPES`
aggregate       :data:`nqpf.index.aggregate.METHODS`, or a mapping node / level / ``default`` → method
=============== ======================================================================================
"""

from __future__ import annotations

from typing import Any

from nqpf.errors import DataError, FrameworkError, MethodError
from nqpf.framework import Framework, load_framework
from nqpf.index import aggregate as _agg
from nqpf.index import impute as _imp
from nqpf.index import normalize as _nrm
from nqpf.index import treat as _trt
from nqpf.index import weights as _wts

IMPUTE_METHODS: tuple[str, ...] = tuple(_imp.METHODS)
TREAT_METHODS: tuple[str, ...] = tuple(_trt.METHODS)
NORMALIZE_METHODS: tuple[str, ...] = tuple(_nrm.METHODS)
WEIGHT_METHODS: tuple[str, ...] = ("equal", "fixed", "ahp", "entropy", "critic", "cv", "pca")
SUBJECTIVE_WEIGHTS: tuple[str, ...] = tuple(_wts.SUBJECTIVE)
OBJECTIVE_WEIGHTS: tuple[str, ...] = tuple(_wts.OBJECTIVE)
WEIGHT_SCOPES: tuple[str, ...] = ("leaves", "parent")
AGGREGATE_METHODS: tuple[str, ...] = tuple(_agg.METHODS)
COMBINE_METHODS: tuple[str, ...] = ("linear", "multiplicative")
ZERO_RULES: tuple[str, ...] = ("shift", "zero", "error")
UNIT_READ_MODES: tuple[str, ...] = ("province", "none")

STEPS: dict[str, tuple[str, ...]] = {
    "impute": IMPUTE_METHODS,
    "treat": TREAT_METHODS,
    "normalize": NORMALIZE_METHODS,
    "weights": WEIGHT_METHODS,
    "weight_scope": WEIGHT_SCOPES,
    "aggregate": AGGREGATE_METHODS,
}

ENGINE_DEFAULTS: dict[str, Any] = {
    "impute": "none",
    "treat": "none",
    "normalize": "minmax-global",
    "weights": "entropy",
    "weight_scope": "leaves",
    "aggregate": "arithmetic",
}
OPTIONS = (
    "impute_limit",
    "groups",
    "winsorize_q",
    "winmax",
    "treat_columns",
    "base_year",
    "ref_unit",
    "ratio_scale",
    "entropy_shift",
    "minmax_eps",
    "ahp",
    "ahp_force",
    "max_cr",
    "combine",
    "alpha",
    "zero_rule",
    "delta",
    "rho",
    "min_units",
    "units",
    "drop_incomplete_units",
)


def parse_periods(periods) -> list[int] | None:
    """``"2012-2022"`` / ``(2012, 2022)`` → inclusive range; a list → those years; None → all. A range written
    backwards or an empty selection is refused (:func:`nqpf.data.parse.check_period_range`)."""
    if periods is None:
        return None
    from nqpf.data.parse import check_period_range

    check_period_range(periods)
    if isinstance(periods, str):
        s = periods.strip()
        if "-" in s[1:]:
            a, b = s.split("-", 1) if not s.startswith("-") else (s, "")
            try:
                lo, hi = int(a), int(b)
            except ValueError:
                raise DataError(
                    f"periods {periods!r}: use a range like 2012-2022 or a list of years"
                ) from None
            return list(range(lo, hi + 1))
        try:
            return [int(x) for x in s.replace(";", ",").split(",") if x.strip()]
        except ValueError:
            raise DataError(f"periods {periods!r}: use a range like 2012-2022 or a list of years") from None
    if isinstance(periods, tuple) and len(periods) == 2:
        return list(range(int(periods[0]), int(periods[1]) + 1))
    return [int(p) for p in periods]


def periods_setting(pers: list[int] | None, source: str):
    """The periods as an argument that regenerates them: ``"lo-hi"`` for a contiguous range (``parse_periods``
    reads it back as the range, where a two-element list would mean two years), ``"all"`` when all periods
    were asked for (``None`` would re-apply the framework's span), else the explicit list."""
    if pers is None:
        return "all" if source == "all" else None
    lo, hi = int(min(pers)), int(max(pers))
    if lo != hi and sorted(pers) == list(range(lo, hi + 1)):
        return f"{lo}-{hi}"
    return [int(p) for p in pers]


def parse_weights(weights: str) -> tuple[str | None, str | None]:
    """'entropy' → (None, 'entropy'); 'ahp' → ('ahp', None); 'fixed+critic' → ('fixed', 'critic');
    'entropy+critic' → (None, 'entropy+critic') (two objective methods, combined)."""
    parts = [p.strip() for p in str(weights).split("+")]
    for p in parts:
        if p not in WEIGHT_METHODS:
            raise MethodError(
                f"unknown weighting {p!r}; choose from {WEIGHT_METHODS} or 'subjective+objective' "
                "such as 'ahp+entropy', or two objective methods such as 'entropy+critic'"
            )
    if len(parts) == 1:
        p = parts[0]
        return (p, None) if p in ("fixed", "ahp") else (None, p)
    if len(parts) == 2 and parts[0] in SUBJECTIVE_WEIGHTS and parts[1] in OBJECTIVE_WEIGHTS:
        return parts[0], parts[1]
    if len(parts) == 2 and parts[0] in OBJECTIVE_WEIGHTS and parts[1] in OBJECTIVE_WEIGHTS and parts[0] != parts[1]:
        return None, f"{parts[0]}+{parts[1]}"
    raise MethodError(
        f"weight combination {weights!r}: write subjective+objective (e.g. 'ahp+entropy') or two different "
        "objective methods (e.g. 'entropy+critic')"
    )


def framework_method(fw: Framework) -> dict[str, Any]:
    """The framework's declared method (its YAML ``method:`` block), checked: step names from
    :data:`ENGINE_DEFAULTS` and options from :data:`OPTIONS`. A published system carries its own method this way;
    ``build_index`` uses it wherever the call leaves a step or option unset."""
    m = fw.meta.get("method") or {}
    if not isinstance(m, dict):
        raise FrameworkError(f"framework {fw.name!r}: 'method' must be a mapping such as {{weights: entropy}}")
    bad = sorted(set(m) - set(ENGINE_DEFAULTS) - set(OPTIONS))
    if bad:
        raise FrameworkError(
            f"framework {fw.name!r}: unknown key(s) {bad} in 'method'; allowed: "
            f"{sorted(ENGINE_DEFAULTS)} and options {sorted(OPTIONS)}"
        )
    return dict(m)


def resolve_method(fw: Any, **given: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """The one rule for settings, used by ``build_index``, the uncertainty analysis, the reports and the
    dashboard: a step (``impute`` … ``aggregate``) or option given as None or not at all takes the framework's
    declared ``method:`` value, else the engine default. Returns (steps, options, source of each setting:
    argument / framework / default). ``fw``: anything :func:`~nqpf.framework.load_framework` accepts."""
    declared = framework_method(load_framework(fw))
    steps: dict[str, Any] = {}
    source: dict[str, str] = {}
    for k, default in ENGINE_DEFAULTS.items():
        v = given.get(k)
        if v is not None:
            steps[k], source[k] = v, "argument"
        elif k in declared:
            steps[k], source[k] = declared[k], "framework"
        else:
            steps[k], source[k] = default, "default"
    options = {k: v for k, v in given.items() if k not in ENGINE_DEFAULTS}
    for k in options:
        source[k] = "argument"
    for k, v in declared.items():
        if k in OPTIONS and k not in options:
            options[k] = v
            source[k] = "framework"
    return steps, options, source


def check_step(step: str, value: Any, *, field: str | None = None) -> None:
    """Raise :class:`~nqpf.errors.MethodError` naming ``field`` (default: the step) and the allowed values
    when ``value`` is not a valid choice for ``step`` (one of :data:`STEPS`)."""
    name = field or step
    if step == "impute":
        parts = [p.strip() for p in str(value).split("+")] if isinstance(value, str) else [value]
        bad = [p for p in parts if p not in IMPUTE_METHODS]
        if bad:
            raise MethodError(
                f"{name}: unknown imputation {bad[0]!r}; allowed: {', '.join(IMPUTE_METHODS)} "
                "(chain with '+', e.g. 'linear-carry+group-mean')"
            )
    elif step == "weights":
        if not isinstance(value, str):
            raise MethodError(f"{name}: must be a string such as 'entropy'; allowed: {', '.join(WEIGHT_METHODS)}")
        try:
            parse_weights(value)
        except MethodError as exc:
            raise MethodError(f"{name}: {exc}") from None
    elif step == "aggregate":
        if isinstance(value, dict):
            for k, m in value.items():
                if m not in AGGREGATE_METHODS:
                    raise MethodError(
                        f"{name}[{k!r}]: unknown aggregation {m!r}; allowed: {', '.join(AGGREGATE_METHODS)}"
                    )
        elif value not in AGGREGATE_METHODS:
            raise MethodError(
                f"{name}: unknown aggregation {value!r}; allowed: {', '.join(AGGREGATE_METHODS)} or a mapping "
                "node/level/'default' → method"
            )
    elif step in STEPS:
        if value not in STEPS[step]:
            raise MethodError(f"{name}: unknown value {value!r}; allowed: {', '.join(STEPS[step])}")
    else:
        raise MethodError(f"unknown step {step!r}; steps are {', '.join(STEPS)}")
