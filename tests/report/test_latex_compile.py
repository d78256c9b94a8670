"""Issue 13 ("LaTeX a journal accepts"): every ``to_latex()`` golden table compiles with pdfLaTeX + booktabs.

The golden files under ``tests/report/golden/`` are compared byte for byte with the result objects' output by
``test_result_objects.py``, so compiling them compiles what users get. The English tables must compile with the
standard packages alone and print every character (pdfLaTeX writes "Missing character" to the log for a glyph
its fonts lack, and keeps going). Chinese tables need ``ctex``/``xeCJK`` and a CJK font (the docstring of
``nqpf.report.tables.to_latex`` says so); with XeLaTeX and ctex present they are compiled too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
PREAMBLE = {
    "en": "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n",
    "zh": "\\documentclass{ctexart}\n\\usepackage{booktabs}\n",
}


def _compile(tex: Path, lang: str, tmp_path: Path) -> str:
    engine = "pdflatex" if lang == "en" else "xelatex"
    doc = tmp_path / f"{tex.stem}_doc.tex"
    doc.write_text(PREAMBLE[lang] + "\\begin{document}\n" + tex.read_text(encoding="utf-8") + "\\end{document}\n",
                   encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    log = (tmp_path / f"{doc.stem}.log").read_text(encoding="utf-8", errors="replace")
    assert run.returncode == 0, f"{tex.name} does not compile with {engine}:\n{log[-3000:]}"
    assert (tmp_path / f"{doc.stem}.pdf").stat().st_size > 0
    return log


EN = sorted(GOLDEN.glob("*_en.tex"))
ZH = sorted(GOLDEN.glob("*_zh.tex"))


def test_there_are_tables_to_compile():
    assert len(EN) >= 5 and len(ZH) >= 1


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (make test installs it)")
@pytest.mark.parametrize("tex", EN, ids=lambda p: p.stem)
def test_english_tables_compile_with_pdflatex(tex, tmp_path):
    log = _compile(tex, "en", tmp_path)
    assert "Missing character" not in log, f"{tex.name}: a character has no glyph in pdfLaTeX's fonts"
    assert "Undefined control sequence" not in log


def _has_ctex() -> bool:
    if shutil.which("xelatex") is None or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", "ctexart.cls"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@pytest.mark.skipif(not _has_ctex(), reason="optional: xelatex with ctex not installed (texlive-xetex, texlive-lang-chinese)")
@pytest.mark.parametrize("tex", ZH, ids=lambda p: p.stem)
def test_chinese_tables_compile_with_xelatex_and_ctex(tex, tmp_path):
    _compile(tex, "zh", tmp_path)
