"""The five source documents and how a citation is shown to a reader.

Citations are stored as ids (``seed 000 §4.1``, ``seed 003 §4.2, part 1``, ``seed 004 §2.2.1``,
``seed 004 glossary 8``) so that tests can check them against the texts; :func:`cite` turns one into the
reader's language with the document's title (or, where the text carries no title, a description of it) and
the section, e.g. zh ``《数字时代的新质生产力：现实挑战、变革逻辑与实践方略》第四部分第3节``.
"""

from __future__ import annotations

import re

# Titles as printed in the documents (seed 001: Shi Jianxun & Xu Ling; seed 002: Liu Haijun & Zhai Yun; seed 004:
# Xinhua Institute research group). Seeds 000 and 003 print no title in the text, so
# they are described (no title marks) rather than given an invented title.
SOURCES: dict[str, dict[str, str]] = {
    "000": {"zh": "关于数据要素赋能新质生产力的论文",
            "en": "the article on data as a factor empowering new quality productive forces"},
    "001": {"zh": "《加快形成新质生产力的重大战略意义及实现路径研究》",
            "en": "Shi & Xu, “The strategic significance of and paths to new quality productive forces”"},
    "002": {"zh": "《数字时代的新质生产力：现实挑战、变革逻辑与实践方略》",
            "en": "Liu & Zhai, “New quality productive forces in the digital era: challenges, logic and practice”"},
    "003": {"zh": "关于数字经济赋能新质生产力的研究报告",
            "en": "the research report on the digital economy empowering new quality productive forces"},
    "004": {"zh": "《更好赋能中国繁荣世界——新质生产力的理论贡献和实践价值》",
            "en": "Xinhua Institute, “Empowering China and the world: the theoretical contribution and practical "
                  "value of new quality productive forces”"},
}

_CN = "〇一二三四五六七八九十"
_RX = re.compile(r"seed (\d{3}) (?:§(\d+)\.(\d+)(?:\.(\d+))?(?:, part (\d+))?|glossary (\d+))")


def parse(cid: str) -> tuple[str, tuple]:
    """``seed 002 §4.3`` → ('002', (4, 3, None, None, None)); raises ValueError on an unknown form."""
    m = _RX.fullmatch(str(cid).strip())
    if not m or m.group(1) not in SOURCES:
        raise ValueError(f"citation {cid!r} is not of the form 'seed NNN §N.M[.K][, part P]' or "
                         f"'seed NNN glossary N' with NNN in {sorted(SOURCES)}")
    g = m.groups()
    return g[0], tuple(int(x) if x else None for x in g[1:])


def cite(cid: str, lang: str) -> str:
    """A citation id in the reader's language: document title (or description) and section."""
    seed, (n, m, k, part, gl) = parse(cid)
    title = SOURCES[seed][lang]
    if gl is not None:
        return f"{title}名词解释第{gl}条" if lang == "zh" else f"{title}, glossary item {gl}"
    if seed == "004":  # seed 004 numbers its own sections; shown as printed
        num = ".".join(str(x) for x in (n, m, k) if x is not None)
        return f"{title}第{num}节" if lang == "zh" else f"{title}, section {num}"
    if lang == "zh":
        s = f"{title}第{_CN[n] if n <= 10 else n}部分第{m}节"
        return s + (f"第{part}项" if part else "")
    s = f"{title}, part {n}, section {m}"
    return s + (f", item {part}" if part else "")


def cite_all(cids, lang: str) -> str:
    """Several citations joined in the reader's language."""
    return ("；" if lang == "zh" else "; ").join(cite(c, lang) for c in cids)
