"""Province normalisation (GB/T 2260) and the unit catalogue."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nqpf.data import units as U
from nqpf.errors import NQPFError

REF = Path(__file__).resolve().parents[2] / "../shared/data/raw/province_reference/province_reference.csv"


def test_31_units_and_nbs_four_regions():
    tab = U.province_table()
    assert len(tab) == 31 and tab["unit"].is_unique
    # NBS four regions (NBS 2011 east/central/west/northeast division): 10 + 6 + 12 + 3 = 31
    counts = tab["region4"].value_counts().to_dict()
    assert counts == {"East": 10, "Central": 6, "West": 12, "Northeast": 3}
    iso = dict(zip(tab["iso"], tab["region4"], strict=True))
    for k in "BJ TJ HE SH JS ZJ FJ SD GD HI".split():
        assert iso[f"CN-{k}"] == "East"
    for k in "SX AH JX HA HB HN".split():
        assert iso[f"CN-{k}"] == "Central"
    for k in "NM GX CQ SC GZ YN XZ SN GS QH NX XJ".split():
        assert iso[f"CN-{k}"] == "West"
    for k in "LN JL HL".split():
        assert iso[f"CN-{k}"] == "Northeast"
    assert all(c.endswith("0000") and len(c) == 6 for c in tab["unit"])


@pytest.mark.parametrize("p", U.PROVINCES, ids=lambda p: p.code)
def test_every_province_in_many_spellings(p):
    spellings = [
        p.code, int(p.code), float(p.code), p.code + "000000", p.code[:2], p.name_zh, p.name_zh_full,
        p.name_en, p.name_en.upper(), p.name_en.lower(), f"  {p.name_en}  ", f"CN-{p.iso}", p.iso,
        "\u3000" + p.name_zh_full + "\u3000", p.name_zh[0] + "\u3000" + p.name_zh[1:],
        f"{p.name_en} Province", *p.aliases,
    ]  # fmt: skip
    # full-width Latin letters / digits
    spellings.append("".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in p.name_en))
    spellings.append("".join(chr(ord(ch) + 0xFEE0) for ch in p.code))
    for s in spellings:
        assert U.normalize_province(s) == p.code, s


def test_listed_spellings():
    cases = {
        "北京": "110000", "北京市": "110000", "Beijing": "110000", "BEIJING": "110000", "110000": "110000",
        "110000000000": "110000", "内蒙古自治区": "150000", "Inner Mongolia": "150000", "Nei Mongol": "150000",
        "广西壮族自治区": "450000", "Guangxi Zhuang AR": "450000", "Guangxi Zhuang Autonomous Region": "450000",
        "宁夏回族自治区": "640000", "Ningxia Hui Autonomous Region": "640000", "新疆维吾尔自治区": "650000",
        "Xinjiang Uyghur Autonomous Region": "650000", "西藏自治区": "540000", "Tibet": "540000",
        "Xizang": "540000", "黑龙江省": "230000", "Shanxi": "140000", "Shaanxi": "610000", "陕西": "610000",
        "山西": "140000", "重庆市": "500000", "Chongqing Municipality": "500000",
    }  # fmt: skip
    for name, code in cases.items():
        assert U.normalize_province(name) == code, name


def test_special_regions_recognised_not_mainland():
    for name, code in {"香港": "810000", "香港特别行政区": "810000", "Hong Kong": "810000", "澳门": "820000",
                       "Macao": "820000", "澳門": "820000", "台湾": "710000", "臺灣": "710000", "Taiwan": "710000"}.items():  # fmt: skip
        c = U.normalize_province(name)
        assert c == code and U.is_special(c)
    assert "810000" not in U.MAINLAND_CODES and len(U.MAINLAND_CODES) == 31
    assert len(U.province_table(include_special=True)) == 34


def test_unknown_names_suggest_closest():
    with pytest.raises(U.UnknownUnitError) as e:
        U.normalize_province("Beijng")
    assert isinstance(e.value, NQPFError)
    assert any("110000" in s for s in e.value.suggestions)
    assert "Beijing" in str(e.value)
    with pytest.raises(NQPFError, match="湖北"):
        U.normalize_province("湖苝")
    with pytest.raises(NQPFError, match="national total"):
        U.normalize_province("全国")
    for bad in ("", "110100", "990000", "12345", True, None, float("nan"), "Ahar", "Springfield"):
        with pytest.raises(NQPFError):
            U.normalize_province(bad)


@pytest.mark.skipif(not REF.exists(), reason="shared province reference table not available")
def test_against_shared_reference_table():
    """Independent reference: ../shared/data/raw/province_reference (codes, names, NBS 12-digit codes, region4)."""
    with open(REF, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 31
    tab = U.province_table().set_index("unit")
    for r in rows:
        code = r["province_code"]
        for s in (r["province"], r["province_full"], r["province_en"], r["nbs_code_12"]):
            assert U.normalize_province(s) == code
        assert tab.loc[code, "region4"] == r["region4_nbs"]
        assert tab.loc[code, "region4_zh"] == r["region4_nbs_zh"]
        assert tab.loc[code, "name_zh_full"] == r["province_full"]
