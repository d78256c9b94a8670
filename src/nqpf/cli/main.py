"""Root of the ``nqpf`` command line: global options, error handling, command registration."""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from nqpf.errors import NQPFError

# typer ≥ 0.20 vendors click as typer._click (no Group class; groups are typer.core.TyperGroup); the help
# screen's words are patched where a module translates them with gettext
_CLICK_COPIES = ("typer._click", "click")
try:
    from typer._click.exceptions import UsageError as _UsageError
except ImportError:  # pragma: no cover - an older typer on click
    from click.exceptions import UsageError as _UsageError  # type: ignore[no-redef]


def _lang_from(args: list[str]) -> str | None:
    for k, a in enumerate(args):
        if a == "--":
            break
        if a == "--lang" and k + 1 < len(args):
            return args[k + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def hoist_lang(args: list[str]) -> list[str]:
    """``--lang X`` (or ``--lang=X``) moved before the subcommand, wherever it was typed
    (``nqpf report … --lang zh`` = ``nqpf --lang zh report …``); arguments after ``--`` are left alone."""
    out: list[str] = []
    front: list[str] = []
    k = 0
    while k < len(args):
        a = args[k]
        if a == "--":
            out.extend(args[k:])
            break
        if a == "--lang" and k + 1 < len(args):
            front = ["--lang", args[k + 1]]
            k += 2
            continue
        if a.startswith("--lang="):
            front = ["--lang", a.split("=", 1)[1]]
            k += 1
            continue
        out.append(a)
        k += 1
    return front + out


class _Root(TyperGroup):
    """The root group: accepts ``--lang`` anywhere and shows ``--help`` in the chosen language."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = hoist_lang(list(args))
        L = _lang_from(args) or os.environ.get("NQPF_LANG") or "en"
        localise_help(self, L if L in ("zh", "en") else "en")
        _pass_plain_text(self, ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        import warnings

        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning  # one line in the chosen language, no source lines
                return super().invoke(ctx)
        except NQPFError as exc:  # library messages in command-line terms (flags, not keyword arguments)
            if exc.args and isinstance(exc.args[0], str):
                exc.args = (cli_terms(exc.args[0]), *exc.args[1:])
            raise
        except _UsageError as exc:  # a mistyped command line, in Chinese under --lang zh
            text = _usage_zh(exc.format_message()) if lang() == "zh" else None
            if text is None:
                raise
            raise _UsageError(text, ctx=exc.ctx) from None


def _pass_plain_text(group: Any, ctx: Any, root: bool = True) -> None:
    """The root's ``--lang`` text and the ``--help`` flags of the root and its sub-groups taken as parsed,
    without the pydantic check that typer (≥ 0.25) builds on a value's first use: importing pydantic and its
    plugins costs ≈ 0.15 s, which every ``nqpf <command> --help`` would pay for values that check returns
    unchanged (text from the command line or NQPF_LANG, which ``_root`` checks; a flag's True/False/unset)."""
    try:
        from typer._coercion import PassThroughRuntimeParam
    except ImportError:  # another typer: its own coercion
        return
    for prm in group.get_params(ctx):
        desc = getattr(prm, "type_descriptor", None)
        info = getattr(desc, "parameter_info", None)
        if desc is None or getattr(info, "parser", None) or getattr(desc, "file_annotation", None):
            continue
        flag = desc.annotation is bool and getattr(prm, "is_flag", False) and not getattr(prm, "envvar", None)
        text = root and desc.annotation is str and prm.name == "lang"
        if (text or flag) and getattr(prm, "_runtime_param", "") is None:
            prm._runtime_param = PassThroughRuntimeParam(annotation=desc.annotation, parameter_info=info)
    for sub in group.commands.values():  # a sub-group checks its own options before a command's --help runs
        if getattr(sub, "commands", None):
            _pass_plain_text(sub, ctx, root=False)


_USAGE_ZH = (
    (re.compile(r"^Missing option (.+)\.$"), r"缺少选项 \1。"),
    (re.compile(r"^Missing argument (.+)\.$"), r"缺少参数 \1。"),
    (re.compile(r"^No such option: (\S+)(?: \(Possible options: (.+)\)| Did you mean (.+)\?)?$"), None),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), r"\1 的取值无效：\2"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), r"多余的参数：\1"),
)


def _usage_zh(msg: str) -> str | None:
    """A click usage error in Chinese (missing/unknown option, invalid value), or None if not recognised."""
    for pat, repl in _USAGE_ZH:
        m = pat.match(msg.strip())
        if not m:
            continue
        if repl is None:
            alt = m.group(2) or m.group(3)
            return f"没有这个选项：{m.group(1)}" + (f"。您是否想用 {alt}？" if alt else "")
        return m.expand(repl)
    return None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """Python warnings on the command line: ``Warning: <message>`` (``警告：`` under --lang zh), in CLI terms."""
    from nqpf.i18n import t

    err_console.print(f"{t('common.warning', lang())}: {cli_terms(str(message))}", highlight=False, markup=False,
                      soft_wrap=True)  # fmt: skip


def localise_help(group: Any, L: str, prefix: str = "") -> None:
    """Help texts of the commands and options from the catalogue (``cli.help.<command>``,
    ``cli.opt.<command>.<option>``; nested commands as ``framework.check``) where a label exists; the English
    of the code otherwise. Idempotent: the code's English help is kept to switch back."""
    from nqpf.i18n import labels

    cat = labels("cli.")  # only the files that hold help labels are parsed
    if not prefix:
        _frame_words(L)

    def pick(obj: object, key: str) -> None:
        orig = getattr(obj, "_nqpf_help_en", None)
        if orig is None:
            orig = getattr(obj, "help", None) or ""
            obj._nqpf_help_en = orig  # type: ignore[attr-defined]
        obj.help = cat[key][L] if key in cat else orig  # type: ignore[attr-defined]
        if hasattr(obj, "short_help") and key in cat:
            obj.short_help = None  # the command list shows the first sentence of the localised help

    pick(group, f"cli.help.{prefix.rstrip('.') or 'root'}")
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        pick(cmd, f"cli.help.{full}")
        for prm in cmd.params:
            if hasattr(prm, "help"):
                pick(prm, f"cli.opt.{full}.{prm.name}")
        if getattr(cmd, "commands", None):
            localise_help(cmd, L, prefix=f"{full}.")
    for prm in group.params:
        if hasattr(prm, "help"):
            pick(prm, f"cli.opt.{prefix or 'root.'}{prm.name}".replace("..", "."))


# The help screen's own words (click/typer, English gettext defaults) in the chosen language.
_FRAME_ZH = {
    "Usage:": "用法：", "Show this message and exit.": "显示本帮助并退出。", "Options": "选项",
    "Arguments": "参数", "Commands": "命令", "[default: {}]": "[默认：{}]", "[required]": "[必填]",
    "Missing option": "缺少选项", "No such option: {name}": "没有这个选项：{name}", "Error": "错误",
    "Try {command!r} for help.": "运行 {command!r} 查看帮助。", "Did you mean {possibility}?": "您是否想用 {possibility}？",
    "Missing option '{name}'.": "缺少选项 '{name}'。", "No such command {name!r}.": "没有这个命令 {name!r}。",
    "[env var: {}]": "[环境变量：{}]",
}  # fmt: skip


_HELP_LANG = {"lang": "en"}


def _frame_words(L: str) -> None:
    from gettext import gettext

    from typer import rich_utils

    def zh(text: str) -> str:
        return _FRAME_ZH.get(text, gettext(text))

    tr = zh if L == "zh" else gettext
    _HELP_LANG["lang"] = L
    try:  # the --help option's own help text (typer's vendored click builds it without gettext)
        core = importlib.import_module("typer._click.core")
        orig = core.Command.get_help_option
        if not getattr(orig, "_nqpf", False):
            def get_help_option(self: Any, ctx: Any) -> Any:
                opt = orig(self, ctx)
                if opt is not None:
                    en = "Show this message and exit."
                    opt.help = _FRAME_ZH[en] if _HELP_LANG["lang"] == "zh" else en
                return opt

            get_help_option._nqpf = True  # type: ignore[attr-defined]
            core.Command.get_help_option = get_help_option
    except (ImportError, AttributeError):  # another typer: English help option
        pass
    for base in (*_CLICK_COPIES, "typer"):
        if base == "click" and "click" not in sys.modules:  # typer ≥ 0.20 does not use it
            continue
        for part in ("core", "exceptions", "formatting", "parser"):
            try:
                mod = importlib.import_module(f"{base}.{part}")
            except ImportError:
                continue
            if hasattr(mod, "_"):
                mod._ = tr  # type: ignore[attr-defined]
    for name, en in (("DEFAULT_STRING", "[default: {}]"), ("REQUIRED_LONG_STRING", "[required]"),
                     ("ENVVAR_STRING", "[env var: {}]"), ("ERRORS_PANEL_TITLE", "Error"),
                     ("ARGUMENTS_PANEL_TITLE", "Arguments"), ("OPTIONS_PANEL_TITLE", "Options"),
                     ("COMMANDS_PANEL_TITLE", "Commands")):  # fmt: skip
        setattr(rich_utils, name, tr(en))


app = typer.Typer(name="nqpf", help="nqpf — measure, mark, explain and guide New Quality Productive Forces (新质生产力).",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False, cls=_Root)  # fmt: skip

# Settings shared by every command (set by the root callback).
STATE: dict[str, str] = {"lang": "en"}

console = Console()
err_console = Console(stderr=True)

# Modules that register commands on ``app`` when imported, in help order.
COMMAND_MODULES = (
    "nqpf.cli.cmd_data",
    "nqpf.cli.cmd_index",
    "nqpf.cli.cmd_framework",
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
        from nqpf.i18n import t

        raise typer.BadParameter(t("cli.bad_lang", "en") + " / " + t("cli.bad_lang", "zh"), param_hint="--lang")
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


# Python keyword arguments in messages of the library → the command line's flags.
_FLAGS = {
    "impute": "--impute", "drop_incomplete_units": "--drop-incomplete-units", "period_col": "--period-col",
    "unit_col": "--unit-col", "indicator_col": "--indicator-col", "value_col": "--value-col",
    "encoding": "--encoding", "units": "--units", "layout": "--layout", "sheet": "--sheet",
    "indicator": "--indicator", "periods": "--periods", "normalize": "--normalize", "weights": "--weights",
    "treat": "--treat", "aggregate": "--aggregate", "weight_scope": "--weight-scope", "ahp_force": "--ahp-force",
    "base_year": "--base-year", "ref_unit": "--ref-unit", "entropy_shift": "--entropy-shift",
    "minmax_eps": "--minmax-eps", "header_rows": "--header-rows", "special_regions": "--special-regions",
}  # fmt: skip
_KWARG = re.compile(r"\b(" + "|".join(_FLAGS) + r")\s*=\s*(True\b|False\b|'[^']*'|\"[^\"]*\"|\.\.\.|…|[\w.+\-]+)")


def cli_terms(message: str) -> str:
    """A library message in command-line terms: ``impute='linear'`` → ``--impute linear``,
    ``drop_incomplete_units=True`` → ``--drop-incomplete-units``, ``encoding='...'`` → ``--encoding ...``;
    a "(CLI: …)" aside is dropped once the keyword it explains has become a flag."""
    msg = re.sub(r"\s*\((?:CLI|命令行)[:：][^)）]*[)）]", "", message) if _KWARG.search(message) else message

    def sub(m: re.Match) -> str:
        flag, v = _FLAGS[m.group(1)], m.group(2)
        if v == "True":
            return flag
        if v == "False":
            return f"no {flag}"
        v = v.strip("'\"")
        return f"{flag} {v}" if v else flag

    return _KWARG.sub(sub, msg)


def main() -> None:
    from nqpf.i18n import t

    register_commands()
    L = _lang_from(sys.argv[1:]) or os.environ.get("NQPF_LANG") or "en"
    L = L if L in ("zh", "en") else "en"
    try:
        app()
    except NQPFError as exc:
        msg = cli_terms(str(exc)) + _flag_hint(exc, L)
        err_console.print(f"[bold red]{t('cli.error', L)}:[/bold red] " + _escape(msg), highlight=False, markup=True,
                          soft_wrap=True)  # fmt: skip
        problems = getattr(exc, "problems", None)
        if problems:
            for p in problems:
                err_console.print(f"  - {cli_terms(str(p))}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(2)
    except FileNotFoundError as exc:
        err_console.print(f"{t('cli.error', L)}: " + t("cli.file_not_found", L, path=exc.filename or exc),
                          highlight=False, markup=False)  # fmt: skip
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print(t("cli.interrupted", L), highlight=False, markup=False)
        sys.exit(130)
    except Exception as exc:  # an nqpf bug, not bad input: say so plainly, traceback only on request
        if os.environ.get("NQPF_DEBUG"):
            raise
        err_console.print(t("cli.internal", L, what=f"{type(exc).__name__}: {exc}"),
                          highlight=False, markup=False, soft_wrap=True)  # fmt: skip
        sys.exit(3)


#: the pre-scan limit (:class:`nqpf.data.prescan.Limits` field) → the flag that sets it (nqpf.cli._options.LIMITS)
_LIMIT_FLAGS = {"max_rows": "--max-rows", "max_cols": "--max-cols", "max_cells": "--max-cells",
                "max_unzipped": "--max-unzipped-mb", "max_ratio": "--max-ratio"}  # fmt: skip


def _flag_hint(exc: NQPFError, L: str) -> str:
    """For a file refused by the pre-scan (``TooLarge``, which names the environment variable): the flag that
    raises its limit on this command line; empty for any other error."""
    from nqpf.i18n import t

    flag = _LIMIT_FLAGS.get(str(getattr(exc, "knob", "")))
    return t("cli.limit_flag", L, flag=flag) if flag else ""


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


if __name__ == "__main__":
    main()
