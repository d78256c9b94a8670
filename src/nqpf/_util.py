"""Small shared helpers: atomic file writes, hashing, package versions for manifests."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import tempfile
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
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> Path:
    return write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def write_csv_atomic(path: str | os.PathLike, df: pd.DataFrame, **kwargs: Any) -> Path:
    kwargs.setdefault("index", False)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)
    return Path(path)


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

_NOTES: ContextVar[list[str] | None] = ContextVar("nqpf_notes", default=None)


def warn(message: str, category: type[Warning] = UserWarning, stacklevel: int = 2) -> None:
    """Issue ``message`` with :func:`warnings.warn` and record it in the active :func:`collect_notes` sink.

    The sink is a context variable, so concurrent builds in threads (the dashboard) each record only their own
    notes; ``warnings.catch_warnings`` swaps process-global state and mixes them."""
    sink = _NOTES.get()
    if sink is not None and message not in sink:
        sink.append(message)
    warnings.warn(message, category, stacklevel=stacklevel + 1)


@contextlib.contextmanager
def collect_notes() -> Iterator[list[str]]:
    """Collect the messages passed to :func:`warn` in this thread/context (deduplicated, in order)."""
    sink: list[str] = []
    token = _NOTES.set(sink)
    try:
        yield sink
    finally:
        _NOTES.reset(token)
