"""Distance to the sources' numeric targets and the required annual pace.

References (hand computation from the sources' figures): CNC rate of key processes 62.9 % at end-2023
(seed 003 §2.2) to > 70 % by 2027 (seed 004 §2.2.1): distance 7.1 points over 4 years = 1.775 points a year,
compound (70/62.9)^(1/4) − 1 = exp(ln(1.11288)/4) − 1 = 2.710 % a year; digital R&D tools 80.1 % → 90 %: 2.475 points a year;
Shandong's digital-transformation coverage 87.3 % (2023) → about 90 % (2024) (seed 004 §5.7): 2.7 points in one year.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from nqpf.framework.core import load_framework
from nqpf.guide.targets import pace, target_distances


def test_national_targets_and_pace():
    t = target_distances(unit="620000", lang="en").set_index("id")
    assert set(t.index) == {"cnc_rate", "digital_rd_tools"}        # Shandong's target is not Gansu's
    assert t.loc["cnc_rate", "distance"] == pytest.approx(7.1)
    assert t.loc["cnc_rate", "pace_linear"] == pytest.approx(1.775)
    assert t.loc["cnc_rate", "pace_compound"] == pytest.approx((70 / 62.9) ** 0.25 - 1)
    assert t.loc["cnc_rate", "pace_compound"] == pytest.approx(0.027098, abs=1e-6)
    assert t.loc["digital_rd_tools", "pace_linear"] == pytest.approx(2.475)
    assert (t["level"] == "national").all()


def test_provincial_target_only_for_its_province():
    t = target_distances(unit="370000", lang="zh").set_index("id")
    assert t.loc["shandong_digital_transformation", "pace_linear"] == pytest.approx(2.7)
    assert t.loc["shandong_digital_transformation", "years_left"] == 1
    for c in t["citation"]:
        assert not re.search(r"[A-Za-z§]", c)


def test_pace_identities():
    p = pace(50.0, 2020, 40.0, 2025)
    assert p["met"] and p["pace_linear"] == 0.0 and p["distance"] == -10.0
    p = pace(10.0, 2020, 20.0, 2030)
    assert (1 + p["pace_compound"]) ** 10 == pytest.approx(2.0)
    assert p["pace_linear"] * p["years_left"] == pytest.approx(p["distance"])


def test_framework_target_field_is_used(cn, tmp_path):
    from pathlib import Path

    spec = yaml.safe_load((Path(__file__).parent / "fixtures" / "cn_small.yaml").read_text(encoding="utf-8"))
    for n in spec["nodes"]:
        if n["id"] == "software_revenue_gdp":
            n["target"] = 10.0
            n["target_year"] = 2025
    fw = load_framework(spec)
    t = target_distances(unit="340000", data=cn.data, framework=fw, year=2021).set_index("id")
    cur = cn.data[(cn.data["unit"] == "340000") & (cn.data["period"] == 2021)
                  & (cn.data["indicator"] == "software_revenue_gdp")]["value"].iloc[0]
    r = t.loc["software_revenue_gdp"]
    assert r["current"] == pytest.approx(cur) and r["distance"] == pytest.approx(10.0 - cur)
    assert r["pace_linear"] == pytest.approx((10.0 - cur) / 4)
    assert np.isfinite(r["pace_compound"])
