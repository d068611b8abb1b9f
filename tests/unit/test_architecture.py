"""The core never imports Qt: only photosearch/gui/ may (the CLI and the indexing service run headless).
The GUI never touches SQLite or hnswlib directly: it goes through the library, engine and service."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "photosearch"
QT_MODULES = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qtpy", "sip")
STORAGE_MODULES = ("sqlite3", "hnswlib")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            # importlib.import_module("PySide6...") / __import__("PySide6")
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                out.add(str(node.args[0].value))
    return out


def _hits(mods: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if m.split(".")[0] in banned)


def test_no_qt_import_outside_the_gui_package() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if (PACKAGE / "gui") in path.parents:
            continue
        hits = _hits(imported_modules(path), QT_MODULES)
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, f"Qt imported outside photosearch/gui/: {offenders}"


def test_the_gui_does_not_touch_sqlite_or_hnswlib() -> None:
    offenders = {}
    for path in (PACKAGE / "gui").rglob("*.py"):
        hits = _hits(imported_modules(path), STORAGE_MODULES)
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, f"the GUI imports storage modules directly: {offenders}"


def test_the_checker_sees_imports() -> None:
    sample = ROOT / "photosearch" / "gui" / "main_window.py"
    assert "PySide6.QtWidgets" in imported_modules(sample)


def test_importing_the_core_loads_no_qt() -> None:
    code = (
        "import sys\n"
        "import photosearch.cli, photosearch.search.engine, photosearch.indexing.pipeline\n"
        "import photosearch.library.library\n"
        "try:\n    import photosearch.indexing.service\nexcept ImportError:\n    pass\n"
        f"qt = sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r})\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules loaded by the core: {out.stdout.strip()}"


# -- the floors (import-linter, contracts in pyproject.toml [tool.importlinter]) ----------------------------
# Upward imports that remain because the file belongs to another line of work this session; each is a real
# violation, reported by `lint-imports`, NOT ignored in the contract. Remove an entry when it is fixed (the
# test fails if an entry no longer happens, so the list cannot go stale).
WAITING_ON_OWNER: set[tuple[str, str]] = set()


def broken_imports(output: str) -> tuple[set[str], set[tuple[str, str]]]:
    """(names of broken contracts, direct imports reported as breaking them) from `lint-imports` output."""
    import re

    contracts = {m.group(1).strip() for m in re.finditer(r"^(.*\S) BROKEN$", output, re.M)}
    imports = {(a, b) for a, b in re.findall(r"^-\s+(photosearch\S*) -> (\S+) \(l\.", output, re.M)}
    return contracts, imports


def test_the_floors_only_point_down() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    # the console script beside this interpreter, else the same entry point through it (a venv that sees the
    # system's packages has no lint-imports of its own)
    runner = "import sys; from importlinter.cli import lint_imports_command; sys.argv = ['lint-imports']; "
    runner += "lint_imports_command()"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", runner]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        pytest.skip("import-linter not installed (pip install -e '.[test]')")
    text = out.stdout + out.stderr
    assert "Contracts:" in text, text[-3000:]
    contracts, imports = broken_imports(text)
    assert contracts <= {"Floors point down: front ends -> app -> services -> domain -> storage -> ground"}, (
        text
    )
    assert imports == WAITING_ON_OWNER, (
        f"new upward imports: {sorted(imports - WAITING_ON_OWNER)}; fixed (remove from WAITING_ON_OWNER): "
        f"{sorted(WAITING_ON_OWNER - imports)}\n{text[-3000:]}"
    )


def test_no_dynamic_imports_the_linter_cannot_see() -> None:
    """import-linter reads import statements; a module imported by a computed name would slip past it."""
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in ("import_module", "__import__"):
                    offenders.setdefault(str(path.relative_to(ROOT)), []).append(node.lineno)
    assert not offenders, f"dynamic imports in photosearch/: {offenders}"


# settings read elsewhere than config.py, in files owned by other lines of work this session (see config.setting)
SETTINGS_WAITING_ON_OWNER: set[str] = set()


def test_settings_are_read_only_in_config() -> None:
    readers = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "getenv(" in text:
            readers.add(str(path.relative_to(ROOT)))
    assert readers - {"photosearch/config.py"} == SETTINGS_WAITING_ON_OWNER


def test_one_path_inside_helper() -> None:
    """``photosearch.paths.path_inside`` is the one "is this path under that root" test."""
    import re

    pattern = re.compile(r"\.startswith\([\w.]+\.rstrip\(os\.sep\) \+ os\.sep\)")
    copies = {
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8"))
    }
    assert copies == {"photosearch/paths.py"}
