"""Knowledge base: paths, facts and cases valid, cited, merged, paraphrased (not copied from the sources).

References: the source documents themselves (../shared/seeds): every catalogue section they argue is cited,
each fact's provinces are named in the cited passage, each case sits in the region its section names.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from nqpf.errors import ValidationError
from nqpf.guide.knowledge import (
    CATALOGUE_SECTIONS,
    concept_indicators,
    default_knowledge,
    load_knowledge,
    validate_cases,
    validate_knowledge,
)
from nqpf.guide.sources import cite, parse
from nqpf.guide.typology import load_typology

SEEDS = Path(__file__).resolve().parents[2] / "../shared/seeds"
need_seeds = pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds not present (source documents)")


def _raw(name="paths.yaml"):
    return yaml.safe_load(resources.files("nqpf.guide").joinpath(name).read_text(encoding="utf-8"))


def _seed(n: str) -> str:
    return next(SEEDS.glob(f"{n}_*.txt")).read_text(encoding="utf-8")


def test_every_catalogue_section_is_cited():
    kb = default_knowledge()
    cited = [c for p in kb.paths for c in p.citations]
    for sec in CATALOGUE_SECTIONS:  # seed 000 §4, 001 §3, 002 §4, 003 §4.2 parts, seed 004 §2.1–2.2.3, §3.1–3.2
        assert cited.count(sec) >= 1, f"{sec} is not cited by any path"
    # a section that argues several paths (e.g. seed 000 §4.5: retrofit, emerging and future industries) may be
    # cited by each, but no more than three times
    assert max(cited.count(c) for c in set(cited)) <= 3
    assert {p.id for p in kb.paths} >= {"original_innovation", "traditional_upgrade", "emerging_clusters",
                                        "future_industries", "factor_market_reform", "opening"}


def test_paths_with_identical_concepts_are_merged():
    kb = default_knowledge()
    keys = [frozenset(p.concepts) for p in kb.paths]
    assert len(keys) == len(set(keys))
    assert len(kb.path("talent").citations) == 4          # 000 §4.1, 001 §3.6, 002 §4.1, 004 §3.1.4
    raw = _raw()
    raw["paths"].append({**raw["paths"][0], "id": "talent_again"})
    codes = [p.code for p in validate_knowledge(raw, known_types=load_typology().type_ids())]
    assert "kb.same_concepts" in codes


@need_seeds
def test_seed_004_sections_cited_exist_in_the_text():
    t4 = _seed("004")
    for p in default_knowledge().paths:
        for c in p.citations:
            seed, (n, m, k, _, gl) = parse(c)
            if seed != "004":
                continue
            if gl is not None:
                assert re.search(rf"^{gl}\. ", t4, re.M), c
            else:
                num = ".".join(str(x) for x in (n, m, k) if x is not None)
                assert re.search(rf"^{re.escape(num)} \S", t4, re.M), c


@need_seeds
def test_texts_are_paraphrases_not_quotations():
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert len(seeds) == 5
    types = load_typology().type_ids()
    probs = validate_knowledge(_raw(), known_types=types, seed_texts=seeds, min_copy=10)
    assert not probs, [str(p) for p in probs]
    ids = {p["id"] for p in _raw()["paths"]}
    probs = validate_cases(_raw("cases.yaml"), path_ids=ids, seed_texts=seeds, min_copy=10)
    assert not probs, [str(p) for p in probs]
    # the check itself can fail: a sentence copied from seed 000 §4.2 is caught
    raw = _raw()
    raw["paths"][3]["summary"]["zh"] = "明确数据交易所的功能,加快数据服务机构的发展。"
    probs = validate_knowledge(raw, known_types=types, seed_texts=seeds, min_copy=10)
    assert [p.code for p in probs] == ["kb.copied"]
    craw = _raw("cases.yaml")
    craw["cases"][1]["mechanism"]["zh"] = "技术创新是关键。安徽已经形成包括多个研究机构的量子信息基础研究体系"
    assert [p.code for p in validate_cases(craw, path_ids=ids, seed_texts=seeds, min_copy=10)] == ["cases.copied"]


def test_validator_reports_every_problem(tmp_path):
    raw = _raw()
    raw["paths"][0]["citations"] = ["seed 009 §4.1"]          # no such source
    raw["paths"][1]["concepts"].append("nonsense")           # unknown concept
    raw["paths"][2]["suits"] = ["martian"]                   # unknown type
    raw["paths"][3]["id"] = raw["paths"][4]["id"]            # duplicate id
    del raw["paths"][5]["summary"]["en"]                     # missing language
    raw["paths"][6]["applies_if_facts"] = ["no_such_fact"]   # unknown fact
    raw["paths"][7]["title"]["smart"] = "green)"             # an unquoted comma split the English title
    codes = sorted(p.code for p in validate_knowledge(raw, known_types=load_typology().type_ids(),
                                                       known_facts=set(default_knowledge().facts)))
    assert codes == ["kb.citation", "kb.concept", "kb.duplicate", "kb.fact", "kb.lang", "kb.lang", "kb.type"]
    f = tmp_path / "paths.yaml"
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        load_knowledge(f)
    assert len(ei.value.problems) == 7


def test_conditions_and_cautions_are_cited():
    kb = default_knowledge()
    # seed 004 §2.3: don't abandon traditional industries; avoid copy-cat competition
    assert any(c["citation"] == "seed 004 §2.3" for c in kb.path("traditional_upgrade").cautions)
    assert any(c["citation"] == "seed 004 §2.3" for c in kb.path("emerging_clusters").cautions)
    assert kb.path("future_industries").not_applicable and kb.path("original_innovation").not_applicable
    assert "compute_hub_west" in kb.path("compute").applies_if_facts


def test_concepts_map_to_cn_provinces_indicators(cn):
    kb = default_knowledge()
    have = set(cn.data["indicator"])
    named = {i for c in kb.concepts.values() for i in c["indicators"]}
    assert not named - have, f"paths.yaml names indicators cn_provinces lacks: {sorted(named - have)}"
    cmap = concept_indicators(kb, have)
    # concepts the sources name but the data cannot measure stay visible as empty
    assert cmap["data_market"] == [] and cmap["compute"] == []
    assert len(cmap["digital_infrastructure"]) >= 3
    case_inds = {i for c in kb.cases for i in c.indicators}
    assert not case_inds - have, sorted(case_inds - have)


@need_seeds
def test_facts_are_stated_by_their_passage(cn):
    """Each fact's provinces are named in the seed text (the hub list of seed 004 glossary item 8 etc.)."""
    kb = default_knowledge()
    zh = {str(u): re.sub(r"(省|市|自治区|壮族|回族|维吾尔)+$", "", n)
          for u, n in zip(cn.units["unit"], cn.units["name_zh"], strict=True)}
    t4 = _seed("004")
    glossary8 = t4[t4.index("8. 东数西算"):t4.index("9. “数据要素×”")]
    assert sorted(kb.facts["compute_hub_west"]["units"]) == ["150000", "520000", "620000", "640000"]
    for u in kb.facts["compute_hub_west"]["units"]:
        assert zh[u] in glossary8, zh[u]
    sec223 = t4[t4.index("2.2.3 布局发展未来产业"):t4.index("2.3 因地制宜发展新质生产力\n")]
    for u in kb.facts["future_industry_park_pilot"]["units"]:
        assert zh[u] in sec223, zh[u]
    t2 = _seed("002")
    s43 = t2[t2.index("### （三）坚持问题导向"):t2.index("#### （四）坚持系统观念")]
    for u in kb.facts["data_x_plan"]["units"]:
        assert zh[u] in s43
    for f, d in kb.facts.items():
        parse(d["citation"])
        assert d["units"], f


@need_seeds
def test_ten_cases_each_in_the_region_its_section_names(cn):
    kb = default_knowledge()
    assert sorted(c.citation for c in kb.cases) == sorted(f"seed 004 §5.{i}" for i in range(1, 11))
    t4 = _seed("004")
    zh = {str(u): re.sub(r"(省|市|自治区)+$", "", n) for u, n in zip(cn.units["unit"], cn.units["name_zh"], strict=True)}
    body = t4[t4.index("5.1 摘取造船工业", 2000):]
    heads = [m.start() for m in re.finditer(r"^5\.\d+ ", body, re.M)] + [body.index("结 语")]
    sections = {f"seed 004 §5.{i + 1}": body[heads[i]:heads[i + 1]] for i in range(10)}
    aliases = {"310000": ["上海"], "330000": ["杭州", "浙江"], "420000": ["武汉", "湖北"], "610000": ["西安", "陕西"],
               "440000": ["广州", "深圳", "粤港澳"], "510000": ["成都", "四川", "川渝"], "500000": ["重庆", "川渝"]}
    paths = {p.id for p in kb.paths}
    for c in kb.cases:
        assert set(c.paths) <= paths
        for u in c.units:
            names = aliases.get(u, [zh[u]])
            assert any(n in sections[c.citation] for n in names), (c.id, u)


def test_citations_read_in_the_readers_language():
    for p in default_knowledge().paths:
        zh, en = p.cite("zh"), p.cite("en")
        assert "seed" not in zh and "§" not in zh and not re.search(r"[A-Za-z]", zh), zh
        assert "seed" not in en and "§" not in en
    assert cite("seed 003 §4.2, part 2", "zh").endswith("第四部分第2节第2项")
    assert cite("seed 004 §2.2.1", "zh").endswith("第2.2.1节")
    assert cite("seed 004 glossary 8", "en").endswith("glossary item 8")
    with pytest.raises(ValueError, match="not of the form"):
        parse("seed 007 §1.1")


def test_source_obstacles_cover_the_diagnoses():
    """The five obstacles of seed 000 §3 and the four dilemmas of seed 002 §2, each mapped to known concepts."""
    from nqpf.guide.action import source_obstacles

    obs = source_obstacles()
    assert sorted(o["citation"] for o in obs) == sorted(
        [f"seed 000 §3.{i}" for i in range(1, 6)] + [f"seed 002 §2.{i}" for i in range(1, 5)])
    kb = default_knowledge()
    for o in obs:
        assert set(o["concepts"]) <= set(kb.concepts), o["id"]
        assert o["label"]["zh"] and o["label"]["en"]
