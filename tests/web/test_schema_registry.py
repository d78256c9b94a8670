"""The web schema offers exactly the methods of the one registry (nqpf.index.registry), by catalogue name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nqpf.i18n import catalogue
from nqpf.index.registry import STEPS

FIELDS = {"impute": "impute", "treat": "treat", "normalize": "normalize", "weights": "weights",
          "weight_scope": "weight_scope", "aggregate": "aggregate"}


def _enum(schema: dict, prop: dict) -> list[str]:
    """The enum of a RunRequest property (``anyOf: [{$ref}, {type: null}]``)."""
    for alt in prop.get("anyOf", [prop]):
        if "$ref" in alt:
            return schema["components"]["schemas"][alt["$ref"].rsplit("/", 1)[-1]]["enum"]
        if "enum" in alt:
            return alt["enum"]
    raise AssertionError(f"no enum in {prop}")


def test_openapi_choices_equal_registry(client):
    schema = client.get("/openapi.json").json()
    props = schema["components"]["schemas"]["RunRequest"]["properties"]
    for field, step in FIELDS.items():
        assert _enum(schema, props[field]) == list(STEPS[step]), field


def test_methods_endpoint_names_every_method(client):
    cat = catalogue()
    for lang in ("zh", "en"):
        body = client.get("/api/methods", params={"lang": lang}).json()
        assert set(body["choices"]) == set(FIELDS)
        assert body["default_impute"] in STEPS["impute"]
        for field, step in FIELDS.items():
            got = body["choices"][field]
            assert [c["value"] for c in got] == list(STEPS[step])
            key = "scope" if step == "weight_scope" else step
            for c in got:  # every option is shown by its catalogue name, never by its code
                assert c["label"] == cat[f"index.{key}.{c['value']}"][lang]
    zh = {c["value"]: c["label"] for c in client.get("/api/methods", params={"lang": "zh"}).json()["choices"]["weights"]}
    assert zh["entropy"] == "熵值法" and zh["critic"].startswith("CRITIC")


@pytest.mark.parametrize(("field", "value"), [("normalize", "vector"), ("impute", "mean"), ("weights", "pca")])
def test_methods_missing_before_are_accepted(client, field, value):
    # these registry methods were not in the web enums: the schema refused them with 422
    r = client.post("/api/runs", json={field: value})
    assert r.status_code == 200, r.text
    assert r.json()["settings"][field] == value


def test_ratio_takes_its_base_year(client):
    base = client.post("/api/runs", json={"normalize": "ratio", "base_year": 2015, "periods": "2015-2020"})
    assert base.status_code == 200, base.text
    assert base.json()["settings"]["options"]["base_year"] == 2015
    # without a base year: the dashboard's own words, in the page's language (not base_year=YEAR)
    r = client.post("/api/runs", json={"normalize": "ratio"}, params={"lang": "zh"})
    assert r.status_code == 422 and r.json()["error"] == catalogue()["web.ratio_needs"]["zh"]


def test_ahp_without_matrices_in_dashboard_terms(client):
    r = client.post("/api/runs", json={"weights": "ahp"}, headers={"accept-language": "zh-CN"})
    assert r.status_code == 422 and r.json()["error"] == catalogue()["web.ahp_needs"]["zh"]


def test_refuse_stops_at_a_gap_in_dashboard_terms(client):
    # nqpf-core has one unpublished year (hitech_revenue_gdp 2017, see its coverage note): 'refuse' stops there
    r = client.post("/api/runs", json={"impute": "refuse"}, params={"lang": "en"})
    assert r.status_code == 422
    msg = r.json()["error"]
    assert "Gap filling" in msg and "impute=" not in msg and "drop_incomplete_units" not in msg


def test_unknown_method_still_refused(client):
    r = client.post("/api/runs", json={"normalize": "nosuch"})
    assert r.status_code == 422


def test_page_has_no_hard_coded_method_lists():
    # the methods form's selects are filled from /api/methods; a literal <option>minmax-global</option> would
    # drift from the registry again
    html = (Path(__file__).resolve().parents[2] / "src/nqpf/web/static/index.html").read_text(encoding="utf-8")
    for step in FIELDS.values():
        for sel in re.findall(rf'<select[^>]*data-step="{step}"[^>]*>(.*?)</select>', html, re.S):
            assert sel.strip() == "", step
    codes = {v for vals in STEPS.values() for v in vals if len(v) > 3}
    assert not [c for c in codes if f">{c}<" in html]
