"""Uploads under limits: a metadata pre-scan, then parsing in a killable worker process with a memory cap.

Hostile files that are small on the wire but huge once loaded (a single xlsx cell at XFD1048576, a merge over
the whole sheet, a million deflated cells, a 1000:1 deflate bomb, a Parquet file of 50 million constant rows,
a Stata header that lies about its size) are refused from what the file says about itself *before* anything
is loaded: the zip directory and a streaming count of the worksheet XML (cells, their extent, merged ranges,
the declared dimension), Parquet footer metadata (rows, columns, uncompressed bytes), the Stata header (N, K)
and the widest CSV line. Whatever passes is parsed by :func:`nqpf.data.validate.validate` in a child process
(``forkserver``: a clean single-threaded parent that has already imported pandas) whose address space is
capped with ``setrlimit(RLIMIT_AS)`` and which is killed at the time limit, so neither memory nor CPU of the
server is at the mercy of the file. Each refusal is a :class:`Rejected` with an HTTP status, a stable code and
a bilingual message from the catalogue (``web.reject.<code>``).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nqpf.data.prescan import TooLarge
from nqpf.data.prescan import prescan as _data_prescan
from nqpf.i18n import t

log = logging.getLogger("nqpf.web")
MB = 1024 * 1024
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class Limits:
    """Upload limits: ``max_rows`` values, ``max_cols`` indicators (also the widest CSV line, plus slack),
    ``max_cells`` of a sheet's used range (rows × columns, as the reader fills it densely), ``max_unzipped``
    bytes inside an archive, ``memory_mb`` address space the parser may add, ``timeout`` seconds of parsing."""

    max_rows: int = 200_000
    max_cols: int = 500
    max_cells: int = 500_000
    max_unzipped: int = 256 * MB
    memory_mb: int = 1024
    timeout: float = 30.0


class Rejected(Exception):
    """An upload refused before or while parsing: HTTP ``status``, stable ``code``, message fields ``fmt``."""

    def __init__(self, status: int, code: str, **fmt: Any):
        self.status, self.code, self.fmt = status, code, fmt
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return t(f"web.reject.{self.code}", lang, **self.fmt)

    def body(self, lang: str = "en") -> dict[str, Any]:
        """The JSON error answer: message in ``lang``, the code, and both languages."""
        return {"error": self.message(lang), "code": self.code,
                "detail": {"zh": self.message("zh"), "en": self.message("en")}}


# ------------------------------------------------------------------------------------------- pre-scan
def prescan(path: Path, lim: Limits) -> None:
    """Refuse ``path`` from its own metadata when loading it would exceed ``lim`` (raises :class:`Rejected`);
    the scan itself is :func:`nqpf.data.prescan.prescan`, shared with the command line."""
    try:
        _data_prescan(path, lim)
    except TooLarge as exc:
        raise Rejected(exc.status, exc.code, **exc.fmt) from None


# ------------------------------------------------------------------------------------------- worker
_CTX: Any = None


def _context() -> Any:
    """The ``forkserver`` context (its server process imports this module, hence pandas, once)."""
    global _CTX
    if _CTX is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["nqpf.web.guard", "nqpf.data.validate", "nqpf.data.io", "openpyxl"])
        else:  # Windows: a fresh interpreter per upload (slower start, same limits where the OS has them)
            ctx = multiprocessing.get_context("spawn")
        _CTX = ctx
    return _CTX


def _noop() -> None:
    return None


def warm() -> None:
    """Start the worker machinery now (the forkserver imports pandas and the readers once, 1–3 s), so that
    the first upload does not spend its time limit on it."""
    try:
        proc = _context().Process(target=_noop, daemon=True, name="nqpf-parse-warm")
        proc.start()
        proc.join(60)
    except Exception:  # noqa: BLE001 - best effort; a failing worker start is reported by the first upload
        log.exception("starting the upload worker failed")


def _vm_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cap(lim: Limits) -> None:
    """Cap this process: address space = current + ``memory_mb``, CPU time = ``timeout`` + 5 s (POSIX; elsewhere
    only the parent's kill at the time limit applies)."""
    try:
        import resource
    except ImportError:
        return

    try:  # Arrow's jemalloc/mimalloc pools reserve gigabytes of address space up front: use malloc
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
        pa.array(["x"])
    except (ImportError, NotImplementedError):
        pass

    def lower(which: int, soft: int, hard: int) -> None:  # never above a limit the server already has
        _, cur = resource.getrlimit(which)
        if cur != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur), min(hard, cur)
        resource.setrlimit(which, (soft, hard))

    now = _vm_bytes()
    if now is not None:
        cap = now + lim.memory_mb * MB
        lower(resource.RLIMIT_AS, cap, cap)
    cpu = int(lim.timeout) + 5
    lower(resource.RLIMIT_CPU, cpu, cpu + 5)


def _problem_dict(p: Any, shown: str, stored: str) -> dict[str, Any]:
    return {"severity": p.severity, "code": p.code, "where": p.where().replace(f"file {stored}", f"file {shown}"),
            "message": p.message, "row": p.row, "column": p.column, "unit": p.unit, "indicator": p.indicator}


def parse_here(path: Path, units: str, lim: Limits, shown: str, lang: str = "en") -> dict[str, Any]:
    """Pre-scan and validate ``path`` in this process: ``{"problems": [...], "data": DataFrame | None}``
    (problem messages in ``lang``)."""
    from nqpf.data.validate import validate

    prescan(path, lim)
    report = validate(path, units=units, lang=lang)
    return {"problems": [_problem_dict(p, shown, path.name) for p in report.problems],
            "data": report.data if report.ok else None}


def _child(conn: Any, path: str, units: str, lim: dict[str, Any], shown: str, lang: str = "en") -> None:
    limits = Limits(**lim)
    try:
        _cap(limits)
        out: tuple[Any, ...] = ("ok", parse_here(Path(path), units, limits, shown, lang))
    except Rejected as r:
        out = ("rejected", r.status, r.code, r.fmt)
    except MemoryError:
        out = ("rejected", 413, "parse_memory", {"limit_mb": limits.memory_mb})
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a parse failure
        out = ("rejected", 422, "parse_crashed", {"reason": type(exc).__name__})
    try:
        conn.send(out)
    except MemoryError:
        conn.send(("rejected", 413, "parse_memory", {"limit_mb": limits.memory_mb}))
    finally:
        conn.close()


def parse_in_worker(path: Path, units: str, lim: Limits, shown: str, timeout: float | None = None,
                    cancel: threading.Event | None = None, lang: str = "en") -> dict[str, Any]:
    """:func:`parse_here` in a capped child process, killed after ``timeout`` (default ``lim.timeout``)
    seconds or as soon as ``cancel`` is set; raises :class:`Rejected` (``parse_timeout``, ``parse_memory``,
    ``parse_crashed`` or a pre-scan code). Nothing of the child survives the call."""
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, str(path), units, asdict(lim), shown, lang), daemon=True,
                       name="nqpf-parse")
    proc.start()
    send.close()
    wait = lim.timeout if timeout is None else timeout
    got = False
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        while not recv.poll(min(0.1, max(deadline - time.monotonic(), 0.0))):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                raise Rejected(422, "parse_timeout", seconds=f"{wait:.0f}")
        try:
            msg = recv.recv()
            got = True
        except (EOFError, OSError):
            proc.join(2)
            code = proc.exitcode
            if code == -signal.SIGXCPU:
                raise Rejected(422, "parse_timeout", seconds=f"{wait:.0f}") from None
            if code == -signal.SIGKILL:  # the kernel's out-of-memory killer
                raise Rejected(413, "parse_memory", limit_mb=lim.memory_mb) from None
            raise Rejected(422, "parse_crashed", reason=f"exit {code}") from None
    finally:
        if got:  # a worker that answered exits by itself; one that timed out is killed at once
            proc.join(2)
        if proc.is_alive():
            proc.kill()
            proc.join()
        recv.close()
        proc.close()
    if msg[0] == "rejected":
        raise Rejected(msg[1], msg[2], **msg[3])
    return msg[1]


__all__ = ["Limits", "Rejected", "parse_here", "parse_in_worker", "prescan", "warm"]
