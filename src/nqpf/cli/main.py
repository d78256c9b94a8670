"""Root of the ``nqpf`` command line: global options, error handling, command registration."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console

from nqpf.errors import NQPFError

app = typer.Typer(
    name="nqpf",
    help="nqpf — measure, mark, explain and guide New Quality Productive Forces (新质生产力).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Settings shared by every command (set by the root callback).
STATE: dict[str, str] = {"lang": "en"}

console = Console()
err_console = Console(stderr=True)

# Modules that register commands on ``app`` when imported, in help order.
COMMAND_MODULES = (
    "nqpf.cli.cmd_data",
    "nqpf.cli.cmd_index",
    "nqpf.cli.cmd_productivity",
    "nqpf.cli.cmd_tfp",
    "nqpf.cli.cmd_analysis",
    "nqpf.cli.cmd_uncertainty",
    "nqpf.cli.cmd_report",
    "nqpf.cli.cmd_serve",
    "nqpf.cli.cmd_demo",
)


@app.callback()
def _root(
    lang: str = typer.Option("en", "--lang", help="Output language: zh (中文) or en (English).", envvar="NQPF_LANG"),
) -> None:
    if lang not in ("zh", "en"):
        raise typer.BadParameter("use zh or en", param_hint="--lang")
    STATE["lang"] = lang


def lang() -> str:
    """The language chosen with ``--lang`` (default English)."""
    return STATE["lang"]


def register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a layer not yet installed in this build
            if exc.name != name:
                raise


def main() -> None:
    register_commands()
    try:
        app()
    except NQPFError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, markup=True, soft_wrap=True)
        problems = getattr(exc, "problems", None)
        if problems:
            for p in problems:
                err_console.print(f"  - {p}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except FileNotFoundError as exc:
        err_console.print(f"error: file not found: {exc.filename or exc}", highlight=False, markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted", highlight=False, markup=False)
        sys.exit(130)
    except Exception as exc:  # an nqpf bug, not bad input: say so plainly, traceback only on request
        if os.environ.get("NQPF_DEBUG"):
            raise
        err_console.print(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in nqpf, not in your input; "
            "rerun with NQPF_DEBUG=1 for the traceback and report it.",
            highlight=False, markup=False, soft_wrap=True,
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
