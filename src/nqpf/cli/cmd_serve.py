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
    web = create_app(data_dir, max_upload_bytes=int(max_upload_mb * 1024 * 1024), request_timeout=timeout,
                     warm=True, allowed_hosts=hosts, max_parses=max_parses, queue_wait=queue_wait,
                     parse_timeout=parse_timeout,
                     parse_memory_mb=parse_memory_mb, max_uploads=max_uploads,
                     max_store_bytes=int(max_store_mb * 1024 * 1024))
    console.print(f"nqpf dashboard on http://{host}:{port}/  (data in {data_dir.resolve()})")
    # no proxy in front of a local server: X-Forwarded-* headers are not trusted
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)
