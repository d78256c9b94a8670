"""Knowledge base of paths: every entry valid, cited, paraphrased (not copied from the sources)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from nqpf.errors import ValidationError
from nqpf.guide.knowledge import (
    FAMILIES,
    concept_indicators,
    default_knowledge,
    load_knowledge,
    validate_knowledge,
)
from nqpf.guide.typology import load_typology

SEEDS = Path(__file__).resolve().parents[2] / "../shared/seeds"


def _raw():
    from importlib import resources

    return yaml.safe_load(resources.files("nqpf.guide").joinpath("paths.yaml").read_text(encoding="utf-8"))


def test_catalogue_covers_the_four_source_catalogues():
    kb = default_knowledge()
    fam = {}
    for p in kb.paths:
        fam.setdefault(p.family, []).append(p.citation)
    # seed 000 §4 five-in-one, seed 001 §3 nine paths, seed 002 §4 four paths, seed 003 §4.2 four reforms
    assert {k: len(v) for k, v in fam.items()} == {"five_in_one": 5, "nine_paths": 9, "four_paths": 4,
                                                    "four_reforms": 4}
    for f, cites in fam.items():
        assert len(set(cites)) == len(cites), f"{f}: two entries cite the same section"
        seed, sec = FAMILIES[f]
        assert all(re.fullmatch(rf"{seed} {sec}", c) for c in cites)


def test_types_named_by_paths_exist_and_every_type_has_paths():
    kb = default_knowledge()
    types = load_typology().type_ids()
    named = {s for p in kb.paths for s in p.suits} - {"all"}
    assert named <= types
    for t in types:
        assert any(p.suits_type({t}) for p in kb.paths), t


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds not present (source documents)")
def test_summaries_are_paraphrases_not_quotations():
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert len(seeds) == 5
    probs = validate_knowledge(_raw(), known_types=load_typology().type_ids(), seed_texts=seeds, min_copy=10)
    assert not probs, [str(p) for p in probs]
    # the check itself can fail: a sentence copied from seed 000 §4.2 is caught
    raw = _raw()
    raw["paths"][1]["summary"]["zh"] = "明确数据交易所的功能,加快数据服务机构的发展。"
    probs = validate_knowledge(raw, known_types=load_typology().type_ids(), seed_texts=seeds, min_copy=10)
    assert [p.code for p in probs] == ["kb.copied"]


def test_validator_reports_every_problem(tmp_path):
    raw = _raw()
    raw["paths"][0]["citation"] = "seed 001 §4.1"       # wrong seed for the five-in-one family
    raw["paths"][1]["concepts"].append("nonsense")       # unknown concept
    raw["paths"][2]["suits"] = ["martian"]               # unknown type
    raw["paths"][3]["id"] = raw["paths"][4]["id"]        # duplicate id
    del raw["paths"][5]["summary"]["en"]                 # missing language
    codes = sorted(p.code for p in validate_knowledge(raw, known_types=load_typology().type_ids()))
    assert codes == ["kb.citation", "kb.concept", "kb.duplicate", "kb.lang", "kb.type"]
    f = tmp_path / "paths.yaml"
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError) as ei:
        load_knowledge(f)
    assert len(ei.value.problems) == 5


def test_concepts_map_to_cn_provinces_indicators(cn):
    kb = default_knowledge()
    have = set(cn.data["indicator"])
    named = {i for c in kb.concepts.values() for i in c["indicators"]}
    assert not named - have, f"paths.yaml names indicators cn_provinces lacks: {sorted(named - have)}"
    cmap = concept_indicators(kb, have)
    # concepts the sources name but the data cannot measure stay visible as empty
    assert cmap["data_market"] == [] and cmap["compute"] == []
    assert len(cmap["digital_infrastructure"]) >= 3
