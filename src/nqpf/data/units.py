"""Unit catalogue for China's provincial-level divisions (GB/T 2260 codes) and name normalisation.

The 31 mainland provincial units carry their six-digit GB/T 2260 code (e.g. ``"110000"``), Chinese short
and full names, English name with common pinyin variants, the ISO 3166-2:CN letters and the NBS four-region
grouping (East / Central / West / Northeast, NBS 2011 classification). Hong Kong (810000), Macau (820000)
and Taiwan (710000) are *recognised* (so that they can be reported) but are not part of the 31.

:func:`normalize_province` maps any usual spelling — ``北京``, ``北京市``, ``Beijing``, ``BEIJING``,
``110000``, ``110000000000`` (NBS 12-digit), ``CN-BJ``, ``内蒙古自治区``, ``Nei Mongol`` … — to the code.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from nqpf.errors import DataError


class UnknownUnitError(DataError):
    """A unit name that is not a known provincial unit; ``suggestions`` holds the closest known names."""

    def __init__(self, message: str, name: object = None, suggestions: list[str] | None = None):
        super().__init__(message)
        self.name = name
        self.suggestions = list(suggestions or [])


@dataclass(frozen=True)
class Province:
    code: str
    iso: str
    name_zh: str
    name_zh_full: str
    name_en: str
    region4: str
    aliases: tuple[str, ...] = ()


REGION4_ZH = {"East": "东部", "Central": "中部", "West": "西部", "Northeast": "东北"}

# fmt: off
PROVINCES: tuple[Province, ...] = (
    Province("110000", "BJ", "北京", "北京市", "Beijing", "East", ("Peking",)),
    Province("120000", "TJ", "天津", "天津市", "Tianjin", "East"),
    Province("130000", "HE", "河北", "河北省", "Hebei", "East"),
    Province("140000", "SX", "山西", "山西省", "Shanxi", "Central"),
    Province("150000", "NM", "内蒙古", "内蒙古自治区", "Inner Mongolia", "West",
             ("Nei Mongol", "Neimenggu", "Nei Menggu", "Inner Mongolia Autonomous Region", "Neimongol")),
    Province("210000", "LN", "辽宁", "辽宁省", "Liaoning", "Northeast"),
    Province("220000", "JL", "吉林", "吉林省", "Jilin", "Northeast"),
    Province("230000", "HL", "黑龙江", "黑龙江省", "Heilongjiang", "Northeast"),
    Province("310000", "SH", "上海", "上海市", "Shanghai", "East"),
    Province("320000", "JS", "江苏", "江苏省", "Jiangsu", "East"),
    Province("330000", "ZJ", "浙江", "浙江省", "Zhejiang", "East"),
    Province("340000", "AH", "安徽", "安徽省", "Anhui", "Central"),
    Province("350000", "FJ", "福建", "福建省", "Fujian", "East"),
    Province("360000", "JX", "江西", "江西省", "Jiangxi", "Central"),
    Province("370000", "SD", "山东", "山东省", "Shandong", "East"),
    Province("410000", "HA", "河南", "河南省", "Henan", "Central"),
    Province("420000", "HB", "湖北", "湖北省", "Hubei", "Central"),
    Province("430000", "HN", "湖南", "湖南省", "Hunan", "Central"),
    Province("440000", "GD", "广东", "广东省", "Guangdong", "East"),
    Province("450000", "GX", "广西", "广西壮族自治区", "Guangxi", "West",
             ("Guangxi Zhuang Autonomous Region", "Guangxi Zhuang AR", "Guangxi Zhuangzu Zizhiqu", "广西自治区")),
    Province("460000", "HI", "海南", "海南省", "Hainan", "East"),
    Province("500000", "CQ", "重庆", "重庆市", "Chongqing", "West"),
    Province("510000", "SC", "四川", "四川省", "Sichuan", "West"),
    Province("520000", "GZ", "贵州", "贵州省", "Guizhou", "West"),
    Province("530000", "YN", "云南", "云南省", "Yunnan", "West"),
    Province("540000", "XZ", "西藏", "西藏自治区", "Tibet", "West",
             ("Xizang", "Xizang Autonomous Region", "Tibet Autonomous Region", "Xizang Zizhiqu")),
    Province("610000", "SN", "陕西", "陕西省", "Shaanxi", "West"),
    Province("620000", "GS", "甘肃", "甘肃省", "Gansu", "West"),
    Province("630000", "QH", "青海", "青海省", "Qinghai", "West"),
    Province("640000", "NX", "宁夏", "宁夏回族自治区", "Ningxia", "West",
             ("Ningxia Hui Autonomous Region", "Ningxia Hui AR", "Ningxia Huizu Zizhiqu", "宁夏自治区")),
    Province("650000", "XJ", "新疆", "新疆维吾尔自治区", "Xinjiang", "West",
             ("Xinjiang Uygur Autonomous Region", "Xinjiang Uyghur Autonomous Region",
              "Xinjiang Uighur Autonomous Region", "Xinjiang Uygur AR", "新疆自治区")),
)

# Recognised, reported, but not among the 31 mainland provincial units (region4 = "Other").
SPECIAL_REGIONS: tuple[Province, ...] = (
    Province("710000", "TW", "台湾", "台湾省", "Taiwan", "Other", ("台灣", "臺灣", "Taiwan Province")),
    Province("810000", "HK", "香港", "香港特别行政区", "Hong Kong", "Other",
             ("Hongkong", "Xianggang", "Hong Kong SAR", "香港特別行政區", "HKSAR")),
    Province("820000", "MO", "澳门", "澳门特别行政区", "Macau", "Other",
             ("Macao", "Aomen", "Macau SAR", "Macao SAR", "澳門", "澳門特別行政區")),
)
# fmt: on

# Rows that are totals, not provinces (reported and dropped by the readers): national totals and the
# regional sums yearbooks print (NBS four regions 东部/中部/西部/东北地区, the older 东中西 and 八大综合经济区
# groupings, 长江经济带 …).
AGGREGATE_NAMES = (
    "全国",
    "全国合计",
    "全国总计",
    "全国总体",
    "合计",
    "总计",
    "China",
    "National",
    "Total",
    "Nationwide",
    "中国",
    "全国平均",
    "平均",
    "均值",
    "Average",
    "Mean",
)
REGIONAL_AGGREGATE_NAMES = (
    "东部地区", "中部地区", "西部地区", "东北地区", "东部", "中部", "西部", "东北", "东部合计", "中部合计",
    "西部合计", "东北合计", "东部平均", "中部平均", "西部平均", "东北平均", "东北三省", "东中部地区",
    "East", "Central", "West", "Northeast", "Eastern region", "Central region", "Western region",
    "Northeastern region", "Eastern", "Western", "Northeastern",
    "京津冀", "长三角", "长江三角洲", "珠三角", "珠江三角洲", "粤港澳大湾区", "长江经济带", "黄河流域", "成渝地区",
    "东部沿海", "北部沿海", "南部沿海", "黄河中游", "长江中游", "大西南", "大西北", "东北综合经济区",
    "北部沿海综合经济区", "东部沿海综合经济区", "南部沿海综合经济区", "黄河中游综合经济区", "长江中游综合经济区",
    "大西南综合经济区", "大西北综合经济区", "内地合计", "地方合计", "中央", "中央级", "不分地区",
)  # fmt: skip

MAINLAND_CODES: tuple[str, ...] = tuple(p.code for p in PROVINCES)
SPECIAL_CODES: tuple[str, ...] = tuple(p.code for p in SPECIAL_REGIONS)

_SUFFIXES = (
    "特别行政区", "特別行政區", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市",
    "specialadministrativeregion", "autonomousregion", "province", "municipality", "city", "sar", "ar",
    "sheng", "shi", "zizhiqu", "zhuangzu", "zhuang", "huizu", "hui", "uygur", "uyghur", "uighur",
)  # fmt: skip
_STRIP = re.compile(r"[\s\.\-_'’`·・,，()（）]+")


def _key(name: object) -> str:
    """Normalisation key: NFKC (full width → ASCII, ideographic space → space), casefold, no spaces/punctuation."""
    s = unicodedata.normalize("NFKC", str(name)).casefold()
    return _STRIP.sub("", s)


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    idx: dict[str, str] = {}
    for p in PROVINCES + SPECIAL_REGIONS:
        for n in (p.code, p.name_zh, p.name_zh_full, p.name_en, f"CN-{p.iso}", *p.aliases):
            idx[_key(n)] = p.code
    return idx


@lru_cache(maxsize=1)
def _iso() -> dict[str, str]:
    """Bare ISO 3166-2:CN letters (exact match only, never after suffix stripping)."""
    return {p.iso.casefold(): p.code for p in PROVINCES + SPECIAL_REGIONS}


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Province]:
    return {p.code: p for p in PROVINCES + SPECIAL_REGIONS}


def province(code: str) -> Province:
    """The :class:`Province` record of a six-digit code (mainland or special region)."""
    try:
        return _by_code()[code]
    except KeyError:
        raise UnknownUnitError(f"{code!r} is not a GB/T 2260 provincial code", code) from None


@lru_cache(maxsize=1)
def _aggregate_keys() -> frozenset[str]:
    return frozenset(_key(a) for a in AGGREGATE_NAMES + REGIONAL_AGGREGATE_NAMES)


def is_aggregate(name: object) -> bool:
    """True for national and regional total rows (全国, 合计, China, Total, 东部地区, 中部地区, 长江经济带 …),
    also with a trailing 合计/总计/平均 or an administrative suffix ignored (``东部地区合计``)."""
    if name is None or isinstance(name, bool | int | float):
        return False
    k = _key(name)
    if not k:
        return False
    keys = _aggregate_keys()
    if k in keys:
        return True
    for suf in ("合计", "总计", "小计", "平均", "均值", "地区", "total", "average"):
        if k.endswith(suf) and len(k) > len(suf) and k[: -len(suf)] in keys:
            return True
    return False


def is_special(code: str) -> bool:
    """True for Hong Kong, Macau and Taiwan (recognised, not among the 31 mainland units)."""
    return code in SPECIAL_CODES


def _lookup(name: object) -> str | None:
    idx = _index()
    if isinstance(name, bool):
        return None
    if isinstance(name, int | float) and not isinstance(name, bool):
        if name != name or name in (float("inf"), float("-inf")) or float(name) != int(name):
            return None
        name = str(int(name))
    k = _key(name)
    if not k:
        return None
    if re.fullmatch(r"\d+(\.0+)?", k):
        digits = k.split(".")[0]
        if len(digits) == 2:
            digits += "0000"
        elif len(digits) == 12 and digits.endswith("000000"):
            digits = digits[:6]
        if len(digits) == 6 and digits in _by_code():
            return digits
        return None
    if k in idx:
        return idx[k]
    if k in _iso():
        return _iso()[k]
    frontier = [k]
    for _ in range(3):  # strip up to three administrative suffixes (e.g. "Xinjiang Uygur Autonomous Region")
        nxt = []
        for cand in frontier:
            for suf in _SUFFIXES:
                if cand.endswith(suf) and len(cand) > len(suf):
                    stripped = cand[: -len(suf)]
                    if stripped in idx:
                        return idx[stripped]
                    nxt.append(stripped)
        frontier = nxt
    return None


def suggest(name: object, n: int = 3) -> list[str]:
    """Closest known provincial names (difflib ratio, ties broken by a shared first character), formatted
    ``北京 / Beijing (110000)``."""
    k = _key(name)
    idx = _index()
    out: list[str] = []
    if not k:
        return []
    scored = []
    for cand in idx:
        r = difflib.SequenceMatcher(None, k, cand).ratio()
        if r >= 0.5:
            scored.append((r + (0.1 if cand[0] == k[0] else 0.0), cand))  # same first character ranks higher
    for _, m in sorted(scored, key=lambda x: (-x[0], x[1])):
        p = _by_code()[idx[m]]
        label = f"{p.name_zh} / {p.name_en} ({p.code})"
        if label not in out:
            out.append(label)
    return out[:n]


def normalize_province(name: object) -> str:
    """GB/T 2260 six-digit code of a provincial unit given any usual spelling.

    Accepts Chinese short/full names (also traditional for HK/MO/TW), English and pinyin names in any case,
    full-width characters and spaces, six-digit and NBS twelve-digit codes, two-digit prefixes and
    ISO 3166-2 letters (``CN-BJ``/``BJ``). Hong Kong, Macau and Taiwan return 810000, 820000, 710000
    (see :func:`is_special`). Unknown names raise :class:`UnknownUnitError` naming the closest matches.
    """
    code = _lookup(name)
    if code is not None:
        return code
    if is_aggregate(name):
        raise UnknownUnitError(
            f"{name!r} is a national total, not a province; remove that row (or read with units='none')", name
        )
    sugg = suggest(name)
    hint = f"did you mean {', '.join(sugg)}?" if sugg else "no similar name is known"
    raise UnknownUnitError(
        f"unknown province {name!r}: {hint} Use a Chinese or English province name or a GB/T 2260 code "
        f"such as 110000, or read with units='none' for non-provincial units",
        name,
        sugg,
    )


def province_table(*, include_special: bool = False) -> pd.DataFrame:
    """Unit catalogue: ``unit, name_zh, name_zh_full, name_en, iso, group, region4, region4_zh``.

    ``group`` equals ``region4`` (NBS four regions). Special regions (HK/MO/TW) only with ``include_special``.
    """
    recs = PROVINCES + (SPECIAL_REGIONS if include_special else ())
    return pd.DataFrame(
        {
            "unit": [p.code for p in recs],
            "name_zh": [p.name_zh for p in recs],
            "name_zh_full": [p.name_zh_full for p in recs],
            "name_en": [p.name_en for p in recs],
            "iso": [f"CN-{p.iso}" for p in recs],
            "group": [p.region4 for p in recs],
            "region4": [p.region4 for p in recs],
            "region4_zh": [REGION4_ZH.get(p.region4, "其他") for p in recs],
        }
    )


# ------------------------------------------------------------------------------------ one rule for every command
def detect_scheme(values: object, *, threshold: float = 0.8) -> str:
    """The unit scheme of a unit column: ``"province"`` when at least ``threshold`` (80 %) of its distinct
    non-empty values that are not aggregate rows (全国, 东部地区 …) are provincial units in any usual spelling
    (:func:`normalize_province`), else ``"none"`` (ids kept as text: cities, firms, countries …).

    This is the rule ``nqpf validate``, ``nqpf index`` and ``nqpf report`` apply with ``--units auto``; a
    column with a few misspelt provinces stays ``"province"`` so that the misspellings are reported."""
    seen: set[str] = set()
    vals = []
    for v in pd.unique(pd.Series(list(values), dtype=object)):  # type: ignore[arg-type]
        if v is None or (isinstance(v, float) and v != v):
            continue
        s = str(v).strip()
        if not s or s in seen or is_aggregate(v):
            continue
        seen.add(s)
        vals.append(v)
    if not vals:
        return "none"
    hits = sum(1 for v in vals if _lookup(v) is not None)
    return "province" if hits / len(vals) >= threshold else "none"


def unit_name(code: object, lang: str = "en") -> str:
    """Short name of a provincial unit in ``lang`` (``110000`` → 北京 / Beijing); other ids are returned as
    they are (a city or firm name is its own name)."""
    rec = _by_code().get(str(code))
    if rec is None:
        return str(code)
    return rec.name_zh if lang == "zh" else rec.name_en


_ADMIN_SUFFIXES = ("特别行政区", "自治州", "自治县", "自治旗", "自治区", "地区", "新区", "林区", "市", "省", "县", "区",
                   "州", "盟", "旗")  # fmt: skip


def _bares(name: object) -> set[str]:
    """Keys of a name without one Chinese administrative suffix (市, 县, 区, 自治州, 地区 …) and, before 自治X,
    without an ethnic name of 1–4 characters ending in 族 (延边朝鲜族自治州 → 延边); at least two characters left."""
    k = _key(name)
    out = {k}
    for suf in _ADMIN_SUFFIXES:
        if k.endswith(suf) and len(k) - len(suf) >= 2:
            b = k[: -len(suf)]
            out.add(b)
            if suf.startswith("自治") and b.endswith("族"):
                out.update(b[:-n] for n in range(2, 6) if len(b) - n >= 2)
    return out


def unit_label(code: object, lang: str = "en") -> str:
    """``110000 北京`` / ``110000 Beijing``: a province code with its name in ``lang``; other ids as they are."""
    name = unit_name(code, lang)
    return str(code) if name == str(code) else f"{code} {name}"


def resolve_unit(name: object, available: object, *, lang: str = "en") -> str:
    """The unit of ``available`` (the units in the data) that ``name`` means: the exact id, else any usual
    spelling of a province (湖北 / 湖北省 / Hubei / 420000 / CN-HB → ``420000``), else a case- and
    width-insensitive match. Unknown → :class:`UnknownUnitError` listing the closest units of the data
    (difflib over ids and names)."""
    avail = [str(a) for a in pd.unique(pd.Series(list(available), dtype=object))]  # type: ignore[arg-type]
    s = str(name).strip()
    if s in avail:
        return s
    code = _lookup(s)
    if code is not None and code in avail:
        return code
    keyed = {_key(a): a for a in avail}
    if _key(s) in keyed:
        return keyed[_key(s)]
    mine = _bares(s)  # 唐山 = 唐山市, 延边 = 延边朝鲜族自治州 when only one unit of the data fits
    fits = [a for a in avail if mine & _bares(a)]
    if len(fits) == 1:
        return fits[0]
    labels = {a: unit_label(a, lang) for a in avail}
    cands = {_key(v): a for a, v in labels.items()}
    for a in avail:
        if a in _by_code():
            p = _by_code()[a]
            for n in (p.name_zh, p.name_zh_full, p.name_en):
                cands.setdefault(_key(n), a)
    close = difflib.get_close_matches(_key(s), list(cands), n=5, cutoff=0.3)
    shown: list[str] = []
    for c in close:
        lab = labels[cands[c]]
        if lab not in shown:
            shown.append(lab)
    if not shown:  # nothing close: show the first units of the data
        shown = [labels[a] for a in avail[:8]] + (["…"] if len(avail) > 8 else [])
    if code is not None:  # a province, but not in these data
        from nqpf.i18n import t

        raise UnknownUnitError(t("data.unit.not_in_data", lang, name=s, code=code,
                                 close=t("data.cli.list_sep", lang).join(shown) or "-"), name, shown)  # fmt: skip
    from nqpf.i18n import t

    close = t("data.cli.list_sep", lang).join(shown) or "-"
    raise UnknownUnitError(t("data.unit.unknown", lang, name=s, close=close), name, shown)
