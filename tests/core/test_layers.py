"""The layers of ``nqpf`` depend one way (docs/architecture.md): a module may import from its own layer or a
lower one, never a higher one. Imports are read with ``ast`` from the source, function-local imports
included (a local import hides an upward dependency from the import system, not from this test).

Known upward imports are listed in :data:`KNOWN` with the reason; each is an ``xfail(strict=True)`` test, so
removing one of them makes its test pass unexpectedly and fail the suite until the entry is deleted here."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "nqpf"

# layer of each top-level module or package of nqpf (0 = shared base; higher layers may import lower ones)
LAYERS: dict[str, int] = {
    "errors": 0,
    "_util": 0,
    "_protocol": 1,  # the results protocol: imports the base only; its renderers are looked up by name
    "i18n": 0,
    "assets": 0,
    "data": 1,
    "datasets": 1,
    "framework": 2,
    "index": 3,
    "productivity": 4,
    "analysis": 4,
    "uncertainty": 4,
    "guide": 5,
    "report": 6,
    "cli": 6,
    "web": 6,
    "__main__": 6,  # `python -m nqpf` = the command line
}
LAYER_NAMES = {0: "base", 1: "data", 2: "framework", 3: "index", 4: "productivity/analysis", 5: "guide",
               6: "report/cli/web"}
# Known upward imports: (importing module, imported top-level package) → reason. Empty since issue 18 item 5:
# the result methods reach the report layer's renderers by name (nqpf._protocol.RENDERERS), not by import.
KNOWN: dict[tuple[str, str], str] = {}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["nqpf", *parts])


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "nqpf" and len(parts) > 1 else None


def _imports(path: Path, root: Path) -> list[tuple[str, int]]:
    """(imported nqpf module, line) of every import in the file, relative imports resolved."""
    me = _module_name(path, root).split(".")
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me if is_pkg else me[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, node.lineno))
            if mod == "nqpf":  # from nqpf import report
                out += [(f"nqpf.{a.name}", node.lineno) for a in node.names]
    return [(m, n) for m, n in out if m.startswith("nqpf.")]


@functools.lru_cache(maxsize=4)
def upward_imports(root: Path = SRC) -> dict[tuple[str, str], list[str]]:
    """(importing module, imported top-level package) → ["path:line", …] for every import that points up."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        me = _module_name(path, root)
        mine = _top(me)
        if mine is None:  # nqpf/__init__.py: the package facade may re-export any layer (lazily)
            continue
        for mod, line in _imports(path, root):
            tgt = _top(mod)
            if tgt is None or tgt == mine or tgt not in LAYERS or mine not in LAYERS:
                continue
            if LAYERS[tgt] > LAYERS[mine]:
                found.setdefault((me, tgt), []).append(f"{path.relative_to(root.parent)}:{line}")
    return found


def test_every_top_level_module_has_a_layer():
    tops = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    tops |= {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert sorted(tops - set(LAYERS)) == [], "add the new module to LAYERS here and to docs/architecture.md"


def test_the_checker_sees_an_upward_import(tmp_path):
    """The checker itself: a planted upward import (data → web), local to a function, is found."""
    pkg = tmp_path / "nqpf" / "data"
    pkg.mkdir(parents=True)
    (tmp_path / "nqpf" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "bad.py").write_text("def f():\n    from nqpf.web import app\n    from ..index import pipeline\n")
    assert set(upward_imports(tmp_path / "nqpf")) == {("nqpf.data.bad", "web"), ("nqpf.data.bad", "index")}


def test_no_new_upward_import():
    new = {k: v for k, v in upward_imports().items() if k not in KNOWN}
    assert not new, "imports from a higher layer (see docs/architecture.md): " + "; ".join(
        f"{m} → {t} ({', '.join(where)})" for (m, t), where in sorted(new.items())
    )


def test_known_list_is_current():
    """Every listed violation still exists (delete its KNOWN entry once it is removed); empty since item 5."""
    found = upward_imports()
    assert [k for k in KNOWN if k not in found] == []


# order of the modules inside nqpf.index (docs/architecture.md): a module imports only lower-ranked ones
INDEX_ORDER: dict[str, int] = {
    "impute": 0, "treat": 0, "normalize": 0, "weights": 0, "aggregate": 0,
    "registry": 1, "log": 1,
    "spec": 2, "diagnostics": 2,
    "stages": 3,
    "result": 4,
    "pipeline": 5,
    "compare": 6,
}


def test_index_modules_import_downwards_only():
    bad = []
    for path in sorted((SRC / "index").glob("*.py")):
        if path.stem == "__init__":
            continue
        assert path.stem in INDEX_ORDER, f"add nqpf.index.{path.stem} to INDEX_ORDER and docs/architecture.md"
        for mod, line in _imports(path, SRC):
            parts = mod.split(".")
            if parts[:2] == ["nqpf", "index"] and len(parts) > 2 and parts[2] != path.stem:
                if INDEX_ORDER[parts[2]] >= INDEX_ORDER[path.stem] and INDEX_ORDER[path.stem] > 0:
                    bad.append(f"index/{path.name}:{line} imports nqpf.index.{parts[2]}")
                elif INDEX_ORDER[path.stem] == 0 and INDEX_ORDER[parts[2]] > 0:
                    bad.append(f"index/{path.name}:{line} imports nqpf.index.{parts[2]}")
    assert not bad, bad
