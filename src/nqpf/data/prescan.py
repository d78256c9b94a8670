"""Refuse memory bombs from a file's own metadata, before anything is loaded (issue 11).

A file that is small on disk can be huge once read: one xlsx cell at ``XFD1048576`` makes a reader fill a
17-billion-cell grid, one merge over the whole sheet makes openpyxl create every cell it covers, a 1000:1
deflated member unpacks to gigabytes, a Parquet file of 50 million constant rows or a Stata header that claims
4 billion observations allocate what they declare. :func:`prescan` reads only what the file says about itself
and streams what it must count:

* xlsx (zip): the declared uncompressed sizes, then each worksheet's XML streamed with a byte budget — cells,
  their extent ``max_row × max_col`` (explicit ``r`` or implied positions), the declared ``<dimension>`` and
  the area of every ``<mergeCell>``; any member whose unpacked size passes 16 MB at more than ``max_ratio``:1;
* Parquet: footer metadata (rows, columns, uncompressed bytes of the row groups);
* Stata: the header's N (observations) and K (variables), formats 104–119;
* CSV/text (anything else but an old .xls): lines and the widest line (fields by comma, tab, semicolon or the
  Chinese comma), streamed.

A table of ``rows × cols`` is refused when ``rows > max_rows``, ``cols > max_cols`` (+10 columns of keys and
notes) or ``rows × cols > max_cells``. Each refusal is a :class:`TooLarge` (a :class:`~nqpf.errors.DataError`)
with a stable ``code`` and a bilingual message from the catalogue (``data.prescan.<code>``) naming the limit
and the environment variable that raises it. :func:`nqpf.data.io.load` calls this before reading; the
dashboard (:mod:`nqpf.web.guard`) calls it with its tighter upload limits.

Defaults (:class:`Limits`, documented in docs/data.md): 5,000,000 rows, 20,000 indicator columns,
10,000,000 cells, 2048 MB unpacked, ratio 200:1 — far above any provincial or city panel, far below what
exhausts a laptop's memory. Files that are not what their signature says pass through; the reader then
reports them unreadable.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import XMLPullParser

from nqpf.errors import DataError

MB = 1024 * 1024

#: environment variable that sets each limit for the command line (and the library's default)
ENV = {
    "max_rows": "NQPF_MAX_ROWS",
    "max_cols": "NQPF_MAX_COLS",
    "max_cells": "NQPF_MAX_CELLS",
    "max_unzipped": "NQPF_MAX_UNZIPPED_MB",
    "max_ratio": "NQPF_MAX_RATIO",
}


@dataclass(frozen=True)
class Limits:
    """Limits of :func:`prescan`: ``max_rows`` table rows, ``max_cols`` columns (indicators), ``max_cells``
    of a sheet's used range (rows × columns, as readers fill it densely), ``max_unzipped`` bytes unpacked
    from an archive, ``max_ratio`` unpacked:packed ratio of a member beyond 16 MB."""

    max_rows: int = 5_000_000
    max_cols: int = 20_000
    max_cells: int = 10_000_000
    max_unzipped: int = 2048 * MB
    max_ratio: float = 200.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, each replaced by its environment variable (:data:`ENV`) when set; ``max_unzipped``
        is given in MB there. A value that is not a positive number raises :class:`DataError`."""
        env = os.environ if environ is None else environ
        kw: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV[f.name], "").strip()
            if not raw:
                continue
            try:
                v = float(raw.replace("_", "").replace(",", ""))
            except ValueError:
                v = -1.0
            if not v > 0 or v == float("inf"):
                raise DataError(f"environment variable {ENV[f.name]}={raw!r}: give a positive number")
            kw[f.name] = v if f.name == "max_ratio" else int(v * (MB if f.name == "max_unzipped" else 1))
        return cls(**kw)


class TooLarge(DataError):
    """A file refused by :func:`prescan`: stable ``code`` (``sheet_too_large``, ``merge_too_large``,
    ``too_many_cells``, ``archive_bomb``, ``too_many_rows``, ``too_many_columns``), message fields ``fmt``,
    the ``knob`` (the :class:`Limits` field) that was exceeded; HTTP ``status`` 413 for the dashboard."""

    status = 413

    def __init__(self, code: str, knob: str, file: str = "", lang: str = "en", **fmt: Any):
        self.code, self.knob, self.file, self.fmt = code, knob, file, fmt
        super().__init__(self.message(lang))

    def message(self, lang: str = "en") -> str:
        """``<file>: <what is too large>; <how to raise the limit>`` in ``lang`` (zh or en)."""
        from nqpf.i18n import t

        key = f"data.prescan.{self.code}" + ("_ratio" if self.knob == "max_ratio" else "")
        text = t(key, lang, **self.fmt)
        hint = t("data.prescan.raise", lang, env=ENV.get(self.knob, ""), knob=self.knob)
        return f"{self.file}: {text}; {hint}" if self.file else f"{text}; {hint}"


def _limit(lim: Any, name: str) -> Any:
    """``lim.<name>``, or the default (other limit objects, such as the dashboard's, lack some fields)."""
    return getattr(lim, name, getattr(Limits, name))


def prescan(path: str | os.PathLike, lim: Any = None, *, lang: str = "en") -> None:
    """Refuse ``path`` from its own metadata when loading it would exceed ``lim`` (default
    :meth:`Limits.from_env`); raises :class:`TooLarge`. Any object with the :class:`Limits` attributes works."""
    p = Path(path)
    lim = Limits.from_env() if lim is None else lim
    try:
        _prescan(p, lim)
    except TooLarge as exc:
        if exc.file != p.name or lang != "en":
            raise TooLarge(exc.code, exc.knob, p.name, lang, **exc.fmt) from None
        raise


def _prescan(path: Path, lim: Any) -> None:
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(b"PK\x03\x04"):
        _scan_zip(path, lim)
    elif head.startswith(b"PAR1"):
        _scan_parquet(path, lim)
    elif head.startswith(b"<stata_dta>") or (head[:1] and 104 <= head[0] <= 115 and head[1:2] in (b"\x01", b"\x02")):
        _scan_dta(path, lim)
    elif not head.startswith(b"\xd0\xcf\x11\xe0"):  # old .xls: the reader refuses it
        _scan_text(path, lim)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def _ref(ref: str) -> tuple[int, int] | None:
    """(row, column), 1-based, of an A1 reference such as ``XFD1048576``."""
    m = _REF.match(ref.strip().upper())
    return (int(m.group(2)), _col_index(m.group(1))) if m else None


def _area(ref: str) -> tuple[int, int]:
    """(rows, columns) spanned by ``A1:XFD1048576`` (a single cell spans 1 × 1)."""
    a, _, b = ref.partition(":")
    p, q = _ref(a), _ref(b or a)
    if p is None or q is None:
        return 0, 0
    return abs(q[0] - p[0]) + 1, abs(q[1] - p[1]) + 1


def _bomb(member: str, n: int, packed: int, lim: Any) -> TooLarge:
    return TooLarge("archive_bomb", "max_unzipped", member=member, size_mb=f"{n / MB:.0f}",
                    ratio=f"{n / max(packed, 1):.0f}", limit_mb=f"{_limit(lim, 'max_unzipped') / MB:.0f}")


class _Counted:
    """A file-like view of an archive member that refuses to yield more than ``budget`` bytes (or more than
    16 MB at a ratio beyond ``max_ratio``)."""

    def __init__(self, raw: Any, name: str, budget: int, compressed: int, lim: Any):
        self.raw, self.name, self.budget, self.compressed, self.lim, self.n = raw, name, budget, compressed, lim, 0

    def read(self, size: int = 1 << 16) -> bytes:
        chunk = self.raw.read(min(size, 1 << 16))
        self.n += len(chunk)
        ratio = self.n / max(self.compressed, 1)
        if self.n > self.budget or (self.n > 16 * MB and ratio > _limit(self.lim, "max_ratio")):
            err = _bomb(self.name, self.n, self.compressed, self.lim)
            if self.n <= self.budget:
                err = TooLarge(err.code, "max_ratio", **err.fmt, max_ratio=f"{_limit(self.lim, 'max_ratio'):.0f}")
            raise err
        return chunk


def _scan_zip(path: Path, lim: Any) -> None:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with z:
        infos = z.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > lim.max_unzipped:
            big = max(infos, key=lambda i: i.file_size)
            raise TooLarge("archive_bomb", "max_unzipped", member=big.filename, size_mb=f"{declared / MB:.0f}",
                           ratio=f"{declared / max(path.stat().st_size, 1):.0f}",
                           limit_mb=f"{lim.max_unzipped / MB:.0f}")
        budget = lim.max_unzipped
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            try:
                raw = z.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError):
                return  # encrypted or broken: the reader reports it
            stream = _Counted(raw, name, budget, info.compress_size, lim)
            try:
                if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
                    _scan_sheet(stream, name, lim)
                else:
                    while stream.read():
                        pass
            except (zipfile.BadZipFile, OSError, EOFError):
                return
            finally:
                raw.close()
            budget -= stream.n


def _scan_sheet(stream: _Counted, member: str, lim: Any) -> None:
    """Stream one worksheet's XML: count cells, track their extent (explicit ``r`` or implied positions),
    the declared ``<dimension>`` and every ``<mergeCell>``; refuse what would exceed ``max_cells``."""
    sheet = member.rsplit("/", 1)[-1].removesuffix(".xml")
    parser = XMLPullParser(events=("start", "end"))
    cells = max_row = max_col = row = col = merged = 0
    while True:
        chunk = stream.read()
        if not chunk:
            break
        try:
            parser.feed(chunk)
        except Exception:  # noqa: BLE001 - malformed XML: the reader reports it
            return
        for event, el in parser.read_events():
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "end":
                if tag in ("c", "row", "mergeCell"):
                    el.clear()
                continue
            if tag == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = 0
            elif tag == "c":
                cells += 1
                pos = _ref(el.get("r") or "")
                if pos is not None:
                    row, col = pos
                else:
                    col += 1
                max_row, max_col = max(max_row, row), max(max_col, col)
                if cells > lim.max_cells:
                    raise TooLarge("too_many_cells", "max_cells", sheet=sheet, cells=f"{cells:,}",
                                   limit=f"{lim.max_cells:,}")
                if max_row * max_col > lim.max_cells:
                    raise TooLarge("sheet_too_large", "max_cells", sheet=sheet, ref=el.get("r") or f"R{row}C{col}",
                                   cells=f"{max_row * max_col:,}", limit=f"{lim.max_cells:,}")
            elif tag == "dimension":
                ref = el.get("ref") or ""
                nr, nc = _area(ref)
                if nr * nc > lim.max_cells:
                    raise TooLarge("sheet_too_large", "max_cells", sheet=sheet, ref=ref, cells=f"{nr * nc:,}",
                                   limit=f"{lim.max_cells:,}")
            elif tag == "mergeCell":
                ref = el.get("ref") or ""
                nr, nc = _area(ref)
                merged += nr * nc
                if merged > lim.max_cells:
                    raise TooLarge("merge_too_large", "max_cells", sheet=sheet, ref=ref, cells=f"{merged:,}",
                                   limit=f"{lim.max_cells:,}")


def _scan_parquet(path: Path, lim: Any) -> None:
    try:
        import pyarrow.parquet as pq

        md = pq.read_metadata(path)
    except Exception:  # noqa: BLE001 - not readable Parquet (or no pyarrow): the reader reports it
        return
    rows, cols = int(md.num_rows), int(md.num_columns)
    check_table_size(rows, cols, lim)
    unzipped = sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))
    if unzipped > lim.max_unzipped:
        raise _bomb("parquet", unzipped, path.stat().st_size, lim)


def check_table_size(rows: int, cols: int, lim: Any) -> None:
    """Refuse a table of ``rows`` × ``cols`` beyond ``lim`` (:class:`TooLarge`)."""
    if rows > lim.max_rows:
        raise TooLarge("too_many_rows", "max_rows", rows=f"{rows:,}", limit=f"{lim.max_rows:,}")
    if cols > lim.max_cols + 10:
        raise TooLarge("too_many_columns", "max_cols", cols=f"{cols:,}", limit=f"{lim.max_cols:,}", line=1)
    if rows * cols > lim.max_cells:
        raise TooLarge("too_many_cells", "max_cells", sheet="-", cells=f"{rows * cols:,}",
                       limit=f"{lim.max_cells:,}")


def _scan_dta(path: Path, lim: Any) -> None:
    """Stata header: formats 117–119 (``<K>`` then ``<N>``, little or big endian) and 104–115 (binary)."""
    with path.open("rb") as f:
        head = f.read(256)
    try:
        if head.startswith(b"<stata_dta>"):
            release = int(head[head.index(b"<release>") + 9:head.index(b"</release>")])
            order = "<" if b"<byteorder>LSF" in head else ">"
            k_at, n_at = head.index(b"<K>") + 3, head.index(b"<N>") + 3
            k_fmt, k_len = ("I", 4) if release >= 119 else ("H", 2)
            n_fmt, n_len = ("I", 4) if release == 117 else ("Q", 8)
            nvar = struct.unpack(order + k_fmt, head[k_at:k_at + k_len])[0]
            nobs = struct.unpack(order + n_fmt, head[n_at:n_at + n_len])[0]
        else:
            order = ">" if head[1] == 1 else "<"
            nvar, nobs = struct.unpack(order + "H", head[4:6])[0], struct.unpack(order + "I", head[6:10])[0]
    except (ValueError, struct.error, IndexError):
        return
    check_table_size(int(nobs), int(nvar), lim)


_SEPS = (b",", b"\t", b";", "，".encode())


def _scan_text(path: Path, lim: Any) -> None:
    """Stream the lines: the widest (fields by comma, tab, semicolon or the Chinese comma) and the number of
    non-blank lines. (Text holds at least a byte per field, so its cells are bounded by its size.)"""
    widest = line_no = n_lines = 0
    with path.open("rb") as f:
        for k, line in enumerate(f, start=1):
            if not line.strip():
                continue
            n_lines += 1
            w = max(line.count(s) for s in _SEPS) + 1
            if w > widest:
                widest, line_no = w, k
    if widest > lim.max_cols + 10:
        raise TooLarge("too_many_columns", "max_cols", cols=f"{widest:,}", limit=f"{lim.max_cols:,}", line=line_no)
    if n_lines > lim.max_rows + 1:
        raise TooLarge("too_many_rows", "max_rows", rows=f"{n_lines - 1:,}", limit=f"{lim.max_rows:,}")


__all__ = ["ENV", "Limits", "TooLarge", "check_table_size", "prescan"]
