"""Write ``docs/reliability.md``: every hostile-input class run against the real dashboard server.

    python scripts/reliability_table.py [--tries 3] [--out docs/reliability.md] [--print]

Starts ``nqpf serve`` on a random free loopback port under an address-space limit, sends each file of the
corpus (``scripts/make_hostile.py``) ``--tries`` times, then the scenarios that need a server of their own
(parse timeout, busy server, parser memory cap, foreign Host, cross-site POST, wrong content type, upload
quota), and after each answer checks that ``/api/health`` still answers and the server's resident memory.
An outcome is a *silent loss* when a bad file is stored as good (or a refused one is stored at all) and a
*crash* when the server dies, answers 5xx (other than the 503 "busy" refusal) or stops answering
``/api/health``. Nothing in the page is typed by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from make_hostile import CASES, OUT, Case, xlsx_cells  # noqa: E402

OCTET = {"content-type": "application/octet-stream"}
SERVER_AS_LIMIT = 6 * 1024**3  # address space of the whole server process (the worker caps its own lower)
RSS_BOUND_MB = 1024  # resident memory the server may reach while refusing the corpus


# ------------------------------------------------------------------------------------------- server harness
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of one process (``VmRSS``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> set[int]:
    """All live descendant process ids of ``pid`` (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(d.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


@dataclass
class Server:
    """``nqpf serve`` in a subprocess on a free loopback port, under ``RLIMIT_AS``; extra CLI ``args``."""

    args: list[str] = field(default_factory=list)
    data_dir: Path | None = None
    proc: subprocess.Popen | None = None
    base: str = ""
    _tmp: tempfile.TemporaryDirectory | None = None
    _log: Any = None

    def __enter__(self) -> Server:
        if self.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="nqpf-hostile-")
            self.data_dir = Path(self._tmp.name)
        port = free_port()
        exe = Path(sys.executable).with_name("nqpf")

        def limit() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (SERVER_AS_LIMIT, SERVER_AS_LIMIT))

        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--data-dir", str(self.data_dir),
                                      *self.args], stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=limit, env=env)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            if self.proc.poll() is not None:
                self._log.seek(0)
                out = self._log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"server exited with {self.proc.returncode}: {out}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            self.proc.kill()
            raise RuntimeError("server did not start")
        # the warm-up (default run) is part of the baseline
        httpx.get(f"{self.base}/api/runs/default", timeout=300).raise_for_status()
        self.baseline_mb = rss_mb(self.proc.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            return self.alive() and httpx.get(f"{self.base}/api/health", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def upload(self, body: bytes, filename: str, headers: dict[str, str] | None = None,
               timeout: float = 120, **params: str) -> httpx.Response:
        return httpx.post(f"{self.base}/api/uploads", params={"filename": filename, **params}, content=body,
                          headers=OCTET if headers is None else headers, timeout=timeout)

    def n_uploads(self) -> int:
        return len(httpx.get(f"{self.base}/api/uploads", timeout=10).json())

    def rss_mb(self) -> float:
        return rss_mb(self.pid)


def slow_xlsx() -> bytes:
    """A workbook under every pre-scan limit that still takes the reader seconds (480,000 cells)."""
    return xlsx_cells(n_cells=480_000)


def big_csv(rows: int = 150_000) -> bytes:
    """A valid long CSV of ``rows`` values (about 4 MB)."""
    lines = ["unit,period,indicator,value"]
    lines += [f"u{i % 5000},{2000 + (i // 5000) % 20},x{i // 100_000},{i % 997}.5" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------------------------------- the runs
@dataclass
class Row:
    attack: str
    case: str
    what: str
    expected: str
    tries: int = 0
    matched: int = 0
    silent: int = 0
    crashes: int = 0
    outcomes: set[str] = field(default_factory=set)
    max_rss_mb: float = 0.0

    @property
    def outcome(self) -> str:
        return ", ".join(sorted(self.outcomes))


def _judge(row: Row, srv: Server, r: httpx.Response | None, before: int, expect_status: int, expect_code: str,
           problem: str | None = None, ok: bool | None = None) -> None:
    row.tries += 1
    row.max_rss_mb = max(row.max_rss_mb, srv.rss_mb() if srv.alive() else float("nan"))
    if r is None or not srv.healthy() or (r.status_code >= 500 and r.status_code != 503):
        row.crashes += 1
        row.outcomes.add("crash" if r is None else f"{r.status_code} crash")
        return
    body = r.json()
    if expect_status == 200:
        codes = {p["code"] for p in body.get("report", {}).get("problems", [])}
        if r.status_code == 200 and problem in codes and body.get("ok") is ok:
            row.matched += 1
            row.outcomes.add(f"stored, reported {problem}" + ("" if ok else " (not usable)"))
        elif r.status_code == 200 and body.get("ok") and problem not in codes:
            row.silent += 1
            row.outcomes.add("SILENT: stored as good")
        else:
            row.outcomes.add(f"{r.status_code} {body.get('code') or sorted(codes)}")
        return
    got = (r.status_code, body.get("code"))
    if srv.n_uploads() != before:
        row.silent += 1
        row.outcomes.add("SILENT: refused but stored")
    elif got == (expect_status, expect_code):
        row.matched += 1
        row.outcomes.add(f"refused {got[0]} {got[1]}")
    else:
        row.outcomes.add(f"{got[0]} {got[1]}")


def run_corpus(tries: int, srv: Server) -> list[Row]:
    rows = []
    for c in CASES:
        body = (OUT / c.name).read_bytes()
        row = Row(c.attack, c.name, c.what, _expected(c))
        for _ in range(tries):
            before = srv.n_uploads()
            try:
                r = srv.upload(body, c.name)
            except httpx.HTTPError:
                r = None
            _judge(row, srv, r, before, c.status, c.code, c.problem, c.ok)
        rows.append(row)
    return rows


def _expected(c: Case) -> str:
    return f"{c.status} {c.code}" if c.status != 200 else f"200, problem {c.problem}, ok={c.ok}"


def run_limits(tries: int) -> list[Row]:
    """Scenarios needing their own server settings: timeout + busy, memory cap, quota, host, origin, type."""
    rows: list[Row] = []
    slow = slow_xlsx()
    with Server(["--parse-timeout", "1", "--max-parses", "1", "--queue-wait", "0"]) as srv:
        t_row = Row("cpu", "parse_timeout", "480,000-cell workbook, parse limit 1 s (worker killed)",
                    "422 parse_timeout")
        b_row = Row("cpu", "busy", "5 uploads while the only parse slot is taken", "503 busy")
        for _ in range(tries):
            before = srv.n_uploads()
            results: dict[int, httpx.Response | None] = {}

            def send(k: int, body: bytes, name: str, results: dict = results) -> None:
                try:
                    results[k] = srv.upload(body, name)
                except httpx.HTTPError:
                    results[k] = None

            first = threading.Thread(target=send, args=(0, slow, "slow.xlsx"))
            first.start()
            time.sleep(0.5)
            others = [threading.Thread(target=send, args=(k, b"unit,period,x\n110000,2020,1\n", "s.csv"))
                      for k in range(1, 6)]
            for th in others:
                th.start()
            for th in others:
                th.join()
            first.join()
            time.sleep(0.5)
            _judge(t_row, srv, results[0], before, 422, "parse_timeout")
            workers = descendants(srv.pid)
            # the forkserver stays; no parse worker may outlive its time limit
            if len(workers) > 2:
                t_row.outcomes.add(f"{len(workers)} processes left")
                t_row.crashes += 1
            for k in range(1, 6):
                _judge(b_row, srv, results[k], before, 503, "busy")
        rows += [t_row, b_row]
    with Server() as srv:
        row = Row("cpu", "flood", "45 parallel uploads (default 2 parse slots); /api/health polled meanwhile",
                  "200 or 503 busy, health < 2 s")
        worst = 0.0
        for _ in range(tries):
            lat: list[float] = []
            stop = threading.Event()

            def probe(lat: list[float] = lat, stop: threading.Event = stop) -> None:
                while not stop.is_set():
                    t0 = time.monotonic()
                    lat.append(time.monotonic() - t0 if srv.healthy(timeout=5) else float("inf"))
                    time.sleep(0.05)

            th = threading.Thread(target=probe)
            th.start()
            with ThreadPoolExecutor(max_workers=45) as ex:
                answers = list(ex.map(lambda k: srv.upload(b"unit,period,x\n110000,2020,1\n", f"f{k}.csv"),
                                      range(45)))
            stop.set()
            th.join()
            row.tries += 1
            row.max_rss_mb = max(row.max_rss_mb, srv.rss_mb())
            codes = {(a.status_code, a.json().get("code")) for a in answers}
            if not srv.healthy() or any(s >= 500 and c != "busy" for s, c in codes):
                row.crashes += 1
                row.outcomes.add("crash")
            elif codes <= {(200, None), (503, "busy")} and max(lat) < 2.0:
                row.matched += 1
                worst = max(worst, max(lat))
            else:
                row.outcomes.add(f"{sorted(codes, key=str)}; health max {max(lat):.1f} s")
        if row.matched:
            row.outcomes.add(f"each parsed or 503 busy; /api/health at most {worst * 1000:.0f} ms")
        rows.append(row)
    with Server(["--parse-memory-mb", "48"]) as srv:
        row = Row("memory", "parse_memory", "150,000-row CSV with 48 MB for the parser", "413 parse_memory")
        body = big_csv()
        for _ in range(tries):
            before = srv.n_uploads()
            _judge(row, srv, srv.upload(body, "big.csv"), before, 413, "parse_memory")
        rows.append(row)
    with Server(["--max-uploads", "2"]) as srv:
        good = b"unit,period,x\n110000,2020,1\n"
        row = Row("quota", "quota_exceeded", "a third upload with --max-uploads 2", "413 quota_exceeded")
        for _ in range(tries):
            for u in httpx.get(f"{srv.base}/api/uploads").json():
                httpx.delete(f"{srv.base}/api/uploads/{u['id']}").raise_for_status()
            srv.upload(good, "a.csv").raise_for_status()
            srv.upload(good, "b.csv").raise_for_status()
            before = srv.n_uploads()
            _judge(row, srv, srv.upload(good, "c.csv"), before, 413, "quota_exceeded")
        rows.append(row)
        for case, what, headers, status, code in [
            ("foreign_host", "Host: evil.example (DNS rebinding)", {**OCTET, "host": "evil.example"}, 400,
             "host_not_allowed"),
            ("foreign_origin", "POST with Origin: https://evil.example (CSRF)",
             {**OCTET, "origin": "https://evil.example"}, 403, "origin_forbidden"),
            ("foreign_referer", "POST with only a foreign Referer", {**OCTET, "referer": "https://evil.example/x"},
             403, "origin_forbidden"),
            ("text_plain", "upload as text/plain (what a no-cors page can send)", {"content-type": "text/plain"},
             415, "unsupported_media_type"),
        ]:
            row = Row("cross-site", case, what, f"{status} {code}")
            for _ in range(tries):
                for u in httpx.get(f"{srv.base}/api/uploads").json():
                    httpx.delete(f"{srv.base}/api/uploads/{u['id']}").raise_for_status()
                before = srv.n_uploads()
                _judge(row, srv, srv.upload(good, "x.csv", headers=headers), before, status, code)
            rows.append(row)
    return rows


def table(rows: list[Row], tries: int, baseline: float) -> str:
    silent = sum(r.silent for r in rows)
    crashes = sum(r.crashes for r in rows)
    n = sum(r.tries for r in rows)
    lines = [
        "# Reliability under hostile input",
        "",
        "Generated by `python scripts/reliability_table.py` (do not edit by hand): every class of",
        "`tests/data/hostile/` (written by `scripts/make_hostile.py`) and every server-limit scenario, sent",
        f"{tries} times each to a real `nqpf serve` on a loopback port under a {SERVER_AS_LIMIT // 1024**3} GB "
        "address-space limit.",
        "After every answer `/api/health` must answer and the server must stay up. *Silent loss*: a bad file",
        "stored as good, or a refused one stored at all. *Crash*: the server died, answered 5xx (other than",
        "503 busy) or stopped answering `/api/health`.",
        "",
        f"**{n} tries: {silent} silent losses, {crashes} crashes.** Server memory after warm-up "
        f"{baseline:.0f} MB; the largest resident size seen is in the last column (bound {RSS_BOUND_MB} MB).",
        "",
        "| attack class | case | what | expected | tries | as expected | silent losses | crashes | outcome "
        "| max RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.attack} | `{r.case}` | {r.what} | {r.expected} | {r.tries} | {r.matched} | {r.silent} "
                     f"| {r.crashes} | {r.outcome} | {r.max_rss_mb:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "reliability.md")
    ap.add_argument("--print", action="store_true", help="print the page instead of writing it")
    a = ap.parse_args(argv)
    with Server() as srv:
        baseline = srv.baseline_mb
        rows = run_corpus(a.tries, srv)
    rows += run_limits(a.tries)
    page = table(rows, a.tries, baseline)
    if a.print:
        print(page)
    else:
        from nqpf._util import atomic_path

        with atomic_path(a.out) as tmp:
            Path(tmp).write_text(page, encoding="utf-8")
        print(f"wrote {a.out}")
    bad = sum(r.silent + r.crashes for r in rows) + sum(r.tries - r.matched for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
