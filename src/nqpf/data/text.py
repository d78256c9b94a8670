"""Text files: decoding CSV bytes (BOM, UTF-8, per-line UTF-8/GB18030, GB18030, charset-normalizer) and
cutting the text into a grid of records (delimiter sniffed from the first 200 lines).

A file mixing UTF-8 and GBK lines (issue 11 item 3) is decoded line by line and the lines in the minority
encoding are reported (:class:`MixedEncoding`); a line that decodes in neither is refused with its number.
"""

from __future__ import annotations

import bisect
import csv
import io as _io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nqpf._util import warn
from nqpf.errors import DataError


@dataclass
class MixedEncoding:
    """Lines (1-based) of a mostly-UTF-8 (or mostly-GB18030) file decoded in the other encoding."""

    major: str
    minor: str
    lines: list[int]

    def message(self, source: str) -> str:
        return (
            f"{source}: mixed encodings: {_lines_text(self.lines)} decoded as {self.minor}, the rest of the "
            f"file as {self.major}; check the names in these lines and save the whole file in one encoding "
            "(UTF-8)"
        )


def decode_bytes(b: bytes, encoding: str | None = None, *, source: str = "file") -> tuple[str, str]:
    """Decode text bytes: BOM → UTF-8 → per line UTF-8/GB18030 → GB18030 (⊃ GBK, GB2312) → charset-normalizer.

    Returns ``(text, encoding)``; raises :class:`DataError` when no encoding decodes the bytes cleanly.
    A file mixing UTF-8 and GBK lines is decoded line by line (encoding ``"utf-8+gb18030"``) with a
    warning naming the lines; a line that neither decodes is refused with its line number.
    """
    text, enc, mixed = decode_text(b, encoding, source=source)
    if mixed is not None:
        warn(mixed.message(source), UserWarning, stacklevel=2)
    return text, enc


def decode_text(
    b: bytes, encoding: str | None = None, *, source: str = "file"
) -> tuple[str, str, MixedEncoding | None]:
    """:func:`decode_bytes` returning the mixed-encoding finding instead of warning about it."""
    if encoding:
        try:
            return b.decode(encoding), encoding, None
        except LookupError:
            raise DataError(
                f"{source}: unknown encoding {encoding!r}; use e.g. utf-8, utf-8-sig, gbk, gb18030"
            ) from None
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: cannot decode byte {exc.start} as {encoding}; check the encoding "
                f"(or omit encoding= to detect it)"
            ) from None
    bom = b.startswith(b"\xef\xbb\xbf")
    if bom:
        try:
            return b[3:].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError:
            pass
    if b.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return b.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:
            pass
    try:
        return b.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    per_line = _decode_per_line(b[3:] if bom else b, bom, source)
    if per_line is not None:
        return per_line
    try:
        text = b.decode("gb18030")
        if _plausible_text(text):
            return text, "gb18030", None
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(b[:500_000]).best()
    except Exception:  # noqa: BLE001 - a third-party detector failing on garbage means "undetected"
        best = None
    if best is not None and best.encoding:
        try:
            text = b.decode(best.encoding)
            if _plausible_text(text):
                return text, best.encoding, None
        except (UnicodeDecodeError, LookupError):
            pass
    raise DataError(
        f"{source}: cannot determine the text encoding (not UTF-8, not GBK/GB18030); save the file as "
        f"UTF-8 CSV or pass encoding='...'"
    )


def _decode_per_line(b: bytes, bom: bool, source: str) -> tuple[str, str, MixedEncoding | None] | None:
    """Decode a file mixing UTF-8 and GB18030 lines, or ``None`` when no line is clearly UTF-8.

    A line is clearly UTF-8 when it decodes as UTF-8 to Chinese text (:func:`_clearly_utf8`); GBK bytes
    that happen to be valid UTF-8 mostly decode to Latin/Greek/Cyrillic letters, private-use or unassigned
    code points, so such ambiguous lines follow the file's majority. Lines neither decodes are refused.
    """
    lines = b.splitlines(keepends=True)
    utf8: list[str | None] = []
    strong = 0
    for ln in lines:
        if ln.isascii():
            utf8.append(None)
            continue
        try:
            u = ln.decode("utf-8")
        except UnicodeDecodeError:
            utf8.append("")
            continue
        utf8.append(u)
        strong += _clearly_utf8(u)
    if not (strong or bom):
        return None  # no line is clearly UTF-8: the whole file is decoded in one legacy encoding
    gb: dict[int, str] = {}
    bad: list[int] = []
    for k, (ln, u) in enumerate(zip(lines, utf8, strict=True)):
        if u is None or (u and _clearly_utf8(u)):
            continue
        try:
            t = ln.decode("gb18030")
        except UnicodeDecodeError:
            t = None
        if t is not None and _plausible_line(t):
            gb[k] = t
        elif not u:
            bad.append(k + 1)
    if bad:
        raise DataError(
            f"{source}: {_lines_text(bad)} can be decoded neither as UTF-8 (like the rest of the file) nor as "
            "GBK/GB18030; retype these lines or save the whole file as UTF-8"
        )
    n_gb = sum(1 for k in gb if not utf8[k])  # lines that are not UTF-8 at all
    utf8_major = strong + int(bom) >= n_gb
    out: list[str] = []
    used_gb: list[int] = []
    used_utf8: list[int] = []
    for k, (ln, u) in enumerate(zip(lines, utf8, strict=True)):
        if u is None:
            out.append(ln.decode("ascii"))
        elif not u or (k in gb and not utf8_major):  # not UTF-8, or ambiguous in a mostly-GBK file
            out.append(gb[k])
            used_gb.append(k + 1)
        else:
            out.append(u)
            used_utf8.append(k + 1)
    text = "".join(out)
    if utf8_major:
        return text, "utf-8+gb18030", MixedEncoding("UTF-8", "GB18030", used_gb) if used_gb else None
    if not used_utf8:
        return text, "gb18030", None
    return text, "utf-8+gb18030", MixedEncoding("GB18030", "UTF-8", used_utf8)


_CJK = re.compile(r"[\u2000-\u206f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_ODD = re.compile(r"[\ue000-\uf8ff\U00030000-\U0010ffff]")


def _clearly_utf8(u: str) -> bool:
    """Decoded UTF-8 text with Chinese characters or CJK punctuation and nothing private-use/unassigned."""
    return _CJK.search(u) is not None and _ODD.search(u) is None


def _lines_text(lines: list[int], n: int = 10) -> str:
    shown = ", ".join(map(str, lines[:n]))
    more = f" … ({len(lines)} lines)" if len(lines) > n else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff]")


def _plausible_line(text: str) -> bool:
    """No C0/C1 control characters (other than tab/newlines) and no private-use code points."""
    return _IMPLAUSIBLE.search(text) is None


def _plausible_text(text: str) -> bool:
    """At most one C0/C1 control character (other than tab/newlines) or private-use code point per 1000
    characters (a wrong legacy decoding gives many)."""
    bad = sum(
        1
        for ch in text
        if (ord(ch) < 32 and ch not in "\t\r\n") or 0x7F <= ord(ch) < 0xA0 or 0xE000 <= ord(ch) <= 0xF8FF
    )
    return bad <= max(0, len(text) // 1000)


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter among ``, \\t ; |`` with the largest median count per non-blank line (first 200)."""
    best, best_score = ",", -1.0
    sample = [ln for ln in lines[:200] if ln.strip()]
    for d in (",", "\t", ";", "|"):
        counts = sorted(ln.count(d) for ln in sample)
        if not counts:
            continue
        med = counts[len(counts) // 2]
        score = med + 0.001 * sum(counts)
        if med > 0 and score > best_score:
            best, best_score = d, score
    return best


def csv_grid(path: Path, encoding: str | None) -> tuple[list[list[Any]], list[int], dict[str, Any]]:
    """The records of a CSV file, their 1-based record numbers and reading metadata (encoding, delimiter,
    ``mixed_encoding`` with the lines and the records they fall in)."""
    text, enc, mixed = decode_text(path.read_bytes(), encoding, source=path.name)
    text = text.lstrip("\ufeff")
    delim = _sniff_delimiter(text.splitlines())
    rows: list[list[Any]] = []
    nums: list[int] = []
    ends: list[int] = []  # last physical line of each record (quoted cells may span lines)
    try:
        reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delim)
        for i, rec in enumerate(reader, start=1):
            rows.append(rec)
            nums.append(i)
            ends.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            f"{path.name}: not a readable CSV file ({exc}); check quoting and the delimiter"
        ) from None
    extra: dict[str, Any] = {"encoding": enc, "delimiter": delim}
    if mixed is not None:
        recs = sorted({nums[min(bisect.bisect_left(ends, ln), len(nums) - 1)] for ln in mixed.lines})
        extra["mixed_encoding"] = {
            "major": mixed.major,
            "minor": mixed.minor,
            "lines": mixed.lines,
            "rows": recs,
        }
    return rows, nums, extra
