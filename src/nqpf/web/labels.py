"""Method names and index errors in the dashboard's terms (catalogue labels, the page's language)."""

from __future__ import annotations

import re
from typing import Any

from nqpf.errors import DataError, NQPFError
from nqpf.web.schemas import STEP_FIELDS


def method_label(step: str, value: str, lang: str) -> str:
    """A method's catalogue name (``index.<step>.<value>``; a chain joined with '+'), else the value."""
    from nqpf.i18n import catalogue

    cat = catalogue()
    key = {"weight_scope": "scope"}.get(step, step)
    parts = str(value).split("+") if step == "impute" else [str(value)]
    return " + ".join(cat[f"index.{key}.{p}"][lang] if f"index.{key}.{p}" in cat else p for p in parts)


def method_choices(lang: str) -> dict[str, list[dict[str, Any]]]:
    """Every value :data:`nqpf.index.registry.STEPS` allows, per request field, with its catalogue name."""
    from nqpf.index.registry import STEPS

    return {f: [{"value": v, "label": method_label(step, v, lang)} for v in STEPS[step]]
            for f, step in STEP_FIELDS.items()}


def gap_error(exc: NQPFError, impute: str, lang: str) -> NQPFError:
    """The index's errors a dashboard user can act on — missing values remain, a ratio without its base year,
    AHP without pairwise matrices — in the dashboard's terms (its controls, unit names, the page's language);
    any other error unchanged."""
    from nqpf.data.units import unit_name
    from nqpf.i18n import t

    if str(exc).startswith("ratio normalisation needs"):
        return DataError(t("web.ratio_needs", lang))
    if str(exc).startswith("AHP weights: node"):
        return DataError(t("web.ahp_needs", lang))
    m = re.match(r"missing values remain after impute=.*?: (.*?); (choose|chain) ", str(exc), re.S)
    if not m:
        return exc
    sep = "、" if lang == "zh" else "; "
    items = []
    for ind, n, us in re.findall(r"'([^']+)': (\d+) cell\(s\)(?:, e\.g\. unit\(s\) \[([^\]]*)\])?", m.group(1)):
        units = [unit_name(u.strip().strip("'\""), lang) for u in us.split(",") if u.strip()]
        name = ind[2:] if ind.startswith("i_") else ind  # the 'auto' framework's leaf of a column
        items.append(t("web.gap_item", lang, indicator=name, n=n, units=("，" if lang == "zh" else ", ").join(units)))
    return DataError(t("web.gaps", lang, impute=method_label("impute", impute, lang),
                       gaps=sep.join(items) if items else m.group(1)))
