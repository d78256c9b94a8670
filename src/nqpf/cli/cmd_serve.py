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
) -> None:
    """Start the dashboard (overview map and ranking, region profiles, methods, productivity, uploads, downloads)."""
    import uvicorn

    from nqpf.web import create_app

    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]warning:[/yellow] binding to {host}: the dashboard has no authentication")
    web = create_app(data_dir, max_upload_bytes=int(max_upload_mb * 1024 * 1024), request_timeout=timeout,
                     warm=True)
    console.print(f"nqpf dashboard on http://{host}:{port}/  (data in {data_dir.resolve()})")
    uvicorn.run(web, host=host, port=port, log_level="warning")
