"""``nqpf serve``: the web dashboard."""

from __future__ import annotations

from pathlib import Path

import typer

from nqpf.cli.main import app, console


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind. Loopback by default: the server is single-user "
                             "and has no authentication, so do not expose it on a network."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    data_dir: Path = typer.Option(Path("nqpf-data"), "--data-dir", help="Where uploads and runs are stored "
                                  "(an SQLite file); nothing is written elsewhere."),
    max_upload_mb: float = typer.Option(20.0, help="Upload size limit in MB, enforced while streaming."),
    timeout: float = typer.Option(60.0, help="Request timeout in seconds."),
    allowed_host: list[str] = typer.Option([], "--allowed-host", help="A further Host name to answer (repeatable; "
                                           "loopback names and --host are always accepted). Other names get 400, "
                                           "which stops DNS-rebinding pages."),
    max_parses: int = typer.Option(2, min=1, max=64, help="Uploads parsed at the same time; a further one waits "
                                   "--queue-wait seconds for a slot, then gets 503 busy."),
    queue_wait: float = typer.Option(2.0, min=0.0, help="Seconds an upload waits for a free parse slot."),
    parse_timeout: float = typer.Option(30.0, min=0.1, help="Seconds one upload may take to parse before its "
                                        "worker process is killed (kept below --timeout)."),
    parse_memory_mb: int = typer.Option(1024, min=16, help="Memory (address space) one upload's parser may add, "
                                        "in MB."),
    max_uploads: int = typer.Option(200, min=1, help="Uploads kept at most; delete old ones to add more."),
    max_store_mb: float = typer.Option(512.0, min=1, help="Stored upload data kept at most, in MB."),
    max_rows: int = typer.Option(None, "--max-rows", min=1, help="Uploads: refuse a file with more rows than this, "
                                 "checked before parsing (default 200,000)."),
    max_cols: int = typer.Option(None, "--max-cols", min=1, help="Uploads: refuse a file with more indicator "
                                 "columns than this (default 500)."),
    max_cells: int = typer.Option(None, "--max-cells", min=1, help="Uploads: refuse a sheet whose used range holds "
                                  "more cells than this (default 500,000)."),
    max_unzipped_mb: int = typer.Option(None, "--max-unzipped-mb", min=1, help="Uploads: refuse an .xlsx (zip) file "
                                        "that unpacks to more MB than this (default 256)."),
) -> None:
    """Start the dashboard (overview map and ranking, region profiles, methods, productivity, uploads, downloads)."""
    import uvicorn

    from nqpf.web import create_app
    from nqpf.web.security import WILDCARD_BINDS, allowed_host_names

    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]warning:[/yellow] binding to {host}: the dashboard has no authentication")
        if host in WILDCARD_BINDS and not allowed_host:
            console.print("[yellow]note:[/yellow] only loopback Host names are answered; name the address others "
                          "use with --allowed-host")
    hosts = sorted(allowed_host_names([host, *allowed_host]))
    given = {"max_rows": max_rows, "max_cols": max_cols, "max_cells": max_cells,
             "max_unzipped_bytes": None if max_unzipped_mb is None else max_unzipped_mb * 1024 * 1024}  # fmt: skip
    limits = {k: v for k, v in given.items() if v is not None}  # unset: the dashboard's upload limits
    web = create_app(data_dir, max_upload_bytes=int(max_upload_mb * 1024 * 1024), request_timeout=timeout,
                     warm=True, allowed_hosts=hosts, max_parses=max_parses, queue_wait=queue_wait,
                     parse_timeout=parse_timeout,
                     parse_memory_mb=parse_memory_mb, max_uploads=max_uploads,
                     max_store_bytes=int(max_store_mb * 1024 * 1024), **limits)
    console.print(f"nqpf dashboard on http://{host}:{port}/  (data in {data_dir.resolve()})")
    # no proxy in front of a local server: X-Forwarded-* headers are not trusted
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)
