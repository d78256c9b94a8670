"""Small shared helpers: atomic file writes, hashing, package versions for manifests."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path`` atomically.

    On failure the temporary file is removed and any existing ``path`` is left untouched, so a user's
    file is never half-written. With ``overwrite=False`` an existing target raises ``FileExistsError``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and target.exists():
        raise FileExistsError(f"{target} exists; choose another output path or pass overwrite")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs are meant to be shared like any new file
    try:
        yield tmp_path
        fsync_file(tmp_path)  # the data reach the disk before the name does (no empty file after a crash)
        os.replace(tmp_path, target)
        fsync_dir(target.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def fsync_file(path: str | os.PathLike) -> None:
    """Flush ``path``'s data to the storage device (``fsync``); a regular file that is missing raises."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str | os.PathLike) -> None:
    """Flush a directory's entries (a rename into it) where the OS allows it (POSIX; a no-op on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder beside ``path`` for a multi-file output set; all or nothing.

    Files are written into the staging folder (by :func:`atomic_path` and the ``write_*_atomic`` helpers, which
    fsync each one). On success a missing ``path`` becomes the staging folder by one atomic rename; into an
    existing ``path`` each staged file is renamed in turn (same file system, so nothing is copied and a rename
    does not run out of space), then the folder entry is fsynced. On failure the staging folder is removed and
    ``path`` is left exactly as it was (files already there keep their old contents)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".stage", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(stage, 0o777 & ~umask)  # mkdtemp makes 0700; an output folder is shared like any new folder
    try:
        yield stage
        if not target.exists():
            os.replace(stage, target)
            fsync_dir(target.parent)
        else:
            _move_into(stage, target)
    finally:
        if stage.exists():
            import shutil

            shutil.rmtree(stage, ignore_errors=True)


def _move_into(src: Path, dst: Path) -> None:
    """Rename every entry of ``src`` into the existing folder ``dst`` (sub-folders merged recursively)."""
    if not dst.is_dir():
        raise FileExistsError(f"{dst} exists and is not a folder; choose another output folder")
    for entry in sorted(src.iterdir()):
        dest = dst / entry.name
        if entry.is_dir() and dest.is_dir():
            _move_into(entry, dest)
        else:
            os.replace(entry, dest)
    fsync_dir(dst)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def write_csv_atomic(path: str | os.PathLike, df: pd.DataFrame, *, raw_text: bool = False, **kwargs: Any) -> Path:
    """Write ``df`` as CSV atomically (no index unless ``index=True``).

    Text cells and column names that a spreadsheet would run as a formula (``= + - @``, tab, CR first) get a
    leading apostrophe (:func:`neutralise_frame`); ``raw_text=True`` writes them unchanged."""
    df, kwargs = _csv_ready(df, raw_text, kwargs)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)
    return Path(path)


def csv_text(df: pd.DataFrame, *, raw_text: bool = False, **kwargs: Any) -> str:
    """The CSV text :func:`write_csv_atomic` would write (for downloads): same neutralisation and quoting."""
    df, kwargs = _csv_ready(df, raw_text, kwargs)
    return df.to_csv(None, **kwargs)


def _csv_ready(df: pd.DataFrame, raw_text: bool, kwargs: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    kwargs = {"index": False, **kwargs}
    if not raw_text:
        df = neutralise_frame(df, index=bool(kwargs["index"]))
    if "lineterminator" not in kwargs and has_carriage_return(df):
        kwargs["lineterminator"] = "\r\n"
    return df, kwargs


def has_carriage_return(df: pd.DataFrame) -> bool:
    """Whether a text cell or column name contains a carriage return.

    Python's CSV writer quotes such a cell only when CR is part of the line terminator; unquoted, Excel and
    pandas start a new row at the CR — the text after it lands in a cell of its own, where ``=…`` would run
    as a formula. Writers pass ``lineterminator="\\r\\n"`` for such frames."""
    if any(isinstance(c, str) and "\r" in c for c in df.columns):
        return True
    for k in range(df.shape[1]):
        s = df.iloc[:, k]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            if s.map(lambda v: isinstance(v, str) and "\r" in v).any():
                return True
    return False


# ------------------------------------------------------------------ spreadsheet formula injection

#: First characters that make Excel, LibreOffice or Google Sheets read a text cell as a formula (OWASP
#: "CSV injection": = + - @, tab and carriage return).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# text that a spreadsheet reads as a plain number (e.g. "-3.2", "+1e5"): no formula, left as it is
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(v: object) -> object:
    """``v`` with a leading apostrophe when it is text that a spreadsheet would run as a formula.

    The apostrophe is the neutraliser OWASP recommends for CSV/XLSX injection: the cell shows as text.
    Numbers (and text that is only a number, such as ``"-3.2"``) and every other value are returned unchanged."""
    if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(v):
        return "'" + v
    return v


def _neutralise_labels(labels: pd.Index) -> pd.Index | None:
    """Neutralised copy of column or index labels, or ``None`` when none needs it."""
    if isinstance(labels, pd.MultiIndex):
        tuples = [tuple(neutralise_cell(v) for v in t) for t in labels]
        names = [neutralise_cell(n) for n in labels.names]
        if tuples == list(labels) and names == list(labels.names):
            return None
        return pd.MultiIndex.from_tuples(tuples, names=names)
    if pd.api.types.is_numeric_dtype(labels.dtype) and not isinstance(labels.name, str):
        return None
    orig = list(labels)
    vals = [neutralise_cell(v) for v in orig]
    name = neutralise_cell(labels.name)
    if all(a is b for a, b in zip(vals, orig, strict=True)) and name is labels.name:
        return None
    return pd.Index(vals, name=name, dtype=object)


def neutralise_frame(df: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """``df`` with every text cell and column name passed through :func:`neutralise_cell` (the index too
    when ``index``); numeric columns are untouched, so ``-3.2`` stays a number. ``df`` itself is not
    modified; it is returned as it is when nothing needs neutralising."""
    changed: dict[int, list] = {}
    for k in range(df.shape[1]):
        s = df.iloc[:, k]
        text = s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
        if not text:
            continue
        vals = s.to_numpy(dtype=object)
        new = [neutralise_cell(v) for v in vals]
        if any(a is not b for a, b in zip(new, vals, strict=True)):
            changed[k] = new
    cols = _neutralise_labels(df.columns)
    rows = _neutralise_labels(df.index) if index else None
    if not changed and cols is None and rows is None:
        return df
    out = df.copy()
    for k, new in changed.items():
        out.isetitem(k, pd.Series(new, index=df.index, dtype=object))
    if cols is not None:
        out.columns = cols
    if rows is not None:
        out.index = rows
    return out


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, set):
        return sorted(o)
    return str(o)


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_frame(df: pd.DataFrame) -> str:
    """A content hash of a DataFrame that does not depend on memory layout."""
    h = pd.util.hash_pandas_object(df, index=False).values
    return hashlib.sha256(h.tobytes() + "|".join(map(str, df.columns)).encode()).hexdigest()


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    names = ("nqpf", "numpy", "pandas", "scipy", "highspy", *extra)
    out: dict[str, str] = {}
    for n in names:
        try:
            out[n] = importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            out[n] = "not installed"
    return out


# ------------------------------------------------------------------ notes (warnings a result records)

_NOTES: ContextVar[tuple[list[str], ...]] = ContextVar("nqpf_notes", default=())
_QUIET: ContextVar[bool] = ContextVar("nqpf_quiet", default=False)


def warn(message: str, category: type[Warning] = UserWarning, stacklevel: int = 2) -> None:
    """Record ``message`` in every active :func:`collect_notes` sink and issue it with :func:`warnings.warn`
    (not inside :func:`quiet_notes`).

    The sinks are a context variable, so concurrent builds in threads (the dashboard) each record only their
    own notes; ``warnings.catch_warnings`` swaps process-global state and mixes them."""
    for sink in _NOTES.get():
        if message not in sink:
            sink.append(message)
    if not _QUIET.get():
        warnings.warn(message, category, stacklevel=stacklevel + 1)


@contextlib.contextmanager
def note_sink(sink: list[str]) -> Iterator[list[str]]:
    """Make ``sink`` one more receiver of :func:`warn` in this thread/context (the enclosing sinks still
    receive every message)."""
    token = _NOTES.set((*_NOTES.get(), sink))
    try:
        yield sink
    finally:
        _NOTES.reset(token)


@contextlib.contextmanager
def collect_notes() -> Iterator[list[str]]:
    """Collect the messages passed to :func:`warn` in this thread/context (deduplicated, in order)."""
    with note_sink([]) as sink:
        yield sink


@contextlib.contextmanager
def quiet_notes() -> Iterator[list[str]]:
    """:func:`collect_notes`, and :func:`warn` does not call :func:`warnings.warn` in this context: the
    thread-safe replacement of ``catch_warnings(record=True)`` for nqpf's own notes."""
    token = _QUIET.set(True)
    try:
        with collect_notes() as sink:
            yield sink
    finally:
        _QUIET.reset(token)


_IGNORE_LOCK = threading.Lock()
_IGNORE_STATE: dict[str, Any] = {"depth": 0, "entry": None}


@contextlib.contextmanager
def ignore_warnings() -> Iterator[None]:
    """Ignore the warnings of third-party code (PySAL, statsmodels, openpyxl) inside the block.

    Unlike ``warnings.catch_warnings``, which saves and restores the whole process-global filter list (two
    threads interleaving it can leave the process ignoring every warning for good, or drop a filter another
    thread added), this adds one ``ignore`` filter while at least one thread is inside and removes exactly that
    entry when the last one leaves. nqpf's own notes are unaffected: they reach the :func:`collect_notes` sinks
    whatever the filters say."""
    with _IGNORE_LOCK:
        if _IGNORE_STATE["depth"] == 0:
            warnings.filterwarnings("ignore")
            _IGNORE_STATE["entry"] = warnings.filters[0]
        _IGNORE_STATE["depth"] += 1
    try:
        yield
    finally:
        with _IGNORE_LOCK:
            _IGNORE_STATE["depth"] -= 1
            if _IGNORE_STATE["depth"] == 0:
                with contextlib.suppress(ValueError):  # someone reset the filters meanwhile
                    warnings.filters.remove(_IGNORE_STATE["entry"])
                warnings._filters_mutated()  # noqa: SLF001 - invalidate the per-module "already warned" caches
                _IGNORE_STATE["entry"] = None
