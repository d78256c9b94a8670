"""Embedded storage for the dashboard: one SQLite file under ``--data-dir``.

Uploaded datasets and computed runs are rows addressed by random ids; tables travel as Parquet blobs, so
nothing is written outside the data directory and no request path ever names a file.
"""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, created REAL NOT NULL, filename TEXT NOT NULL, n_rows INTEGER, n_cols INTEGER,
    ok INTEGER NOT NULL, report TEXT NOT NULL, data BLOB
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created REAL NOT NULL, source TEXT NOT NULL, settings TEXT NOT NULL,
    manifest TEXT NOT NULL, scores BLOB NOT NULL, weights BLOB NOT NULL, nodes TEXT NOT NULL
);
"""


def _to_blob(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _from_blob(b: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(b))


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class Store:
    """Thread-safe access to ``<data_dir>/nqpf.sqlite``."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / "nqpf.sqlite"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        with self._lock:
            self._con.executescript(SCHEMA)
            self._con.commit()

    @property
    def _con(self) -> sqlite3.Connection:
        """The connection, (re)opened on first use after :meth:`close` (call with the lock held)."""
        if self._db is None:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # uploads ---------------------------------------------------------------------------------------------
    def add_upload(self, filename: str, ok: bool, report: dict, data: pd.DataFrame | None) -> str:
        uid = new_id("up")
        blob = _to_blob(data) if data is not None else None
        n_rows = int(len(data)) if data is not None else None
        n_cols = int(data.shape[1]) if data is not None else None
        with self._lock:
            self._con.execute(
                "INSERT INTO uploads VALUES (?,?,?,?,?,?,?,?)",
                (uid, time.time(), filename, n_rows, n_cols, int(ok), json.dumps(report, ensure_ascii=False), blob),
            )
            self._con.commit()
        return uid

    def get_upload(self, uid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._con.execute(
                "SELECT id, created, filename, n_rows, n_cols, ok, report, data FROM uploads WHERE id=?", (uid,)
            ).fetchone()
        if row is None:
            return None
        return {
            "id": row[0], "created": row[1], "filename": row[2], "n_rows": row[3], "n_cols": row[4],
            "ok": bool(row[5]), "report": json.loads(row[6]), "data": _from_blob(row[7]) if row[7] else None,
        }

    def upload_filename(self, uid: str) -> str | None:
        """The display name of an upload (None when there is none with this id)."""
        with self._lock:
            row = self._con.execute("SELECT filename FROM uploads WHERE id=?", (uid,)).fetchone()
        return None if row is None else str(row[0])

    def list_uploads(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._con.execute(
                "SELECT id, created, filename, n_rows, n_cols, ok FROM uploads ORDER BY created DESC"
            ).fetchall()
        return [dict(zip(("id", "created", "filename", "n_rows", "n_cols", "ok"), r, strict=True)) for r in rows]

    def delete_upload(self, uid: str) -> bool:
        """Remove an upload (its report and data); False when there is none with this id."""
        with self._lock:
            cur = self._con.execute("DELETE FROM uploads WHERE id=?", (uid,))
            self._con.commit()
        return cur.rowcount > 0

    def upload_usage(self) -> tuple[int, int]:
        """(number of stored uploads, bytes of their stored data and reports)."""
        with self._lock:
            n, size = self._con.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) + COALESCE(SUM(LENGTH(report)), 0) FROM uploads"
            ).fetchone()
        return int(n), int(size)

    # runs ------------------------------------------------------------------------------------------------
    def add_run(
        self, source: str, settings: dict, manifest: dict, scores: pd.DataFrame, weights: pd.DataFrame, nodes: list[dict]
    ) -> str:
        rid = new_id("run")
        with self._lock:
            self._con.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?)",
                (rid, time.time(), source, json.dumps(settings, ensure_ascii=False),
                 json.dumps(manifest, ensure_ascii=False, default=str), _to_blob(scores), _to_blob(weights),
                 json.dumps(nodes, ensure_ascii=False)),
            )
            self._con.commit()
        return rid

    def get_run(self, rid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._con.execute(
                "SELECT id, created, source, settings, manifest, scores, weights, nodes FROM runs WHERE id=?", (rid,)
            ).fetchone()
        if row is None:
            return None
        return {
            "id": row[0], "created": row[1], "source": row[2], "settings": json.loads(row[3]),
            "manifest": json.loads(row[4]), "scores": _from_blob(row[5]), "weights": _from_blob(row[6]),
            "nodes": json.loads(row[7]),
        }

    def list_runs(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._con.execute("SELECT id, created, source, settings FROM runs ORDER BY created DESC").fetchall()
        return [{"id": r[0], "created": r[1], "source": r[2], "settings": json.loads(r[3])} for r in rows]
