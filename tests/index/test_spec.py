"""``IndexSpec`` (issue 18, item 1): spec → JSON → spec rebuilds the same ``result_hash`` for every built-in
framework and every method of every step; ``res.regen(**change)`` equals a direct build with that change;
invalid specs raise an ``NQPFError`` naming the field and the allowed values.

The reference for each round trip is an independent direct call ``build_index(data, framework, **kwargs)``;
each family also checks that its methods give different scores, so a spec that lost a setting would fail."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import nqpf.datasets as ds
from nqpf.errors import DataError, FrameworkError, MethodError, NQPFError
from nqpf.framework import load_framework
from nqpf.framework.core import builtin_names
from nqpf.index import IndexSpec, build_index
from nqpf.index import registry as reg
from nqpf.index.spec import frame_hash

PERIODS = "2016-2019"


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # weight-concentration notes are not under test here
        yield


def _hash(res) -> str:
    return res.manifest["result_hash"]


def _round_trip(spec: IndexSpec, frame=None) -> IndexSpec:
    text = spec.to_json()
    back = IndexSpec.from_json(text)
    assert back == spec and back.to_json() == text  # exact
    assert json.loads(text)["nqpf_index_spec"] == 1
    return back.with_data(frame) if frame is not None else back


def _data_asset_frame() -> pd.DataFrame:
    """Synthetic wide panel for the data-asset framework (no shipped dataset carries its series)."""
    fw = load_framework("data-asset")
    rng = np.random.default_rng(18)
    rows = [{"unit": f"firm{u}", "period": y} for u in range(8) for y in (2020, 2021, 2022)]
    df = pd.DataFrame(rows)
    for s in sorted({s for leaf in fw.leaves for s in fw.series_of(leaf)}):
        df[s] = rng.uniform(1.0, 10.0, len(df))
    return df


# every built-in framework with data it builds on (small period ranges)
FRAMEWORK_CASES = {
    "nqpf-33131": ("cn_provinces", {"periods": PERIODS}),
    "nqpf-core": ("cn_provinces", {"periods": PERIODS}),
    "nqpf-core-v1": ("cn_provinces", {"periods": PERIODS}),
    "nqpf-core-rich": ("cn_provinces", {"periods": PERIODS, "impute": "linear-carry+mean"}),
    "published/127ww-2026": ("cn_provinces", {"periods": PERIODS}),
    "city-structure-green": ("cn_cities", {"periods": "2010-2012"}),
    "nqpf-world": ("world", {"periods": "2015-2017", "impute": "linear-carry+mean"}),
    "data-asset": ("frame", {}),
}


def test_framework_cases_cover_every_builtin():
    assert sorted(FRAMEWORK_CASES) == sorted(builtin_names())


@pytest.mark.parametrize("name", sorted(FRAMEWORK_CASES))
def test_every_builtin_framework_round_trips(name):
    data, kw = FRAMEWORK_CASES[name]
    frame = _data_asset_frame() if data == "frame" else None
    direct = build_index(frame if frame is not None else data, name, **kw)
    spec = direct.spec
    assert spec.framework == name and spec.framework_hash == load_framework(name).hash
    assert spec.data_kind == ("frame" if frame is not None else "dataset")
    back = _round_trip(spec, frame)
    again = build_index(back)
    assert _hash(again) == _hash(direct)
    assert again.manifest["periods"] == direct.manifest["periods"]
    # the fully written-out spec builds the same index too
    assert _hash(build_index(_round_trip(back.resolved(), frame))) == _hash(direct)


# ---------------------------------------------------------------------------------------------------------
# every method of every step
# ---------------------------------------------------------------------------------------------------------
def _ahp_matrices(fw) -> dict:
    """A consistent pairwise matrix (a_ij = w_i / w_j, CR = 0) for every internal node, w_i = i + 1."""
    out = {}
    for p in fw.internal:
        w = np.arange(1, len(fw.children(p)) + 1, dtype=float)
        out[p] = (w[:, None] / w[None, :]).tolist()
    return out


@pytest.fixture(scope="module")
def holey() -> pd.DataFrame:
    """cn_provinces long table for nqpf-core-v1 in 2016–2019 with interior and edge gaps, so that the
    imputation methods give different results."""
    fw = load_framework("nqpf-core-v1")
    d = ds.load("cn_provinces").data
    series = {s for leaf in fw.leaves for s in fw.series_of(leaf)}
    d = d[d["indicator"].isin(series) & d["period"].between(2016, 2019)].reset_index(drop=True)
    units = sorted(d["unit"].unique())
    drop = (
        ((d["unit"] == units[0]) & (d["period"] == 2017))  # interior gap: linear and carry differ
        | ((d["unit"] == units[1]) & (d["period"] == 2019))  # edge gap: only carry/mean fill it
    ) & d["indicator"].isin(sorted(series)[:3])
    return d[~drop].reset_index(drop=True)


def _family_cases() -> list[tuple[str, str, dict]]:
    ahp = _ahp_matrices(load_framework("nqpf-core-v1"))
    cases = []
    for m in reg.IMPUTE_METHODS:
        cases.append(("impute", m, {"impute": m, "drop_incomplete_units": True, "data": "holey"}))
    for m in reg.TREAT_METHODS:
        cases.append(("treat", m, {"treat": m, "winsorize_q": (0.05, 0.95)} if m == "winsorize" else {"treat": m}))
    for m in reg.NORMALIZE_METHODS:
        kw = {"normalize": m}
        if m == "zscore":
            kw["weights"] = "equal"  # entropy needs non-negative values
        if m == "ratio":
            kw["base_year"] = 2016
        cases.append(("normalize", m, kw))
    for m in reg.WEIGHT_METHODS:
        cases.append(("weights", m, {"weights": m, "ahp": ahp} if m == "ahp" else {"weights": m}))
    for m in ("ahp+entropy", "fixed+critic", "entropy+critic"):
        cases.append(("weights", m, {"weights": m, "ahp": ahp, "alpha": 0.3} if "ahp" in m else {"weights": m}))
    cases.append(("weights", "entropy+critic*", {"weights": "entropy+critic", "combine": "multiplicative"}))
    for m in reg.WEIGHT_SCOPES:
        cases.append(("weight_scope", m, {"weight_scope": m}))
    for m in reg.AGGREGATE_METHODS:
        cases.append(("aggregate", m, {"aggregate": m}))
    cases.append(("aggregate", "by-level", {"aggregate": {1: "geometric", "default": "arithmetic"}}))
    cases.append(("aggregate", "geometric-zero", {"aggregate": "geometric", "zero_rule": "zero", "delta": 0.05}))
    return cases


FAMILY_CASES = _family_cases()


def test_family_cases_cover_every_registered_method():
    for step, methods in reg.STEPS.items():
        assert set(methods) <= {m for s, m, _ in FAMILY_CASES if s == step}, step


def _case_args(kw: dict, holey: pd.DataFrame) -> tuple[object, dict]:
    kw = dict(kw)
    data = holey if kw.pop("data", None) == "holey" else "cn_provinces"
    return data, kw


@pytest.fixture(scope="module")
def direct_hashes(holey) -> dict:
    """result_hash of the direct call ``build_index(data, "nqpf-core-v1", periods=..., **kw)`` of each case."""
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for step, method, kw in FAMILY_CASES:
            data, kw = _case_args(kw, holey)
            out[(step, method)] = _hash(build_index(data, "nqpf-core-v1", periods=PERIODS, **kw))
    return out


@pytest.mark.parametrize("step, method, kw", FAMILY_CASES, ids=[f"{s}-{m}" for s, m, _ in FAMILY_CASES])
def test_every_method_round_trips(step, method, kw, holey, direct_hashes):
    data, kw = _case_args(kw, holey)
    frame = data if isinstance(data, pd.DataFrame) else None
    spec = IndexSpec.from_args(data, "nqpf-core-v1", periods=PERIODS, **kw).pinned()
    back = _round_trip(spec, frame)
    res = build_index(back)
    assert _hash(res) == direct_hashes[(step, method)]
    assert res.spec == spec


def test_methods_of_a_family_differ(direct_hashes):
    """Guard for the round trips above: within each step the methods change the scores (else a spec that
    dropped the step would pass)."""
    for step in reg.STEPS:
        by_method = {m: h for (s, m), h in direct_hashes.items() if s == step}
        base = by_method["none" if step == "impute" else reg.ENGINE_DEFAULTS[step]]
        same = {m for m, h in by_method.items() if h == base}
        # impute 'none' and 'refuse' both drop the incomplete units here (drop_incomplete_units=True)
        allowed = {"none", "refuse"} if step == "impute" else {reg.ENGINE_DEFAULTS[step]}
        assert same <= allowed, (step, sorted(same))


def test_spec_json_keeps_floats_and_nested_options_exactly():
    spec = IndexSpec(
        framework="nqpf-core-v1",
        data="cn_provinces",
        weights="ahp+entropy",
        aggregate={1: "topsis", "default": "arithmetic"},
        options={"alpha": 0.1 + 0.2, "entropy_shift": 5e-324, "winsorize_q": (0.01, 0.99),
                 "ahp": {"laborers": [[1, 1 / 3], [3, 1]]}, "impute_limit": float("inf")},
        seed=7,
    )
    back = IndexSpec.from_json(spec.to_json())
    assert back == spec
    assert back.options["alpha"] == 0.1 + 0.2 and back.options["entropy_shift"] == 5e-324
    assert back.options["ahp"]["laborers"][0][1] == 1 / 3
    assert back.options["impute_limit"] is None  # inf means "no limit", written as None
    assert back.aggregate == {"1": "topsis", "default": "arithmetic"}
    assert hash(back) == hash(spec)
    assert IndexSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    "given, canonical",
    [(None, None), ("all", "all"), ("2012-2015", "2012-2015"), ((2012, 2015), "2012-2015"),
     ([2012, 2013, 2014], "2012-2014"), ([2012, 2015], "2012,2015"), ("2015", "2015"), (2015, "2015")],
)
def test_periods_are_canonical_and_stable(given, canonical):
    spec = IndexSpec(framework="nqpf-core-v1", data="cn_provinces", periods=given)
    assert spec.periods == canonical
    assert spec.replace(seed=1).periods == canonical  # re-validation does not reinterpret it


# ---------------------------------------------------------------------------------------------------------
# regen
# ---------------------------------------------------------------------------------------------------------
REGEN_CHANGES = [
    {"weights": "critic"},
    {"impute": "linear-carry+group-mean"},
    {"treat": "winsorize"},
    {"normalize": "minmax-period"},
    {"weight_scope": "parent"},
    {"aggregate": "geometric"},
    {"periods": "2017-2018"},
    {"alpha": 0.3},
    {"unit_filter": ["110000", "310000", "440000", "510000"]},
    {"framework": "nqpf-core"},
]


@pytest.fixture(scope="module")
def base_result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return build_index("cn_provinces", "published/127ww-2026", periods=PERIODS)


@pytest.mark.parametrize("change", REGEN_CHANGES, ids=[next(iter(c)) for c in REGEN_CHANGES])
def test_regen_equals_a_direct_build_with_the_change(change, base_result):
    res = base_result
    before = res.spec
    new = res.regen(**change)
    args = {"periods": PERIODS, **change}
    fw = args.pop("framework", "published/127ww-2026")
    direct = build_index("cn_provinces", fw, **args)
    assert _hash(new) == _hash(direct)
    assert _hash(new) != _hash(res)  # the change mattered
    assert res.spec == before  # the original result is unchanged
    k, v = next(iter(change.items()))
    assert (new.spec.options[k] if k in reg.OPTIONS else getattr(new.spec, k)) == (
        tuple(v) if isinstance(v, list) else v
    )


def test_regen_with_no_change_rebuilds_the_same(base_result):
    assert _hash(base_result.regen()) == _hash(base_result)


def test_unit_filter_keeps_only_those_units(base_result):
    keep = ["110000", "310000", "440000"]
    res = base_result.regen(unit_filter=keep)
    assert sorted(res.unit_labels) == keep and res.manifest["units"] == 3
    with pytest.raises(DataError, match=r"unit_filter: unit\(s\) \['999999'\] not in the data"):
        base_result.regen(unit_filter=["110000", "999999"])


# ---------------------------------------------------------------------------------------------------------
# data references: DataFrame and file, content hashes
# ---------------------------------------------------------------------------------------------------------
FW_INLINE = {
    "name": "tiny",
    "nodes": [
        {"id": "I", "parent": None},
        {"id": "a", "parent": "I", "direction": 1},
        {"id": "b", "parent": "I", "direction": 1},
        {"id": "c", "parent": "I", "direction": -1},
    ],
}


def _tiny_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    df = pd.DataFrame([{"unit": f"u{u}", "period": y} for u in range(6) for y in (2020, 2021)])
    for c in "abc":
        df[c] = rng.uniform(1, 5, len(df))
    return df


def test_a_dataframe_is_recorded_by_its_content_hash():
    df = _tiny_frame()
    res = build_index(df, FW_INLINE)
    spec = res.spec
    assert spec.data is None and spec.data_kind == "frame" and spec.data_hash == frame_hash(df)
    assert json.loads(spec.to_json())["framework"] == FW_INLINE  # the inline definition, as given
    back = IndexSpec.from_json(spec.to_json())
    assert "u0" not in spec.to_json()  # the data itself is not written
    with pytest.raises(DataError, match=r"DataFrame .*not attached.*with_data"):
        build_index(back)
    assert _hash(build_index(back.with_data(df))) == _hash(res)
    other = df.copy()
    other.loc[0, "a"] += 1e-9
    with pytest.raises(DataError, match="differs from the spec's data_hash"):
        back.with_data(other)


def test_a_file_is_recorded_by_path_and_hash(tmp_path):
    p = tmp_path / "tiny.csv"
    _tiny_frame().to_csv(p, index=False)
    res = build_index(str(p), FW_INLINE)
    spec = res.spec
    assert spec.data == str(p) and spec.data_kind == "file" and len(spec.data_hash) == 64
    back = IndexSpec.from_json(spec.to_json())
    assert _hash(build_index(back)) == _hash(res)
    df = _tiny_frame()
    df.loc[0, "a"] = 99.0
    df.to_csv(p, index=False)
    with pytest.raises(DataError, match="the data changed since the spec was written"):
        build_index(back)
    p.unlink()
    with pytest.raises(DataError, match="not found"):
        build_index(back.replace(data_hash=None))


def test_a_changed_framework_is_refused():
    spec = IndexSpec(framework="nqpf-core-v1", data="cn_provinces", periods=PERIODS).pinned()
    stale = spec.replace(framework_hash="0" * 64)
    with pytest.raises(FrameworkError, match="framework changed since the spec was written"):
        build_index(stale)


# ---------------------------------------------------------------------------------------------------------
# invalid specs
# ---------------------------------------------------------------------------------------------------------
BASE = {"framework": "nqpf-core-v1", "data": "cn_provinces"}
INVALID = [
    ({"impute": "linaer"}, MethodError, r"impute: unknown imputation 'linaer'; allowed: .*linear-carry"),
    ({"impute": "linear+bogus"}, MethodError, r"impute: unknown imputation 'bogus'"),
    ({"treat": "clip"}, MethodError, r"treat: unknown value 'clip'; allowed: none, winsorize"),
    ({"normalize": "minmax"}, MethodError, r"normalize: unknown value 'minmax'; allowed: minmax-global"),
    ({"weights": "entropi"}, MethodError, r"weights: unknown weighting 'entropi'"),
    ({"weights": "entropy+entropy"}, MethodError, r"weights: weight combination"),
    ({"weight_scope": "all"}, MethodError, r"weight_scope: unknown value 'all'; allowed: leaves, parent"),
    ({"aggregate": "mean"}, MethodError, r"aggregate: unknown aggregation 'mean'; allowed: arithmetic"),
    ({"aggregate": {1: "mean"}}, MethodError, r"aggregate\['1'\]: unknown aggregation 'mean'"),
    ({"options": {"alpah": 0.3}}, MethodError, r"options: unknown option\(s\) \['alpah'\]; allowed: .*alpha"),
    ({"options": {"combine": "sum"}}, MethodError, r"options\['combine'\]: 'sum'; allowed: linear, multiplicative"),
    ({"options": {"zero_rule": "drop"}}, MethodError, r"options\['zero_rule'\]: 'drop'; allowed: shift"),
    ({"options": {"alpha": 2}}, MethodError, r"options\['alpha'\]: 2; give a number in \[0.0, 1.0\]"),
    ({"options": {"winsorize_q": (0.9, 0.1)}}, MethodError, r"options\['winsorize_q'\]"),
    ({"options": {"alpha": float("nan")}}, MethodError, r"options\['alpha'\]: NaN"),
    ({"options": {"groups": {"110000": object()}}}, MethodError, r"options\['groups'\]\['110000'\]: object"),
    ({"periods": "2020-2010"}, DataError, r"2012-2022|2010-2020"),
    ({"periods": "twenty"}, DataError, r"periods 'twenty'"),
    ({"unit_filter": []}, DataError, r"unit_filter: .*at least one unit"),
    ({"seed": -1}, MethodError, r"seed: -1; give a non-negative integer"),
    ({"seed": 1.5}, MethodError, r"seed: 1.5"),
    ({"data": "no_such_dataset", "data_kind": "dataset"}, DataError, r"data: unknown dataset 'no_such_dataset'"),
    ({"data_kind": "db"}, DataError, r"data_kind: 'db'; allowed: dataset, file, frame"),
    ({"framework": "nope"}, FrameworkError, r"framework 'nope': not a built-in \(allowed: .*nqpf-core"),
    ({"framework_hash": "abc"}, DataError, r"framework_hash: 'abc' is not a sha256"),
    ({"data": None}, DataError, r"data: give a dataset name, a file path, or a DataFrame"),
]


@pytest.mark.parametrize("change, exc, match", INVALID, ids=[str(c) for c, _, _ in INVALID])
def test_invalid_spec_names_the_field(change, exc, match):
    with pytest.raises(exc, match=match) as info:
        IndexSpec(**{**BASE, **change})
    assert isinstance(info.value, NQPFError)


def test_invalid_json_and_dicts_are_refused_by_name():
    good = IndexSpec(**BASE).to_dict()
    with pytest.raises(MethodError, match=r"unknown field\(s\) \['wieghts'\]"):
        IndexSpec.from_dict({**good, "wieghts": "entropy"})
    with pytest.raises(MethodError, match="version 99 is not supported"):
        IndexSpec.from_dict({**good, "nqpf_index_spec": 99})
    with pytest.raises(FrameworkError, match="'framework' is required"):
        IndexSpec.from_dict({k: v for k, v in good.items() if k != "framework"})
    with pytest.raises(MethodError, match="not valid JSON"):
        IndexSpec.from_json("{not json")
    with pytest.raises(MethodError, match=r"replace: unknown field 'wieghts'"):
        IndexSpec(**BASE).replace(wieghts="entropy")


def test_build_index_with_a_spec_takes_no_other_arguments():
    spec = IndexSpec(**BASE, periods=PERIODS)
    with pytest.raises(MethodError, match=r"give no other arguments \(got \['weights'\]\).*spec.replace"):
        build_index(spec, weights="critic")
    with pytest.raises(MethodError, match="give a framework"):
        build_index("cn_provinces")


def test_spec_is_frozen():
    spec = IndexSpec(**BASE)
    with pytest.raises(AttributeError):
        spec.weights = "critic"  # type: ignore[misc]
    with pytest.raises(TypeError):
        spec.options["alpha"] = 0.2  # type: ignore[index]


def test_framework_objects_and_yaml_paths_round_trip(tmp_path):
    import yaml

    df = _tiny_frame()
    fw_obj = load_framework(FW_INLINE)
    res = build_index(df, fw_obj)
    spec = res.spec
    assert spec.framework_hash == fw_obj.hash == res.manifest["framework_hash"]
    assert _hash(build_index(IndexSpec.from_json(spec.to_json()).with_data(df))) == _hash(res)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(FW_INLINE), encoding="utf-8")
    res = build_index(df, str(path), weights="equal")
    spec = res.spec
    assert spec.framework == str(path) and spec.weights == "equal"
    assert _hash(build_index(IndexSpec.from_json(spec.to_json()).with_data(df))) == _hash(res)
    path.write_text(yaml.safe_dump({**FW_INLINE, "name": "tiny2"}), encoding="utf-8")
    with pytest.raises(FrameworkError, match="framework changed since the spec was written"):
        build_index(IndexSpec.from_json(spec.to_json()).with_data(df))
    # a built-in loaded as an object is recorded by name
    assert build_index("cn_provinces", load_framework("nqpf-core-v1"), periods=PERIODS).spec.framework == "nqpf-core-v1"


def test_regen_in_threads_matches_serial_builds(base_result):
    """The dashboard rebuilds in threads: each regen must give its own spec's scores and warnings."""
    from concurrent.futures import ThreadPoolExecutor

    changes = [{"weights": w} for w in ("entropy", "critic", "cv", "equal")] * 3
    serial = [base_result.regen(**c) for c in changes]
    with ThreadPoolExecutor(max_workers=4) as ex:
        threaded = list(ex.map(lambda c: base_result.regen(**c), changes))
    for a, b in zip(serial, threaded, strict=True):
        assert _hash(a) == _hash(b) and a.spec == b.spec
        assert a.manifest["warnings"] == b.manifest["warnings"]
