"""Request and answer models of the dashboard API (pydantic), and the defaults they name.

The step enums hold every value :data:`nqpf.index.registry.STEPS` allows (the one registry: a method added
there is offered by the web schema too).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

DEFAULT_DATASET = "cn_provinces"
DEFAULT_FRAMEWORK = "nqpf-core"
# gaps in an upload (or a framework that declares no gap filling) are filled like `nqpf index` / `nqpf report`
DEFAULT_IMPUTE = "linear-carry"
#: the dashboard's levels: level -> (shipped dataset, its framework); the overview switches between them
LEVELS: dict[str, tuple[str, str]] = {"province": (DEFAULT_DATASET, DEFAULT_FRAMEWORK),
                                      "city": ("cn_cities", "city-structure-green")}


def _step_enum(name: str, step: str) -> type[StrEnum]:
    """A request enum of every value the registry allows for ``step`` (``-``/``+`` become ``_`` in names)."""
    from nqpf.index.registry import STEPS

    return StrEnum(name, {v.replace("-", "_").replace("+", "_"): v for v in STEPS[step]})  # type: ignore[return-value]


Impute = _step_enum("Impute", "impute")
Treat = _step_enum("Treat", "treat")
Normalize = _step_enum("Normalize", "normalize")
Weights = _step_enum("Weights", "weights")
Scope = _step_enum("Scope", "weight_scope")
Aggregate = _step_enum("Aggregate", "aggregate")
# the step of each request field (the methods form, the schema test and /api/methods read it)
STEP_FIELDS: dict[str, str] = {"impute": "impute", "treat": "treat", "normalize": "normalize",
                               "weights": "weights", "weight_scope": "weight_scope", "aggregate": "aggregate"}


class Lang(StrEnum):
    zh = "zh"
    en = "en"


Level = StrEnum("Level", {k: k for k in LEVELS})  # province, city


class UnitsKind(StrEnum):
    province = "province"
    none = "none"


class DownloadKind(StrEnum):
    scores_csv = "scores.csv"
    weights_csv = "weights.csv"
    manifest_json = "manifest.json"
    report_html = "report.html"
    report_xlsx = "report.xlsx"


class RunRequest(BaseModel):
    """Settings of one index computation."""

    dataset: str | None = Field(DEFAULT_DATASET, max_length=64, description="built-in dataset name")
    upload: str | None = Field(None, max_length=64, description="id of an uploaded dataset (instead of dataset)")
    framework: str = Field(DEFAULT_FRAMEWORK, max_length=64,
                           description="built-in framework name, or 'auto' for an upload (every column a +1 leaf)")
    # None (omitted) = the framework's declared method, else the engine default (nqpf.index.resolve_method)
    normalize: Normalize | None = None
    weights: Weights | None = None
    weight_scope: Scope | None = None
    aggregate: Aggregate | None = None
    periods: str | None = Field(None, max_length=16, pattern=r"^\d{4}(-\d{4})?$",
                                description="e.g. 2012-2022 (default: the framework's periods, else all)")
    impute: Impute | None = None
    treat: Treat | None = None
    base_year: int | None = Field(None, ge=1900, le=2100,
                                  description="normalize 'ratio': each unit against its own value in this year")
    ref_unit: str | None = Field(None, max_length=64,
                                 description="normalize 'ratio': every row against this unit in the same year")
    mapping: dict[str, str] | None = Field(
        None, max_length=500,
        description="uploads only: {leaf id of the built-in framework: uploaded indicator}; unmapped leaves are dropped",
    )


class RunSummary(BaseModel):
    id: str
    source: str
    settings: dict[str, Any]
    periods: list[int]
    units: int
    nodes: list[str]
    elapsed_ms: float


class ErrorBody(BaseModel):
    error: str
    detail: Any = None
    code: str | None = Field(None, description="stable code of a refusal, e.g. sheet_too_large, busy")
